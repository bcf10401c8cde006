"""The models and data every benchmark uses, written once for every contender.

The getting-started MLP (README / ``python -m kerasnip demo``): an input block,
two repeatable Dense + Dropout blocks and a softmax output. ``raw_mlp`` builds
the same network by hand for raw Keras and for the peers (SciKeras,
``keras.wrappers.SKLearnClassifier``), layer for layer.

Only imported inside worker processes (see :mod:`bench.worker`), after the
backend has been chosen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import kerasnip

GRID_LEVELS = {
    9: {"num_hidden_1": 3, "hidden_1_units": 3, "hidden_1_rate": 1},
    27: {"num_hidden_1": 3, "hidden_1_units": 3, "hidden_1_rate": 3},
    81: {"num_hidden_1": 3, "hidden_1_units": 9, "hidden_1_rate": 3},
}


def input_block(model: Any, input_shape: tuple[int, ...]) -> Any:
    import keras

    return keras.Sequential([keras.Input(shape=input_shape)])


def dense_block(model: Any, units: int = 128, rate: float = 0.4) -> Any:
    import keras

    model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.Dropout(rate))
    return model


def output_block(model: Any, num_classes: int) -> Any:
    import keras

    model.add(keras.layers.Dense(num_classes, activation="softmax"))
    return model


def mnist_mlp() -> type:
    """The generated estimator class of the getting-started walk-through."""
    return kerasnip.create_keras_sequential_spec(
        "mnist_mlp",
        {"input": input_block, "hidden_1": dense_block, "hidden_2": dense_block,
         "output": output_block},
        mode="classification",
    )


def raw_mlp(n_features: int, n_classes: int, layers: list[tuple[int, float]],
            optimizer: str = "adam") -> Any:
    """The same network built and compiled by hand: ``layers`` is [(units, rate), ...]."""
    import keras

    model = keras.Sequential([keras.Input(shape=(n_features,))])
    for units, rate in layers:
        model.add(keras.layers.Dense(units, activation="relu"))
        model.add(keras.layers.Dropout(rate))
    model.add(keras.layers.Dense(n_classes, activation="softmax"))
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def mnist(folder: str | Path, rows: int | None = None) -> tuple[tuple, tuple]:
    """MNIST flattened to 784 float32 columns in [0, 1]; the first ``rows`` training rows."""
    (x_train, y_train), (x_test, y_test) = kerasnip.datasets.load_mnist(folder)
    if rows is not None:
        x_train, y_train = x_train[:rows], y_train[:rows]

    def flat(x: np.ndarray) -> np.ndarray:
        return (x.reshape(len(x), -1) / kerasnip.datasets.MNIST_MAX_PIXEL).astype("float32")

    return (flat(x_train), y_train.astype("int64")), (flat(x_test), y_test.astype("int64"))


#: The fit settings of the tuning workloads. "vignette" is the getting-started tuning
#: run as the R package's vignette writes it (the headline); "batch32" the variant the
#: first benchmarks measured, which avoids the validation split.
TUNING_WORKLOADS = {
    "vignette": {"batch_size": 128, "validation_split": 0.2, "optimizer": "rmsprop"},
    "batch32": {"batch_size": 32, "validation_split": None, "optimizer": "adam"},
}


def tuning_spec(epochs: int, workload: str = "batch32") -> Any:
    """The getting-started tuning spec: the first hidden block tuned, the second removed."""
    spec = mnist_mlp()
    settings = TUNING_WORKLOADS[workload]
    return spec(num_hidden_1=kerasnip.tune(), hidden_1_units=kerasnip.tune(),
                hidden_1_rate=kerasnip.tune(), num_hidden_2=0, fit_epochs=epochs,
                compile_optimizer=settings["optimizer"], fit_batch_size=settings["batch_size"],
                fit_validation_split=settings["validation_split"], random_state=1)


def tuning_parameters(spec: Any) -> Any:
    """The getting-started ranges: 1-3 layers, 64-256 units, dropout 0.2-0.4."""
    return kerasnip.extract_parameter_set(spec).update(
        num_hidden_1=kerasnip.num_terms((1, 3)),
        hidden_1_units=kerasnip.hidden_units((64, 256)),
        hidden_1_rate=kerasnip.dropout((0.2, 0.4)),
    )


def tuning_grid(spec: Any, size: int) -> Any:
    """A regular grid of ``size`` (9, 27 or 81) configurations as a DataFrame."""
    if size not in GRID_LEVELS:
        raise ValueError(f"grid size must be one of {sorted(GRID_LEVELS)}, got {size}.")
    return kerasnip.grid_regular(tuning_parameters(spec), levels=GRID_LEVELS[size])


def grid_rows(grid: Any) -> list[dict[str, Any]]:
    """The grid as plain Python dicts (num_hidden_1, hidden_1_units, hidden_1_rate)."""
    return [
        {"num_hidden_1": int(row.num_hidden_1), "hidden_1_units": int(row.hidden_1_units),
         "hidden_1_rate": float(row.hidden_1_rate)}
        for row in grid.itertuples(index=False)
    ]
