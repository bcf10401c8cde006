"""Tuning: parameter sets, grids, the search methods and their results (``tune`` re-exported)."""

from kerasnip.markers import tune
from kerasnip.tuning.bayes import tune_bayes
from kerasnip.tuning.compile_grid import compile_keras_grid, extract_valid_grid, inform_errors
from kerasnip.tuning.grids import grid_random, grid_regular, grid_space_filling
from kerasnip.tuning.halving import tune_halving
from kerasnip.tuning.params import (
    Choice,
    Float,
    Int,
    ParameterSet,
    batch_size,
    dropout,
    epochs,
    extract_parameter_set,
    hidden_units,
    learn_rate,
    loss_function_keras,
    num_terms,
    optimizer_function,
)
from kerasnip.tuning.race import tune_race
from kerasnip.tuning.results import TuneResults
from kerasnip.tuning.tune_grid import finalize, tune_grid

__all__ = [
    "Choice",
    "Float",
    "Int",
    "ParameterSet",
    "TuneResults",
    "batch_size",
    "compile_keras_grid",
    "dropout",
    "epochs",
    "extract_parameter_set",
    "extract_valid_grid",
    "finalize",
    "grid_random",
    "grid_regular",
    "grid_space_filling",
    "hidden_units",
    "inform_errors",
    "learn_rate",
    "loss_function_keras",
    "num_terms",
    "optimizer_function",
    "tune",
    "tune_bayes",
    "tune_grid",
    "tune_halving",
    "tune_race",
]
