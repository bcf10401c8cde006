"""kerasnip: Keras 3 layer blocks as scikit-learn estimators with tunable architectures."""

from kerasnip.config import choose_default_backend
from kerasnip.saving.names import install_legacy_modules

# Before anything imports Keras, which fixes its backend on first import.
choose_default_backend()
install_legacy_modules()

from kerasnip import datasets  # noqa: E402
from kerasnip._version import __version__  # noqa: E402
from kerasnip.definition.blocks import inp_spec  # noqa: E402
from kerasnip.errors import (  # noqa: E402
    BlockError,
    BlockImportError,
    BuildError,
    DatasetError,
    IntervalsNotAvailableError,
    KerasnipError,
    LoadError,
    MissingDependencyError,
    NotTunedError,
    TrainingError,
)
from kerasnip.estimators.base import KerasEstimator  # noqa: E402
from kerasnip.estimators.sequential import KerasClassifier, KerasRegressor  # noqa: E402
from kerasnip.factory import (  # noqa: E402
    create_keras_functional_spec,
    create_keras_sequential_spec,
    get_spec,
    model_exists,
    remove_keras_spec,
)
from kerasnip.heads import head_scorer, output_view  # noqa: E402
from kerasnip.inspection import (  # noqa: E402
    extract_keras_history,
    extract_keras_model,
    glance,
    keras_evaluate,
    tidy,
)
from kerasnip.intervals import fit_laplace, predictive_draws  # noqa: E402
from kerasnip.loading import get_untrusted_blocks, load  # noqa: E402
from kerasnip.plotting import plot_history, plot_model  # noqa: E402
from kerasnip.predictions import predict_table  # noqa: E402
from kerasnip.registry import (  # noqa: E402
    register_keras_loss,
    register_keras_metric,
    register_keras_optimizer,
)
from kerasnip.runtime.runner import whole_batches  # noqa: E402
from kerasnip.sequence import (  # noqa: E402
    CollapseColumns,
    LeadTargets,
    SequenceWindows,
    align_predictions,
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
    tune_bayes,
    tune_grid,
    tune_halving,
    tune_race,
)

__all__ = [
    "BlockError",
    "BlockImportError",
    "BuildError",
    "Choice",
    "CollapseColumns",
    "DatasetError",
    "Float",
    "Int",
    "IntervalsNotAvailableError",
    "KerasClassifier",
    "KerasEstimator",
    "KerasRegressor",
    "KerasnipError",
    "LeadTargets",
    "LoadError",
    "MissingDependencyError",
    "NotTunedError",
    "ParameterSet",
    "SequenceWindows",
    "TrainingError",
    "TuneResults",
    "__version__",
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
    "get_untrusted_blocks",
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
    "tune_bayes",
    "tune_grid",
    "tune_halving",
    "tune_race",
    "whole_batches",
]
