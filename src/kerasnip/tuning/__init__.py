"""Tuning: markers, parameter sets, grids and ``tune_grid``."""

from kerasnip.tuning.markers import tune

__all__ = ["tune"]
