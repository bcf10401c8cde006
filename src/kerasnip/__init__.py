"""kerasnip: Keras 3 layer blocks as scikit-learn estimators with tunable architectures."""

from kerasnip.config import choose_default_backend

choose_default_backend()

from kerasnip import datasets  # noqa: E402
from kerasnip.blocks import BlockError, inp_spec  # noqa: E402
from kerasnip.build import BuildError  # noqa: E402
from kerasnip.estimator import KerasClassifier, KerasEstimator, KerasRegressor  # noqa: E402
from kerasnip.inspection import (  # noqa: E402
    extract_keras_history,
    extract_keras_model,
    glance,
    keras_evaluate,
    predict_table,
    tidy,
)
from kerasnip.intervals import (  # noqa: E402
    IntervalsNotAvailableError,
    fit_laplace,
    predictive_draws,
)
from kerasnip.multi_io import head_scorer, output_view  # noqa: E402
from kerasnip.persistence import BlockImportError, LoadError, load  # noqa: E402
from kerasnip.plotting import MissingDependencyError, plot_history, plot_model  # noqa: E402
from kerasnip.registry import (  # noqa: E402
    register_keras_loss,
    register_keras_metric,
    register_keras_optimizer,
)
from kerasnip.reuse import whole_batches  # noqa: E402
from kerasnip.sequence import (  # noqa: E402
    CollapseColumns,
    LeadTargets,
    SequenceWindows,
    align_predictions,
)
from kerasnip.spec import (  # noqa: E402
    create_keras_functional_spec,
    create_keras_sequential_spec,
    get_spec,
    model_exists,
    remove_keras_spec,
)
from kerasnip.tuning import (  # noqa: E402
    Choice,
    Float,
    Int,
    ParameterSet,
    TuneResults,
    batch_size,
    compile_keras_grid,
    dropout,
    epochs,
    extract_parameter_set,
    extract_valid_grid,
    finalize,
    grid_random,
    grid_regular,
    grid_space_filling,
    hidden_units,
    inform_errors,
    learn_rate,
    loss_function_keras,
    num_terms,
    optimizer_function,
    tune,
    tune_grid,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "BlockError",
    "BlockImportError",
    "BuildError",
    "Choice",
    "CollapseColumns",
    "Float",
    "Int",
    "IntervalsNotAvailableError",
    "KerasClassifier",
    "KerasEstimator",
    "KerasRegressor",
    "LeadTargets",
    "LoadError",
    "MissingDependencyError",
    "ParameterSet",
    "SequenceWindows",
    "TuneResults",
    "align_predictions",
    "batch_size",
    "compile_keras_grid",
    "create_keras_functional_spec",
    "create_keras_sequential_spec",
    "datasets",
    "dropout",
    "epochs",
    "extract_keras_history",
    "extract_keras_model",
    "extract_parameter_set",
    "extract_valid_grid",
    "finalize",
    "fit_laplace",
    "get_spec",
    "glance",
    "grid_random",
    "grid_regular",
    "grid_space_filling",
    "head_scorer",
    "hidden_units",
    "inform_errors",
    "inp_spec",
    "keras_evaluate",
    "learn_rate",
    "load",
    "loss_function_keras",
    "model_exists",
    "num_terms",
    "optimizer_function",
    "output_view",
    "plot_history",
    "plot_model",
    "predict_table",
    "predictive_draws",
    "register_keras_loss",
    "register_keras_metric",
    "register_keras_optimizer",
    "remove_keras_spec",
    "tidy",
    "tune",
    "tune_grid",
    "whole_batches",
]
