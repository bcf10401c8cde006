"""The scikit-learn estimators: the base template, single-output and functional ones."""
