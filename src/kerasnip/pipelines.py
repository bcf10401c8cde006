"""Pipelines whose last step is a kerasnip estimator (tidymodels' workflows).

The features that work on a fitted estimator (inspection, tables, intervals,
plots) take a fitted :class:`~sklearn.pipeline.Pipeline` too: :func:`unwrap`
finds the kerasnip estimator at its end and passes X through the fitted steps
before it. Tuning takes an unfitted one: :func:`final_step` says which
parameters (``step__param``) belong to the kerasnip estimator, so that each
fold fits the preprocessing once per preprocessing configuration and the
architectures train on its output. A
:class:`~sklearn.compose.TransformedTargetRegressor` around the model (or
around a Pipeline ending in it) transforms y the same way: fitted on each
fold's training targets (:func:`fit_target`), the model trained on the
transformed targets and scored on the original scale (:class:`InverseTransformed`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted

from kerasnip.estimators.base import KerasEstimator


def final_step(obj: Any) -> tuple[KerasEstimator | None, str]:
    """The kerasnip estimator at the end of ``obj`` and the prefix of its parameters.

    Parameters
    ----------
    obj : object
        A kerasnip estimator, or a (possibly nested) Pipeline ending in one,
        or a TransformedTargetRegressor around either.

    Returns
    -------
    estimator : KerasEstimator or None
        None when ``obj`` is neither.
    prefix : str
        ``""`` for the estimator itself, else ``"step__"`` (nested:
        ``"outer__inner__"``, ``"regressor__"`` inside a
        TransformedTargetRegressor): its parameters in ``obj.get_params()``.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> final_step(Pipeline([("scale", StandardScaler()), ("model", StandardScaler())]))
    (None, '')
    """
    if isinstance(obj, KerasEstimator):
        return obj, ""
    if isinstance(obj, Pipeline) and obj.steps:
        name, last = obj.steps[-1]
        inner, prefix = final_step(last)
        return (inner, f"{name}__{prefix}") if inner is not None else (None, "")
    if isinstance(obj, TransformedTargetRegressor) and obj.regressor is not None:
        inner, prefix = final_step(obj.regressor)
        return (inner, f"regressor__{prefix}") if inner is not None else (None, "")
    return None, ""


def steps_before_model(obj: Any) -> list[tuple[Any, bool]]:
    """The transformers applied to X before the kerasnip estimator, in order.

    Parameters
    ----------
    obj : object
        A kerasnip estimator, Pipeline or TransformedTargetRegressor (see
        :func:`final_step`).

    Returns
    -------
    list of (transformer, bool)
        Each unfitted step, and whether it is fitted on the transformed
        targets (it sits inside a TransformedTargetRegressor) or the original ones.
    """

    def walk(part: Any, transformed: bool) -> list[tuple[Any, bool]]:
        if isinstance(part, Pipeline) and part.steps:
            steps = [(step, transformed) for _, step in part.steps[:-1]
                     if step not in (None, "passthrough")]
            return steps + walk(part.steps[-1][1], transformed)
        if isinstance(part, TransformedTargetRegressor):
            return walk(part.regressor, True)
        return []

    return walk(obj, False)


def target_regressor(obj: Any) -> TransformedTargetRegressor | None:
    """The TransformedTargetRegressor around the kerasnip estimator of ``obj``, if any.

    Parameters
    ----------
    obj : object
        See :func:`final_step`.

    Returns
    -------
    TransformedTargetRegressor or None
    """
    found = []
    part = obj
    while True:
        if isinstance(part, TransformedTargetRegressor):
            found.append(part)
            part = part.regressor
        elif isinstance(part, Pipeline) and part.steps:
            part = part.steps[-1][1]
        else:
            break
    if len(found) > 1:
        raise ValueError("Tuning takes at most one TransformedTargetRegressor around a kerasnip "
                         "estimator; combine the target transformations into one transformer.")
    return found[0] if found else None


def fit_target(regressor: TransformedTargetRegressor, y: Any) -> tuple[Any, Any]:
    """Fit ``regressor``'s target transformation on ``y``, as its ``fit`` would.

    Parameters
    ----------
    regressor : TransformedTargetRegressor
        Its ``transformer``, or ``func`` and ``inverse_func``, are used.
    y : array-like of shape (n,) or (n, k)
        The training targets.

    Returns
    -------
    transformer : fitted transformer
        With ``inverse_transform`` for the predictions.
    y_transformed : ndarray
        The targets the model trains on, shaped like ``y``.

    Examples
    --------
    >>> regressor = TransformedTargetRegressor(func=np.log, inverse_func=np.exp)
    >>> transformer, y_log = fit_target(regressor, np.array([1.0, np.e]))
    >>> y_log
    array([0., 1.])
    """
    if regressor.transformer is not None and (regressor.func is not None
                                              or regressor.inverse_func is not None):
        raise ValueError("TransformedTargetRegressor takes either a transformer or func and "
                         "inverse_func, not both.")
    transformer = (clone(regressor.transformer) if regressor.transformer is not None else
                   FunctionTransformer(func=regressor.func, inverse_func=regressor.inverse_func,
                                       validate=True, check_inverse=regressor.check_inverse))
    y = np.asarray(y, dtype=float)
    transformed = np.asarray(transformer.fit_transform(y.reshape(len(y), -1)))
    if y.ndim == 1:
        transformed = transformed.reshape(len(y))
    return transformer, transformed


class InverseTransformed(RegressorMixin, BaseEstimator):
    """A fitted regressor whose predictions are mapped back to the original target scale.

    What a fitted TransformedTargetRegressor predicts, made from a model
    fitted on transformed targets and the fitted transformer, without refitting
    (or cloning) the model.

    Parameters
    ----------
    model : fitted regressor
        Predicts transformed targets.
    transformer : fitted transformer
        The one the targets were transformed with (see :func:`fit_target`).

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> transformer, y_log = fit_target(
    ...     TransformedTargetRegressor(func=np.log, inverse_func=np.exp), np.array([1.0, np.e]))
    >>> model = LinearRegression().fit([[0.0], [1.0]], y_log)
    >>> InverseTransformed(model, transformer).predict([[1.0]]).round(4)
    array([2.7183])
    """

    def __init__(self, model: Any, transformer: Any):
        self.model = model
        self.transformer = transformer

    def fit(self, X: Any, y: Any) -> InverseTransformed:
        """Refit the model on ``y`` transformed by the (already fitted) transformer.

        Parameters
        ----------
        X : array-like
            Inputs the model takes.
        y : array-like
            Targets on the original scale.

        Returns
        -------
        self
        """
        y = np.asarray(y, dtype=float)
        transformed = np.asarray(self.transformer.transform(y.reshape(len(y), -1)))
        self.model.fit(X, transformed.reshape(y.shape) if y.ndim == 1 else transformed)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions on the original target scale.

        Parameters
        ----------
        X : array-like
            Inputs the model takes.

        Returns
        -------
        ndarray
            Shaped like the model's predictions.
        """
        predicted = np.asarray(self.model.predict(X))
        values = np.asarray(self.transformer.inverse_transform(
            predicted.reshape(len(predicted), -1)))
        return values.reshape(predicted.shape)

    def __sklearn_is_fitted__(self) -> bool:
        return True


def check_tunable(obj: Any, caller: str) -> KerasEstimator:
    """The kerasnip estimator ``obj`` ends in, or a ``TypeError`` saying what is needed.

    Parameters
    ----------
    obj : object
        What was given to a tuning function.
    caller : str
        The function's name, for the message.

    Returns
    -------
    KerasEstimator
    """
    final, _ = final_step(obj)
    if final is None or isinstance(obj, type) or final.kerasnip_spec is None:
        what = (f"a Pipeline whose last step is {type(obj.steps[-1][1]).__name__}"
                if isinstance(obj, Pipeline) and obj.steps else
                f"the class {obj.__name__}" if isinstance(obj, type) else type(obj).__name__)
        raise TypeError(
            f"{caller}() needs an instance of a kerasnip spec, e.g. "
            "my_spec(hidden_units=kerasnip.tune()), or a scikit-learn Pipeline ending in "
            f"one; got {what}."
        )
    return final


def unwrap(est: Any, X: Any = None) -> tuple[Any, Any]:
    """The kerasnip estimator of a fitted estimator or Pipeline, and X as it sees X.

    Parameters
    ----------
    est : fitted kerasnip estimator or Pipeline ending in one
        Or a fitted TransformedTargetRegressor around either, for the helpers
        that take no X (the model, its history, its summary). Anything else is
        returned as it is.
    X : array-like, default=None
        Inputs in the form ``est`` takes; transformed by the Pipeline's
        fitted steps before the kerasnip estimator.

    Returns
    -------
    estimator : object
        The kerasnip estimator (or ``est`` itself).
    X : object
        The inputs it takes (None when X was None).

    Raises
    ------
    TypeError
        For a TransformedTargetRegressor with X: the kerasnip estimator's
        predictions are on the transformed scale, not y's.
    """
    if isinstance(est, TransformedTargetRegressor) and final_step(est)[0] is not None:
        check_is_fitted(est)
        if X is not None:
            raise TypeError(
                "This helper computes predictions, and the model inside a "
                "TransformedTargetRegressor predicts transformed targets, not y. Use "
                "est.predict(X) for predictions on y's scale, or pass est.regressor_ to "
                "work on the transformed scale.")
        return unwrap(est.regressor_, None)
    if not isinstance(est, Pipeline):
        return est, X
    final, _ = final_step(est)
    if final is None:
        return est, X
    check_is_fitted(est)
    if X is not None and len(est.steps) > 1:
        X = est[:-1].transform(X)
    inner, X = unwrap(est.steps[-1][1], X)
    return inner, X
