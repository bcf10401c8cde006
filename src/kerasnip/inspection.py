"""Looking at fitted estimators: the Keras model, its history, evaluation and tidy tables.

Names follow the R package: :func:`predict_table` returns parsnip's column
names (``.pred_class``, ``.pred_{class}``, ``.pred``, ``.pred_lower`` /
``.pred_upper``) and :func:`tidy` / :func:`glance` follow broom's idea of one
row per component and one row per model.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from kerasnip import data
from kerasnip._utils import did_you_mean

PREDICT_TYPES = {
    "classification": ("class", "prob", "conf_int", "pred_int"),
    "regression": ("numeric", "conf_int", "pred_int"),
}
INTERVAL_TYPES = ("conf_int", "pred_int")


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
    """
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
    """
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
    sample_weight : array-like of shape (n,), optional
        Per-sample weights.
    batch_size : int, optional
        Defaults to the estimator's ``fit_batch_size`` (else 32).

    Returns
    -------
    dict of str to float
        ``{"loss": ..., "<metric>": ...}`` with Keras's metric names (the same
        names as the history's columns), loss first.

    Examples
    --------
    >>> kerasnip.keras_evaluate(est, X_test, y_test)   # doctest: +SKIP
    {'loss': 0.071, 'accuracy': 0.98}
    """
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
    """
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


def predict_table(est: Any, X: Any, type: str | None = None,
                  level: float = 0.95, **kwargs: Any) -> pd.DataFrame:
    """Predictions as a DataFrame with the R package's (parsnip's) column names.

    Parameters
    ----------
    est : fitted kerasnip estimator
        A fitted estimator.
    X : array-like, DataFrame or dict
        Inputs in any form ``fit`` accepts.
    type : {"class", "prob", "numeric", "conf_int", "pred_int"}, optional
        ``"class"``: ``.pred_class`` (labels, in the type given to fit).
        ``"prob"``: ``.pred_{class}`` per class, in the order of ``classes_``.
        ``"numeric"``: ``.pred``; a regressor fitted on a ``k``-column y gives
        ``.pred_{column}`` per column of a DataFrame y, else ``.pred_1`` ...
        ``.pred_k`` (1-based, as R numbers columns).
        ``"conf_int"`` / ``"pred_int"``: intervals from
        :func:`kerasnip.intervals.interval_table` (``.pred_lower`` /
        ``.pred_upper``, see there). Defaults to ``"class"`` for classifiers
        and ``"numeric"`` for regressors. Multi-output models name every
        column after its output block (``.pred_class_{out}``,
        ``.pred_{out}_{class}``, ``.pred_{out}``) and by default give each
        head its own type (see :func:`kerasnip.multi_io.head_prediction_table`).
    level : float, default=0.95
        Coverage of the intervals (interval types only).
    **kwargs
        Passed to :func:`kerasnip.intervals.interval_table` (e.g. ``n_draws``,
        ``seed``, ``joint``).

    Returns
    -------
    pandas.DataFrame
        One row per sample; a DataFrame ``X`` keeps its index.

    Examples
    --------
    >>> kerasnip.predict_table(est, X_test, type="prob").head()   # doctest: +SKIP
    """
    check_is_fitted(est, "model_")
    if type in INTERVAL_TYPES:
        from kerasnip.intervals import interval_table

        _check_interval_options(interval_table, kwargs)
        return interval_table(est, X, type=type, level=level, **kwargs)
    if kwargs:
        raise TypeError(
            f"predict_table(type={type!r}) takes no extra arguments; {sorted(kwargs)} apply to "
            "the interval types 'conf_int' and 'pred_int' only."
        )
    index = X.index if isinstance(X, pd.DataFrame) else None
    if getattr(est, "heads_", None) is not None:
        # A multi-output functional model: heads may mix classification and
        # regression, so the head table picks (and checks) each head's type.
        from kerasnip.multi_io import head_prediction_table

        table = head_prediction_table(est, X, type=type)
    else:
        table = pd.DataFrame(_single_output_columns(est, X, _check_type(est, type)))
    if index is not None:
        table.index = index
    return table


def _check_interval_options(interval_table: Any, kwargs: Mapping[str, Any]) -> None:
    # Python's own message would name interval_table, which the user never called.
    options = [name for name, param in inspect.signature(interval_table).parameters.items()
               if param.kind is inspect.Parameter.KEYWORD_ONLY and name not in ("type", "level")]
    for name in kwargs:
        if name not in options:
            raise TypeError(
                f"predict_table got an unknown argument {name!r}.{did_you_mean(name, options)} "
                f"The interval types take {options} besides type and level."
            )


def _check_type(est: Any, type: str | None) -> str:
    mode = "classification" if is_classifier(est) else "regression"
    if type is None:
        return "class" if mode == "classification" else "numeric"
    if type not in PREDICT_TYPES[mode]:
        raise ValueError(
            f"Unknown prediction type {type!r} for a {mode} model."
            f"{did_you_mean(str(type), PREDICT_TYPES[mode])} Choose one of "
            f"{list(PREDICT_TYPES[mode])}."
        )
    return type


def _single_output_columns(est: Any, X: Any, type: str) -> dict[str, Any]:
    if type == "class":
        return {".pred_class": est.predict(X)}
    if type == "prob":
        names = [f".pred_{label}" for label in est.classes_]
        if len(set(names)) != len(names):
            raise ValueError(
                f"Classes {list(est.classes_)} give duplicate column names {names}; use "
                "est.predict_proba(X) (columns in the order of est.classes_) instead."
            )
        return dict(zip(names, est.predict_proba(X).T, strict=True))
    values = est.predict(X)
    if values.ndim == 1:
        return {".pred": values}
    suffixes = data.column_suffixes(getattr(est, "target_names_", None), values.shape[1])
    return {f".pred_{s}": values[:, j] for j, s in enumerate(suffixes)}
