"""Data: the X side (:mod:`.features`) and the y side (:mod:`.targets`) of every estimator."""
