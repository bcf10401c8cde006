"""Looking at fitted estimators: the Keras model, its history, evaluation and tidy tables.

:func:`tidy` and :func:`glance` follow broom's idea of one row per component
and one row per model; predictions as tables are in :mod:`kerasnip.predictions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from kerasnip.pipelines import unwrap


def extract_keras_model(est: Any) -> Any:
    """The fitted Keras model of a kerasnip estimator.

    Parameters
    ----------
    est : fitted kerasnip estimator
        A fitted estimator (or one loaded with :func:`kerasnip.load`).

    Returns
    -------
    keras.Model
        The model itself (not a copy): ``summary()``, ``get_weights()`` and the
        rest of Keras's API work on it.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS  # the getting-started blocks
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), [0, 1, 2] * 10
    >>> est = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, random_state=0).fit(X, y)
    >>> model = kerasnip.extract_keras_model(est)
    >>> type(model).__name__, model.output_shape
    ('Sequential', (None, 3))
    """
    est, _ = unwrap(est)
    check_is_fitted(est, "model_")
    return est.model_


def extract_keras_history(est: Any) -> pd.DataFrame:
    """The training history, one row per epoch.

    Parameters
    ----------
    est : fitted kerasnip estimator
        A fitted estimator.

    Returns
    -------
    pandas.DataFrame
        Columns ``epoch``, ``loss``, each training metric, then the ``val_*``
        columns in the same order (when the fit had validation data). A copy:
        changing it leaves the estimator alone. Plot it with
        :func:`kerasnip.plot_history`.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS  # the getting-started blocks
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), [0, 1, 2] * 10
    >>> est = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, fit_validation_split=0.2,
    ...           random_state=0).fit(X, y)
    >>> kerasnip.extract_keras_history(est)
       epoch  loss  accuracy  val_loss  val_accuracy
    0      1   ...
    1      2   ...
    """
    est, _ = unwrap(est)
    check_is_fitted(est, "history_")
    history = est.history_
    return history[_history_columns(history.columns)].copy()


def _history_columns(columns: pd.Index) -> list[str]:
    """``epoch``, ``loss``, training metrics, then their ``val_`` twins, then the rest."""
    train = [c for c in columns if c != "epoch" and not str(c).startswith("val_")]
    train.sort(key=lambda c: c != "loss")  # stable: loss first, metrics keep Keras's order
    validation = [f"val_{c}" for c in train if f"val_{c}" in columns]
    ordered = ["epoch", *train, *validation] if "epoch" in columns else [*train, *validation]
    return ordered + [c for c in columns if c not in ordered]


def keras_evaluate(est: Any, X: Any, y: Any, *, sample_weight: Any = None,
                   batch_size: int | None = None) -> dict[str, float]:
    """Loss and compiled metrics of the fitted model on ``(X, y)``, from ``keras.Model.evaluate``.

    Parameters
    ----------
    est : fitted kerasnip estimator
        A fitted estimator.
    X : array-like, DataFrame or dict
        Inputs in any form ``fit`` accepts.
    y : array-like, DataFrame or dict
        Targets in any form ``fit`` accepts (labels as given to fit, not
        one-hot rows).
    sample_weight : array-like of shape (n,), default=None
        Per-sample weights.
    batch_size : int, default=None
        Defaults to the estimator's ``fit_batch_size`` (else 32).

    Returns
    -------
    dict of str to float
        ``{"loss": ..., "<metric>": ...}`` with Keras's metric names (the same
        names as the history's columns), loss first.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS  # the getting-started blocks
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), [0, 1, 2] * 10
    >>> est = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, random_state=0).fit(X, y)
    >>> sorted(kerasnip.keras_evaluate(est, X, y))
    ['accuracy', 'loss']
    """
    est, X = unwrap(est, X)
    check_is_fitted(est, "model_")
    features, targets, weights = est._prepare_fitted_data(X, y, sample_weight)
    result = est.model_.evaluate(
        features, targets, sample_weight=weights,
        batch_size=batch_size or est.fit_batch_size or 32, verbose=0, return_dict=True,
    )
    names = sorted(result, key=lambda name: name != "loss")
    return {name: float(result[name]) for name in names}


def tidy(est: Any) -> pd.DataFrame:
    """One row per layer of the fitted model.

    Parameters
    ----------
    est : fitted kerasnip estimator
        A fitted estimator.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``class`` (the layer's class name), ``output_shape``
        (a tuple with ``None`` for the batch dimension; a list of tuples for a
        layer with several outputs), ``n_params`` and ``trainable``.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS  # the getting-started blocks
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), [0, 1, 2] * 10
    >>> est = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, random_state=0).fit(X, y)
    >>> kerasnip.tidy(est)[["class", "output_shape", "n_params", "trainable"]]
         class output_shape  n_params  trainable
    0    Dense    (None, 8)        40       True
    1  Dropout    (None, 8)         0       True
    2    Dense    (None, 3)        27       True
    """
    model = extract_keras_model(est)
    rows = [
        {
            "name": layer.name,
            "class": type(layer).__name__,
            "output_shape": _output_shape(layer),
            "n_params": int(layer.count_params()),
            "trainable": bool(layer.trainable),
        }
        for layer in model.layers
    ]
    return pd.DataFrame(rows, columns=["name", "class", "output_shape", "n_params", "trainable"])


def _output_shape(layer: Any) -> Any:
    try:
        output = layer.output
    except (AttributeError, ValueError):  # a layer never called on a symbolic input
        return None
    if isinstance(output, (list, tuple)):
        return [tuple(t.shape) for t in output]
    if isinstance(output, Mapping):
        return {name: tuple(t.shape) for name, t in output.items()}
    return tuple(output.shape)


def glance(est: Any) -> pd.DataFrame:
    """One row summarising the fit.

    Parameters
    ----------
    est : fitted kerasnip estimator
        A fitted estimator.

    Returns
    -------
    pandas.DataFrame
        One row: ``epochs`` (epochs trained), the last epoch's value of
        ``loss``, each metric and each ``val_*`` column, ``n_params``,
        ``n_trainable_params``, ``n_layers`` and ``fit_time`` (seconds of the
        last training call).

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS  # the getting-started blocks
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), [0, 1, 2] * 10
    >>> est = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, random_state=0).fit(X, y)
    >>> kerasnip.glance(est).columns.tolist()
    ['epochs', 'loss', 'accuracy', 'n_params', 'n_trainable_params', 'n_layers', 'fit_time']
    """
    est, _ = unwrap(est)
    model = extract_keras_model(est)
    history = extract_keras_history(est)
    row: dict[str, Any] = {"epochs": len(history)}
    last = history.iloc[-1] if len(history) else None
    for column in history.columns:
        if column != "epoch":
            row[column] = float(last[column]) if last is not None else np.nan
    row["n_params"] = int(model.count_params())
    row["n_trainable_params"] = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    row["n_layers"] = len(model.layers)
    row["fit_time"] = float(getattr(est, "fit_time_", np.nan))
    return pd.DataFrame([row])
