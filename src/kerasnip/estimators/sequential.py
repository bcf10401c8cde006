"""The single-output estimators: a classifier and a regressor.

Every sequential spec generates a subclass of one of them, and so does a
functional spec with one output (through :mod:`kerasnip.estimators.functional`).
They learn and encode y (:mod:`kerasnip.encoding.targets`), check the model's
output width against it, and decode predictions back into the user's terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted

from kerasnip.encoding import targets
from kerasnip.estimators.base import KerasEstimator


class KerasClassifier(ClassifierMixin, KerasEstimator):
    """Base class of generated classifiers (see :func:`create_keras_sequential_spec`).

    A spec made with ``mode="classification"`` is a subclass; its labels may be
    strings, integers or booleans, and ``classes_`` holds them in sorted order.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> issubclass(mlp, kerasnip.KerasClassifier)
    True
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), ["cat", "dog", "owl"] * 10
    >>> clf = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, random_state=0).fit(X, y)
    >>> clf.classes_
    array(['cat', 'dog', 'owl'], dtype='<U3')
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """

    _output_kind = "classification"

    def _learn_targets(self, y: Any, classes: Any = None) -> None:
        self.encoder_ = targets.ClassEncoder(classes).fit(y)
        self.classes_ = self.encoder_.classes
        # decided once the model's output width is known
        self.target_format_: str | None = None

    def _encode_targets(self, y: Any) -> np.ndarray:
        return self.encoder_.encode(y, self.target_format_)

    def _injected(self) -> dict[str, Any]:
        return {**super()._injected(), "num_classes": len(self.classes_)}

    def _check_output_width(self, model: Any) -> None:
        self.target_format_ = targets.classification_target_format(
            self._output_units(model), len(self.classes_), self.compile_loss
        )

    def _target_indices(self, y: np.ndarray) -> np.ndarray:
        """Class index per sample of an encoded target."""
        if self.target_format_ == "onehot":
            return y.argmax(axis=1)
        return y.reshape(-1).astype(int)

    def _class_sample_weight(self, class_weight: Any, y: np.ndarray,
                             sample_weight: np.ndarray | None) -> np.ndarray:
        index = self._target_indices(y)
        per_class = np.ones(len(self.classes_), dtype="float32")
        if isinstance(class_weight, str) and class_weight == "balanced":
            present = np.unique(index)
            per_class[present] = compute_class_weight("balanced", classes=present, y=index)
        elif isinstance(class_weight, Mapping):
            labels = list(class_weight)
            positions = self.encoder_.indices(labels, what="fit_class_weight")
            per_class[positions] = [float(class_weight[label]) for label in labels]
        else:
            raise ValueError(
                "fit_class_weight must be 'balanced' or a dict {label: weight} keyed by the "
                f"labels of y (classes not listed get weight 1), got {class_weight!r}."
            )
        weights = per_class[index]
        return weights if sample_weight is None else weights * sample_weight

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per entry of ``classes_``.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, in the same form as during fit.

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        return targets.class_probabilities(self._predict_raw(X), self.target_format_)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, in the type of the labels given to fit.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, in the same form as during fit.

        Returns
        -------
        ndarray of shape (n,)
        """
        proba = self.predict_proba(X)
        return self.encoder_.decode(np.argmax(proba, axis=1))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy on ``(X, y)``; labels not seen in fit are an error, not a miss.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, in the same form as during fit.
        y : array-like
            True labels.
        sample_weight : array-like of shape (n,), default=None
            Per-sample weights.

        Returns
        -------
        float
        """
        predicted = np.argmax(self.predict_proba(X), axis=1)
        return targets.accuracy(self.encoder_, y, predicted, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class KerasRegressor(RegressorMixin, KerasEstimator):
    """Base class of generated regressors (see :func:`create_keras_sequential_spec`).

    A spec made with ``mode="regression"`` is a subclass; y is a vector or a
    table of several columns (its width is the blocks' ``num_outputs``).

    Examples
    --------
    >>> import keras
    >>> def start(model, input_shape):
    ...     return keras.Sequential([keras.Input(shape=input_shape)])
    >>> def dense(model, units=8):
    ...     model.add(keras.layers.Dense(units, activation="relu"))
    ...     return model
    >>> def linear(model, num_outputs):
    ...     model.add(keras.layers.Dense(num_outputs))
    ...     return model
    >>> reg = kerasnip.create_keras_sequential_spec(
    ...     "small_reg", {"input": start, "hidden": dense, "output": linear}, "regression")
    >>> issubclass(reg, kerasnip.KerasRegressor)
    True
    >>> X = np.random.default_rng(0).normal(size=(30, 3))
    >>> est = reg(fit_epochs=2, random_state=0).fit(X, X.sum(axis=1))
    >>> est.predict(X[:5]).shape
    (5,)
    >>> reg(fit_epochs=2, random_state=0).fit(X, X[:, :2]).predict(X[:5]).shape
    (5, 2)
    """

    _output_kind = "regression"

    def _learn_targets(self, y: Any) -> None:
        self.target_names_ = targets.target_column_names(y)
        y = targets.regression_targets(y)
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self.y_ndim_ = y.ndim

    def _encode_targets(self, y: Any) -> np.ndarray:
        return targets.check_target_width(targets.regression_targets(y), self.n_outputs_)

    def _injected(self) -> dict[str, Any]:
        return {**super()._injected(), "num_outputs": self.n_outputs_}

    def _check_output_width(self, model: Any) -> None:
        targets.check_regression_width(self._output_units(model), self.n_outputs_)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² on ``(X, y)``, as scikit-learn's regressors; y must have the fitted columns.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, in the same form as during fit.
        y : array-like of shape (n,) or (n, n_outputs)
            True values.
        sample_weight : array-like of shape (n,), default=None
            Per-sample weights.

        Returns
        -------
        float
        """
        check_is_fitted(self, "model_")
        targets.check_target_width(targets.regression_targets(y), self.n_outputs_)
        return super().score(X, y, sample_weight)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values, shaped like the y given to fit.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, in the same form as during fit.

        Returns
        -------
        ndarray of shape (n,) or (n, n_outputs)
        """
        # float64 like scikit-learn's regressors: residual arithmetic on float32
        # predictions loses digits (MAPIE's conformity-score consistency check fails).
        raw = self._predict_raw(X).astype(np.float64)
        return targets.regression_values(raw, self.y_ndim_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
