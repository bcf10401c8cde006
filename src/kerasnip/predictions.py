"""Predictions as tables: every ``.pred*`` column name kerasnip writes is made here.

Names follow the R package (parsnip): ``.pred_class``, ``.pred_{class}``,
``.pred``, ``.pred_lower`` / ``.pred_upper``; a target of ``k >= 2`` columns names
its columns after a DataFrame y's columns, else ``1..k``; one column is ``.pred``
whatever the shape of y.

A multi-output model puts the output block's name in each column, always in the
same place: right after the column's kind (``.pred_class``, ``.pred``,
``.pred_lower``, ``.pred_upper``) and before any class or column suffix. So per
head ``out``:

========================  ===================================================
classification head       ``.pred_class_{out}``; ``.pred_{out}_{class}``;
                          ``.pred_lower_{out}_{class}``, ``.pred_upper_{out}_{class}``
regression head           ``.pred_{out}``, ``.pred_lower_{out}``, ``.pred_upper_{out}``
``k``-column head         ``.pred_{out}_{j}``, ``.pred_lower_{out}_{j}``, ...
========================  ===================================================

``predict_table``, ``interval_table`` and tuning's fold predictions
(``fold_predictions``) all use these names. The R package names class
probabilities the same way (``.pred_{out}_{class}``) but puts the head last in
classification intervals (``.pred_lower_{class}_{out}``); kerasnip keeps the one
order, so that ``.pred_lower_{out}_{class}`` lines up with ``.pred_{out}_{class}``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from kerasnip import intervals
from kerasnip._utils import did_you_mean
from kerasnip.encoding.targets import HEAD_KINDS
from kerasnip.pipelines import unwrap

PREDICT_TYPES = {
    "classification": ("class", "prob", "conf_int", "pred_int"),
    "regression": ("numeric", "conf_int", "pred_int"),
}
INTERVAL_TYPES = intervals.INTERVAL_TYPES


def column_suffixes(names: list[str] | None, k: int) -> list[str]:
    """Suffixes naming the k columns of a vector output: y's column names, else 1..k.

    Parameters
    ----------
    names : list of str or None
        The column names of a DataFrame y (``target_names_``).
    k : int
        The output's number of columns.

    Returns
    -------
    list of str
        ``names`` when there are ``k`` of them, else ``"1"`` ... ``"k"`` (as R
        numbers columns).
    """
    return list(names) if names is not None and len(names) == k else [
        str(j) for j in range(1, k + 1)
    ]


def is_multi_output(estimator: Any) -> bool:
    """Whether ``estimator`` is a fitted multi-output kerasnip model.

    Parameters
    ----------
    estimator : object
        Any estimator.

    Returns
    -------
    bool
    """
    return isinstance(getattr(estimator, "heads_", None), dict)


# --------------------------------------------------------------------------- predict_table


def predict_table(est: Any, X: Any, type: str | None = None,
                  level: float = 0.95, **kwargs: Any) -> pd.DataFrame:
    """Predictions as a DataFrame with the R package's (parsnip's) column names.

    Parameters
    ----------
    est : fitted kerasnip estimator
        A fitted estimator, or a fitted Pipeline ending in one (X goes through
        its steps first).
    X : array-like, DataFrame or dict
        Inputs in any form ``fit`` accepts.
    type : {"class", "prob", "numeric", "conf_int", "pred_int"}, default=None
        ``"class"``: ``.pred_class`` (labels, in the type given to fit).
        ``"prob"``: ``.pred_{class}`` per class, in the order of ``classes_``.
        ``"numeric"``: ``.pred`` for one column (whatever y's shape); a
        regressor fitted on a ``k``-column y (``k >= 2``) gives ``.pred_{column}``
        per column of a DataFrame y, else ``.pred_1`` ... ``.pred_k`` (1-based,
        as R numbers columns).
        ``"conf_int"`` / ``"pred_int"``: intervals from ``interval_table``
        (``.pred_lower`` / ``.pred_upper``, see there). None gives ``"class"``
        for classifiers and ``"numeric"`` for regressors. Multi-output models
        name every column after its output block (``.pred_class_{out}``,
        ``.pred_{out}_{class}``, ``.pred_{out}``) and by default give each head
        its own type (see ``head_prediction_table``).
    level : float, default=0.95
        Coverage of the intervals (interval types only).
    **kwargs : dict
        Passed to ``interval_table`` (``n_draws``, ``seed``, ``joint``).

    Returns
    -------
    pandas.DataFrame
        One row per sample; a DataFrame ``X`` keeps its index.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS  # the getting-started blocks
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), [0, 1, 2] * 10
    >>> est = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, random_state=0).fit(X, y)
    >>> kerasnip.predict_table(est, X[:3])
       .pred_class
    0            ...
    1            ...
    2            ...
    >>> kerasnip.predict_table(est, X[:3], type="prob").columns.tolist()
    ['.pred_0', '.pred_1', '.pred_2']
    >>> kerasnip.predict_table(est, X[:3], type="conf_int", level=0.9).columns.tolist()[:2]
    ['.pred_lower_0', '.pred_upper_0']
    """
    index = X.index if isinstance(X, pd.DataFrame) else None
    est, X = unwrap(est, X)
    check_is_fitted(est, "model_")
    if type in INTERVAL_TYPES:
        _check_interval_options(kwargs)
        table = interval_table(est, X, type=type, level=level, **kwargs)
    elif kwargs:
        raise TypeError(
            f"predict_table(type={type!r}) takes no extra arguments; {sorted(kwargs)} apply to "
            "the interval types 'conf_int' and 'pred_int' only."
        )
    elif is_multi_output(est):
        # Heads may mix classification and regression, so the head table picks
        # (and checks) each head's type.
        table = head_prediction_table(est, X, type=type)
    else:
        table = pd.DataFrame(_single_output_columns(est, X, _check_type(est, type)))
    if index is not None:
        table.index = index
    return table


def _check_interval_options(kwargs: Mapping[str, Any]) -> None:
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
    if values.ndim == 1 or values.shape[1] == 1:  # one column, whatever y's shape
        return {".pred": values.reshape(-1)}
    suffixes = column_suffixes(getattr(est, "target_names_", None), values.shape[1])
    return {f".pred_{s}": values[:, j] for j, s in enumerate(suffixes)}


def head_prediction_table(estimator: Any, X: Any, type: str | None = None) -> pd.DataFrame:
    """Predictions of a multi-output model with the R package's per-head column names.

    Parameters
    ----------
    estimator : MultiOutputEstimator
        A fitted multi-output model.
    X : dict or DataFrame
        Inputs.
    type : {None, "class", "prob", "numeric"}, default=None
        ``"class"``: ``.pred_class_{out}`` per classification head; ``"prob"``:
        ``.pred_{out}_{level}`` per class of each classification head;
        ``"numeric"``: ``.pred_{out}`` per regression head (``.pred_{out}_{j}``,
        ``j = 1..k``, for a ``k``-column head). None gives every head its natural
        type (class for classification heads, numeric for regression heads).

    Returns
    -------
    pandas.DataFrame
        One row per sample, heads in output-block order.
    """
    if not is_multi_output(estimator):
        raise ValueError("head_prediction_table() needs a fitted multi-output model.")
    if type not in _HEAD_TYPES:
        raise ValueError(
            f"Unknown prediction type {type!r}."
            f"{did_you_mean(str(type), [k for k in _HEAD_TYPES if k])}"
            " For a multi-output model use 'class', 'prob', 'numeric' or None."
        )
    if not any(head.kind in _HEAD_TYPES[type] for head in estimator.heads_.values()):
        kind = _HEAD_TYPES[type][0]
        raise ValueError(
            f"type={type!r} needs a {kind} output, and this model has none; its outputs are "
            f"{ {name: head.kind for name, head in estimator.heads_.items()} }."
        )
    return pd.DataFrame(_head_columns(estimator, estimator._predict_heads(X), type))


# Prediction type -> the kinds of head it applies to.
_HEAD_TYPES: dict[str | None, tuple[str, ...]] = {
    None: HEAD_KINDS, "class": ("classification",), "prob": ("classification",),
    "numeric": ("regression",)}


def _head_columns(estimator: Any, raw: dict[str, Any], type: str | None) -> dict[str, Any]:
    """The ``type`` columns of every head it applies to, from the heads' raw outputs."""
    columns: dict[str, Any] = {}
    for name, head in estimator.heads_.items():
        if head.kind not in _HEAD_TYPES[type]:
            continue
        if type == "prob":
            proba = head.probabilities(raw[name])
            for j, level in enumerate(head.classes):
                columns[f".pred_{name}_{level}"] = proba[:, j]
        elif head.kind == "classification":
            columns[f".pred_class_{name}"] = head.decode(raw[name])
        elif head.width == 1:
            columns[f".pred_{name}"] = head.decode(raw[name]).reshape(-1)
        else:
            values = head.decode(raw[name])
            for j in range(values.shape[1]):
                columns[f".pred_{name}_{j + 1}"] = values[:, j]
    return columns


# --------------------------------------------------------------------------- intervals


def interval_table(est: Any, X: Any, *, type: str, level: float = 0.95,
                   n_draws: int = intervals.DEFAULT_DRAWS, seed: int | None = None,
                   joint: bool = False) -> pd.DataFrame:
    """Laplace intervals as a table with the R package's column names.

    Regression gives ``.pred``, ``.pred_lower``, ``.pred_upper`` (a k-valued
    output gives ``.pred_{j}``, ``.pred_lower_{j}``, ``.pred_upper_{j}`` with
    ``j`` the column names of a DataFrame y, else ``1..k``); classification
    gives ``.pred_lower_{class}`` and ``.pred_upper_{class}`` per class.
    Multi-output models put the output's name right after
    ``.pred``/``.pred_lower``/``.pred_upper`` (``.pred_lower_{out}_{class}``,
    ``.pred_lower_{out}``; see the module docstring).

    Parameters
    ----------
    est : KerasRegressor or KerasClassifier
        A fitted kerasnip estimator whose outputs come from Dense layers.
    X : array-like or DataFrame
        Inputs, in the same form as during fit.
    type : {"conf_int", "pred_int"}
        ``"conf_int"``: uncertainty of the mean; for classifiers, of each class's
        probability (its central ``level`` quantiles over posterior draws).
        ``"pred_int"``: of a new observation. Regression adds the fitted noise.
        Classification gives, per class ``c``, the central interval of the new
        observation's indicator ``1{y = c}``, whose posterior-predictive
        distribution is Bernoulli(``pbar_c``), ``pbar_c`` being the mean of
        ``c``'s probability over the posterior draws: ``.pred_lower_{c}`` is 1
        when ``pbar_c > (1 + level) / 2`` (the class is all but certain) and 0
        otherwise, ``.pred_upper_{c}`` is 0 when ``pbar_c <= (1 - level) / 2``
        (all but excluded) and 1 otherwise. These are the quantiles the R package
        (like parsnip's Stan engines) estimates from categorical draws. They are
        not intervals of the probability, so they need not contain the
        ``"conf_int"`` bounds: a confident row's predicted class gets ``[1, 1]``.
    level : float, default=0.95
        Coverage probability of each interval.
    n_draws : int, default=1000
        Monte Carlo draws (classification, and ``joint=True``).
    seed : int, default=None
        Seed of the draws; by default the estimator's integer ``random_state``.
    joint : bool, default=False
        Regression only: simultaneous bands that hold for all of a row's
        outputs at once with probability ``level`` (e.g. a whole multi-step
        forecast), computed from joint draws; ``False`` gives per-output bands.

    Returns
    -------
    pandas.DataFrame
        One row per row of ``X`` (keeping a DataFrame's index).

    Examples
    --------
    >>> interval_table(clf, X_new, type="conf_int", level=0.9)  # doctest: +SKIP
    >>> interval_table(clf, X_new, type="pred_int")  # 0/1 bounds per class  # doctest: +SKIP
    """
    frame_index = X.index if isinstance(X, pd.DataFrame) else None
    est, X = unwrap(est, X)
    bounds, index = intervals.interval_bounds(est, X, type=type, level=level, n_draws=n_draws,
                                              seed=seed, joint=joint)
    index = index if frame_index is None else frame_index
    columns: dict[str, np.ndarray] = {}
    for output in bounds:
        columns.update(_interval_columns(est, output))
    return pd.DataFrame(columns, index=index)


def _interval_columns(est: Any, bounds: intervals.Bounds) -> dict[str, np.ndarray]:
    head = bounds.head
    out = f"_{head.name}" if head.name is not None else ""
    columns = {}
    if head.task == "classification":
        classes = est.classes_[head.name] if isinstance(est.classes_, dict) else est.classes_
        for j, label in enumerate(classes):
            columns[f".pred_lower{out}_{label}"] = bounds.lower[:, j]
            columns[f".pred_upper{out}_{label}"] = bounds.upper[:, j]
        return columns
    assert bounds.mean is not None  # regression bounds have their centre
    for j, suffix in enumerate(_coordinates(est, head)):
        columns[f".pred{out}{suffix}"] = bounds.mean[:, j]
        columns[f".pred_lower{out}{suffix}"] = bounds.lower[:, j]
        columns[f".pred_upper{out}{suffix}"] = bounds.upper[:, j]
    return columns


def _coordinates(est: Any, head: intervals.HeadPosterior) -> list[str]:
    """Column suffixes of a regression head: none for a 1-D target, else y's column
    names or ``_1 .. _k`` (as predict_table names a k-column target)."""
    if head.weights.shape[1] == 1:
        return [""]
    names = getattr(est, "target_names_", None) if head.name is None else None
    return ["_" + s for s in column_suffixes(names, head.weights.shape[1])]


# --------------------------------------------------------------------------- tuning


def fold_predictions(estimator: Any, X: Any, rows: np.ndarray) -> pd.DataFrame:
    """One fold's assessment-set predictions, as :meth:`TuneResults.collect_predictions`
    keeps them: the columns :func:`predict_table` names, probabilities included.

    Parameters
    ----------
    estimator : fitted kerasnip estimator
        The fold's model.
    X : array-like, DataFrame or dict
        The fold's assessment rows.
    rows : ndarray of int
        Their positions in the data given to ``tune_grid``.

    Returns
    -------
    pandas.DataFrame
        ``.row``, then the class probabilities (``.pred_{class}``, or
        ``.pred_{out}_{class}`` per classification head) where there are any,
        then the ``predict_table`` of the natural type (``.pred_class``,
        ``.pred``, ``.pred_{column}``, or one set per head).
    """
    if is_multi_output(estimator):
        # One predict for both tables.
        raw = estimator._predict_heads(X)
        frame = pd.DataFrame({**_head_columns(estimator, raw, "prob"),
                              **_head_columns(estimator, raw, None)})
    elif is_classifier(estimator):
        # One predict: the class is the most probable one, decoded as predict decodes it.
        frame = predict_table(estimator, X, type="prob").reset_index(drop=True)
        frame[".pred_class"] = estimator.encoder_.decode(frame.to_numpy().argmax(axis=1))
    else:
        frame = predict_table(estimator, X).reset_index(drop=True)
    frame.insert(0, ".row", rows)
    return frame
