"""One output of a fitted multi-output model, as an ordinary estimator or a scorer.

:func:`output_view` wraps one head so scikit-learn scorers, metrics and
post-processing tools written for one target work on it; :func:`head_scorer`
scores one head in :func:`kerasnip.tune_grid` or ``GridSearchCV``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import get_scorer

from kerasnip._utils import did_you_mean
from kerasnip.encoding.targets import split_targets
from kerasnip.predictions import is_multi_output


class _OutputView(BaseEstimator):
    """One head of a fitted multi-output model, as a single-output estimator."""

    def __init__(self, estimator: Any, output: str):
        self.estimator = estimator
        self.output = output

    def predict(self, X: Any) -> np.ndarray:
        """The head's predictions (labels or values)."""
        return self.estimator.predict(X)[self.output]


class _ClassifierOutputView(ClassifierMixin, _OutputView):
    @property
    def classes_(self) -> np.ndarray:
        return self.estimator.heads_[self.output].classes

    def predict_proba(self, X: Any) -> np.ndarray:
        """The head's class probabilities, columns in the order of ``classes_``."""
        return self.estimator.predict_proba(X)[self.output]


class _RegressorOutputView(RegressorMixin, _OutputView):
    pass


def output_view(estimator: Any, output: str) -> BaseEstimator:
    """One output of a fitted multi-output model as an ordinary single-output estimator.

    The view predicts (and, for a classification head, gives probabilities
    and ``classes_``) for that output only, so scikit-learn scorers, metrics
    and post-processing tools written for one target work on it. It shares
    the fitted model; nothing is copied or refitted.

    Parameters
    ----------
    estimator : MultiOutputEstimator
        A fitted multi-output model.
    output : str
        One of its output blocks.

    Returns
    -------
    estimator
        A classifier view for a classification head, a regressor view otherwise.

    Examples
    --------
    A model with a classification head ``kind`` and a regression head ``size``, named
    after y's columns:

    >>> import keras
    >>> def inputs(input_shape):
    ...     return keras.Input(shape=input_shape)
    >>> def hidden(x, units=8):
    ...     return keras.layers.Dense(units, activation="relu")(x)
    >>> def kind(hidden, num_classes):
    ...     return keras.layers.Dense(num_classes, activation="softmax")(hidden)
    >>> def size(hidden):
    ...     return keras.layers.Dense(1)(hidden)
    >>> two_heads = kerasnip.create_keras_functional_spec(
    ...     "two_heads", {"x": inputs, "hidden": hidden, "kind": kind, "size": size},
    ...     mode="regression")
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> y = pd.DataFrame({"kind": ["a", "b"] * 20, "size": X[:, 0]})
    >>> est = two_heads(fit_epochs=2, random_state=0).fit(X, y)
    >>> view = kerasnip.output_view(est, "kind")
    >>> view.classes_
    array(['a', 'b'], dtype=object)
    >>> view.predict_proba(X[:3]).shape
    (3, 2)
    """
    if not is_multi_output(estimator):
        raise ValueError("output_view() needs a fitted multi-output model.")
    if output not in estimator.heads_:
        raise ValueError(
            f"Unknown output {output!r}.{did_you_mean(str(output), estimator.heads_)} The "
            f"model's outputs are {list(estimator.heads_)}."
        )
    if estimator.heads_[output].kind == "classification":
        return _ClassifierOutputView(estimator, output)
    return _RegressorOutputView(estimator, output)


def head_scorer(output: str, metric: Any) -> Any:
    """A scorer ``scorer(estimator, X, y)`` that scores one output of a multi-output model.

    Use it for ``metrics`` in :func:`kerasnip.tune_grid` or ``scoring`` in
    ``GridSearchCV``, whose scorers otherwise expect a single output.

    Parameters
    ----------
    output : str
        The output block to score.
    metric : str or callable
        A scikit-learn scorer name (``"accuracy"``, ``"neg_log_loss"``,
        ``"r2"``, ``"neg_mean_absolute_error"``, ...) or a scorer
        ``scorer(estimator, X, y)``; it is applied to :func:`output_view` and
        ``y[output]``.

    Returns
    -------
    callable

    Examples
    --------
    A model with a classification head ``kind`` and a regression head ``size``, named
    after y's columns:

    >>> import keras
    >>> def inputs(input_shape):
    ...     return keras.Input(shape=input_shape)
    >>> def hidden(x, units=8):
    ...     return keras.layers.Dense(units, activation="relu")(x)
    >>> def kind(hidden, num_classes):
    ...     return keras.layers.Dense(num_classes, activation="softmax")(hidden)
    >>> def size(hidden):
    ...     return keras.layers.Dense(1)(hidden)
    >>> two_heads = kerasnip.create_keras_functional_spec(
    ...     "two_heads", {"x": inputs, "hidden": hidden, "kind": kind, "size": size},
    ...     mode="regression")
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> y = pd.DataFrame({"kind": ["a", "b"] * 20, "size": X[:, 0]})
    >>> est = two_heads(fit_epochs=2, random_state=0).fit(X, y)
    >>> score_kind = kerasnip.head_scorer("kind", "accuracy")
    >>> 0 <= score_kind(est, X, y) <= 1
    True

    In a tuning run, one metric per head:

    >>> metrics = {"kind_acc": kerasnip.head_scorer("kind", "accuracy"),
    ...            "size_r2": kerasnip.head_scorer("size", "r2")}
    >>> kerasnip.tune_grid(spec, X, y, grid=grid, metrics=metrics)  # doctest: +SKIP
    """
    scorer = get_scorer(metric) if isinstance(metric, str) else metric

    def score(estimator: Any, X: Any, y: Any) -> float:
        view = output_view(estimator, output)
        target = split_targets(y, tuple(estimator.heads_))[output]
        return float(scorer(view, X, target))

    score.__name__ = f"{output}_{metric if isinstance(metric, str) else 'score'}"
    return score
