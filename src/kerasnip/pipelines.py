"""Pipelines whose last step is a kerasnip estimator (tidymodels' workflows).

The features that work on a fitted estimator (inspection, tables, intervals,
plots) take a fitted :class:`~sklearn.pipeline.Pipeline` too: :func:`unwrap`
finds the kerasnip estimator at its end and passes X through the fitted steps
before it. Tuning takes an unfitted one: :func:`final_step` says which
parameters (``step__param``) belong to the kerasnip estimator, so that each
fold fits the preprocessing once per preprocessing configuration and the
architectures train on its output.
"""

from __future__ import annotations

from typing import Any

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from kerasnip.estimators.base import KerasEstimator


def final_step(obj: Any) -> tuple[KerasEstimator | None, str]:
    """The kerasnip estimator at the end of ``obj`` and the prefix of its parameters.

    Parameters
    ----------
    obj : object
        A kerasnip estimator, or a (possibly nested) Pipeline ending in one.

    Returns
    -------
    estimator : KerasEstimator or None
        None when ``obj`` is neither.
    prefix : str
        ``""`` for the estimator itself, else ``"step__"`` (nested:
        ``"outer__inner__"``): its parameters in ``obj.get_params()``.
    """
    if isinstance(obj, KerasEstimator):
        return obj, ""
    if isinstance(obj, Pipeline) and obj.steps:
        name, last = obj.steps[-1]
        inner, prefix = final_step(last)
        return inner, f"{name}__{prefix}"
    return None, ""


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
        Anything else is returned as it is.
    X : array-like, default=None
        Inputs in the form ``est`` takes; transformed by the Pipeline's
        fitted steps before the kerasnip estimator.

    Returns
    -------
    estimator : object
        The kerasnip estimator (or ``est`` itself).
    X : object
        The inputs it takes (None when X was None).
    """
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
