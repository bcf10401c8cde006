"""One fold of a search: its data as the model takes it, and the records of its scores.

Shared by every search method and by both ways of training a fold (one Keras fit
per fold, or the tuning engine's lanes, :mod:`kerasnip.tuning._lanes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import check_scoring

from kerasnip._compat import safe_indexing
from kerasnip._utils import error_message
from kerasnip.pipelines import InverseTransformed, fit_target, steps_before_model, target_regressor
from kerasnip.predictions import fold_predictions


@dataclass
class FoldData:
    """A fold's training and assessment sets as the model takes them.

    ``y_model`` is the training targets the model is fitted on (transformed by a
    TransformedTargetRegressor, whose fitted transformer is ``target``; None
    without one); ``y_test`` is on y's own scale.
    """

    X_train: Any
    y_model: Any
    X_test: Any
    y_test: Any
    target: Any


def fold_data(estimator: Any, X: Any, y: Any, train: np.ndarray, test: np.ndarray, fold: int,
              preprocessing: tuple[str, str]) -> FoldData:
    """The fold's :class:`FoldData`: targets and a Pipeline's steps before the model
    fitted on the training rows only (see :func:`fold_inputs`)."""
    y_train, y_test = take(y, train), take(y, test)
    y_model, target = fold_targets(estimator, y_train)
    X_train, X_test = fold_inputs(estimator, X, (y_train, y_model), train, test, fold,
                                  preprocessing)
    return FoldData(X_train, y_model, X_test, y_test, target)


def largest_first(members: list[tuple[int, int | None]]
                  ) -> tuple[list[tuple[int, int | None]], int | None]:
    """A fold's ``(config, epochs)`` members, the largest epoch count first, and that count
    (None for a plain fit): the one count the fold is trained to."""
    members = sorted(members, key=lambda m: -(m[1] or 0))
    return members, members[0][1]


def score_members(model: Any, data: FoldData, test: np.ndarray, fold: int,
                  members: list[tuple[int, int | None]], scorers: dict, save_pred: bool,
                  fit_time: float, restore: Callable[[int], bool]) -> list[dict]:
    """The records of a fitted fold's configurations.

    ``members`` is ``[(config, None)]`` for a plain fit, or ``(config, epochs)``
    pairs largest first for the epochs trick: the model was trained to the
    largest count, and ``restore(epochs)`` sets the weights it had at the end of
    a smaller one (False when training stopped before it).
    """
    records = []
    largest = members[0][1]
    for config, epochs in members:
        if epochs is not None and epochs != largest and not restore(epochs):
            records.append(fold_record(config, fold, scorers, fit_time=fit_time,
                                       error=f"training stopped before epoch {epochs}"))
            continue
        records.append(score_fold(model, data.X_test, data.y_test, test, config, fold,
                                  scorers, save_pred, fit_time, data.target))
    return records


def score_fold(model: Any, X_test: Any, y_test: Any, test: np.ndarray, config: int, fold: int,
               scorers: dict, save_pred: bool, fit_time: float, target: Any = None) -> dict:
    """The record of a fitted model on its fold's assessment set: every metric, and the
    predictions when ``save_pred``; a metric that fails is NaN plus its message. With a
    fitted target transformer (``target``), predictions are scored and kept on y's scale."""
    scored = model if target is None else InverseTransformed(model, target)
    metrics, errors = _score(scored, X_test, y_test, scorers)
    predictions = None
    if save_pred:
        try:
            predictions = fold_predictions(model, X_test, test)
            if target is not None:
                columns = [c for c in predictions.columns if c != ".row"]
                values = predictions[columns].to_numpy(dtype=float)
                predictions[columns] = target.inverse_transform(values)
        except Exception as exc:
            errors.append(f"predictions: {error_message(exc)}")
    return fold_record(config, fold, scorers, metrics=metrics, error="; ".join(errors) or None,
                       fit_time=fit_time, predictions=predictions)


# Per process: the fitted preprocessing's output for the folds of the last preprocessing
# configuration seen (tasks that share one run one after the other).
_preprocessed: dict[tuple[tuple[str, str], int], tuple[Any, Any]] = {}


def clear_preprocessed() -> None:
    """Forget this process's preprocessed folds (a search that ends calls it)."""
    _preprocessed.clear()


def fold_inputs(estimator: Any, X: Any, y_train: tuple[Any, Any], train: np.ndarray,
                test: np.ndarray, fold: int, preprocessing: tuple[str, str]) -> tuple[Any, Any]:
    """The fold's training and assessment inputs as the model takes them: a Pipeline's
    steps before the model fitted on the training rows only (and cached), else the rows.

    ``y_train`` is the fold's training targets as given and as the model takes them
    (transformed by a TransformedTargetRegressor): each step is fitted on the ones it
    would see in a plain ``fit``.
    """
    X_train, X_test = take(X, train), take(X, test)
    steps = steps_before_model(estimator)
    if not steps:
        return X_train, X_test
    key = (preprocessing, fold)
    if key not in _preprocessed:
        for other in [k for k in _preprocessed if k[0] != preprocessing]:
            del _preprocessed[other]
        for step, transformed in steps:
            step = clone(step)
            X_train = step.fit_transform(X_train, y_train[transformed])
            X_test = step.transform(X_test)
        _preprocessed[key] = (X_train, X_test)
    return _preprocessed[key]


def fold_targets(estimator: Any, y_train: Any) -> tuple[Any, Any]:
    """The fold's training targets as the model takes them, and the fitted target
    transformer of a TransformedTargetRegressor (None without one)."""
    regressor = target_regressor(estimator)
    if regressor is None:
        return y_train, None
    target, y_model = fit_target(regressor, y_train)
    return y_model, target


def fold_record(config: int, fold: int, scorers: dict, *, metrics: dict | None = None,
                error: str | None = None, fit_time: float = float("nan"),
                predictions: pd.DataFrame | None = None) -> dict:
    return {
        "config": config,
        "fold": fold,
        "metrics": metrics or dict.fromkeys(scorers, float("nan")),
        "error": error,
        "fit_time": fit_time,
        "predictions": predictions,
    }


def _score(estimator: Any, X: Any, y: Any, scorers: dict) -> tuple[dict[str, float], list[str]]:
    """Every metric on one assessment set; a metric that fails is NaN plus its message.

    scikit-learn's multi-metric scorer predicts once for all the metrics that need
    the same predictions.
    """
    scoring = check_scoring(estimator, scoring=scorers, raise_exc=False)
    values, errors = {}, []
    for name, value in scoring(estimator, X, y).items():
        if isinstance(value, str):  # the formatted traceback of the metric's failure
            values[name] = float("nan")
            errors.append(f"{name}: {value.strip().splitlines()[-1]}")
        else:
            values[name] = float(value)
    return values, errors


def take(data: Any, index: np.ndarray) -> Any:
    if isinstance(data, Mapping):
        return {key: take(value, index) for key, value in data.items()}
    return safe_indexing(data, index)
