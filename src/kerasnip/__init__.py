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
from kerasnip.persistence import BlockImportError, LoadError, load  # noqa: E402
from kerasnip.plotting import MissingDependencyError, plot_history, plot_model  # noqa: E402
from kerasnip.registry import (  # noqa: E402
    register_keras_loss,
    register_keras_metric,
    register_keras_optimizer,
)
from kerasnip.spec import (  # noqa: E402
    create_keras_functional_spec,
    create_keras_sequential_spec,
    get_spec,
    model_exists,
    remove_keras_spec,
)
from kerasnip.tuning import tune  # noqa: E402

__version__ = "0.1.0.dev0"

__all__ = [
    "BlockError",
    "BlockImportError",
    "BuildError",
    "KerasClassifier",
    "KerasEstimator",
    "KerasRegressor",
    "LoadError",
    "MissingDependencyError",
    "create_keras_functional_spec",
    "create_keras_sequential_spec",
    "datasets",
    "extract_keras_history",
    "extract_keras_model",
    "get_spec",
    "glance",
    "inp_spec",
    "keras_evaluate",
    "load",
    "model_exists",
    "plot_history",
    "plot_model",
    "predict_table",
    "register_keras_loss",
    "register_keras_metric",
    "register_keras_optimizer",
    "remove_keras_spec",
    "tidy",
    "tune",
]
