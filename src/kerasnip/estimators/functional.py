"""The functional estimators: several inputs in X, several outputs in y.

Multi-input X is a dict of arrays keyed by input block, or a DataFrame with
one column per input block (array-valued cells, like R's ``I(matrix)``, or
plain numbers for a one-feature input). Each input keeps its own per-sample
shape, so an image branch and a tabular branch can share one model.

Multi-output y is a dict or a DataFrame with one entry per output block.
Each output ("head") is classification or regression on its own, decided by
its values (see :mod:`kerasnip.encoding.targets`).

Each head gets kerasnip's default loss and metric for its kind unless
``compile_loss`` / ``compile_metrics`` name one for it (a dict keyed by output
block; heads it leaves out keep their defaults). ``predict`` returns a dict
keyed by output block, and ``score`` is the mean of the heads' scores
(accuracy for classification heads, R² for regression heads), so
``GridSearchCV`` works unchanged when X and y are DataFrames.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from kerasnip.definition.graph import Graph
from kerasnip.encoding.features import single_entry, split_inputs
from kerasnip.encoding.targets import Head, per_head, split_targets
from kerasnip.estimators.sequential import KerasClassifier, KerasRegressor
from kerasnip.runtime import runner

if TYPE_CHECKING:
    from kerasnip.estimators.base import KerasEstimator

    class _EstimatorMixin(KerasEstimator):
        """What the mixins below rely on: a generated estimator class's attributes."""

        compile_loss: Any
        fit_batch_size: Any
        input_shape_: Any  # a multi-input model's is a dict: input block -> shape
else:  # at run time the mixins are plain classes, combined with an estimator below
    _EstimatorMixin = object


class FunctionalEstimator(_EstimatorMixin):
    """Mixin for functional specs with one output: one or several inputs in X.

    With one input it defers to :class:`KerasClassifier` / :class:`KerasRegressor`
    (so the scikit-learn contract is unchanged) and also accepts ``{block:
    array}`` dicts. Fitted attributes of a multi-input model: ``input_shape_``
    (input block -> per-sample shape) and ``n_features_in_`` (number of inputs).
    """

    def _graph(self) -> Graph:
        return self._spec().graph()

    # ------------------------------------------------------------------ X

    def _prepare_features(self, X: Any, reset: bool) -> Any:
        graph = self._graph()
        if not graph.multi_input:
            X = single_entry(X, graph.inputs[0], "input", "X")
            return super()._prepare_features(X, reset)
        if not reset:
            check_is_fitted(self, "model_")
        arrays = split_inputs(X, graph.inputs)
        shapes = {name: tuple(int(d) for d in array.shape[1:]) for name, array in arrays.items()}
        if reset:
            self.input_shape_ = shapes
            self.n_features_in_ = len(arrays)
            if isinstance(X, pd.DataFrame):
                self.feature_names_in_ = np.asarray(list(X.columns), dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            for name, shape in shapes.items():
                if shape != self.input_shape_[name]:
                    raise ValueError(
                        f"X[{name!r}] has per-sample shape {shape} but the model was fitted on "
                        f"{self.input_shape_[name]}; pass data shaped as during fit."
                    )
        return [arrays[name] for name in graph.inputs]

    def _first_input(self, X: Any) -> Any:
        return X[0] if self._graph().multi_input else X

    def _sample_weight(self, sample_weight: Any, X: Any) -> np.ndarray | None:
        return super()._sample_weight(sample_weight, self._first_input(X))

    # ------------------------------------------------------------------ y

    def _single_target(self, y: Any) -> Any:
        """y, unwrapped from ``{output_block: y}``."""
        return single_entry(y, self._graph().outputs[0], "output", "y")

    def _check_lengths(self, X: Any, y: Any) -> None:
        check_consistent_length(self._first_input(X), self._single_target(y))

    def _learn_targets(self, y: Any, classes: Any = None) -> None:
        return super()._learn_targets(self._single_target(y),
                                      **({} if classes is None else {"classes": classes}))

    def _encode_targets(self, y: Any) -> Any:
        return super()._encode_targets(self._single_target(y))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy (classifiers) or R² (regressors), as for sequential specs.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Inputs.
        y : array-like, or a dict with the output block as its one key
            True targets.
        sample_weight : array-like of shape (n,), default=None
            Per-sample weights.

        Returns
        -------
        float
        """
        return super().score(X, self._single_target(y), sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.kerasnip_spec is not None and self._graph().multi_input:
            tags.input_tags.dict = True
        return tags


class MultiOutputEstimator(FunctionalEstimator):
    """Mixin for functional specs with several outputs, each a head of its own.

    Fitted attributes: ``heads_`` (output block -> :class:`Head`) and
    ``classes_`` (output block -> classes, for its classification heads; a
    regressor without such heads has none).
    """

    # ------------------------------------------------------------------ y

    def _check_lengths(self, X: Any, y: Any) -> None:
        targets = split_targets(y, self._graph().outputs).values()
        check_consistent_length(self._first_input(X), *targets)

    def _learn_targets(self, y: Any, classes: Any = None) -> None:
        if classes is not None and not isinstance(classes, Mapping):
            raise ValueError(
                "For a multi-output model pass classes as a dict {output_block: classes}."
            )
        classes = classes or {}
        mode = self._spec().mode
        self.heads_ = {
            name: Head.learn(name, target, mode, classes.get(name))
            for name, target in split_targets(y, self._graph().outputs).items()
        }
        classes_ = {name: head.classes for name, head in self.heads_.items()
                    if head.encoder is not None}
        if classes_ or isinstance(self, ClassifierMixin):
            self.classes_ = classes_

    def _encode_targets(self, y: Any) -> Any:
        return {name: self.heads_[name].encode(target)
                for name, target in split_targets(y, self._graph().outputs).items()}

    def _injected(self) -> dict[str, Any]:
        return {
            "input_shape": self.input_shape_,
            "num_classes": {name: len(head.classes)  # type: ignore[arg-type]
                            for name, head in self.heads_.items()
                            if head.kind == "classification"},
            "num_outputs": {name: head.width for name, head in self.heads_.items()
                            if head.kind == "regression"},
        }

    # ------------------------------------------------------------------ model

    @staticmethod
    def _named_outputs(model: Any) -> dict[str | None, Any]:
        return dict(model.output)

    def _head_units(self, model: Any) -> dict[str, int]:
        # Several outputs: every key is an output block's name (None only for one output).
        return {name: int(tensor.shape[-1])  # type: ignore[misc]
                for name, tensor in self._named_outputs(model).items()}

    def _check_output_width(self, model: Any) -> None:
        losses = per_head(self.compile_loss, dict.fromkeys(self.heads_), "loss")
        for name, units in self._head_units(model).items():
            self.heads_[name].settle(units, losses[name])

    def _loss_and_metrics(self, model: Any, loss: Any, metrics: Any) -> tuple[Any, Any]:
        # A loss and metrics per head.
        units = self._head_units(model)
        return (
            per_head(loss, {name: head.default_loss(units[name])
                            for name, head in self.heads_.items()}, "loss"),
            per_head(metrics, {name: head.default_metrics()
                               for name, head in self.heads_.items()}, "metrics"),
        )

    def _class_sample_weight(self, class_weight: Any, y: Any, sample_weight: Any) -> Any:
        raise ValueError(
            "fit_class_weight is not supported for a multi-output model (its labels would "
            "be ambiguous across heads); pass per-sample weights with "
            "fit(..., sample_weight=...) instead."
        )

    # ------------------------------------------------------------------ predict

    def _predict_heads(self, X: Any) -> dict[str, np.ndarray]:
        check_is_fitted(self, "model_")
        X = self._prepare_features(X, reset=False)
        raw = runner.predict(self, X, batch_size=self.fit_batch_size or 32)
        return {name: np.asarray(raw[name]) for name in self.heads_}

    def predict(self, X: Any) -> dict[str, np.ndarray]:
        """Predictions, a dict keyed by output block.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Inputs, in the same form as during fit.

        Returns
        -------
        dict of str to ndarray
            Labels for classification heads, values shaped like the target for
            regression heads.
        """
        return {name: self.heads_[name].decode(raw)
                for name, raw in self._predict_heads(X).items()}

    def _has_probabilities(self) -> bool:
        heads = getattr(self, "heads_", None)
        if heads is None:
            return isinstance(self, ClassifierMixin)
        return any(head.kind == "classification" for head in heads.values())

    @available_if(_has_probabilities)
    def predict_proba(self, X: Any) -> dict[str, np.ndarray]:
        """Class probabilities of each classification head.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Inputs, in the same form as during fit.

        Returns
        -------
        dict of str to ndarray of shape (n, n_classes)
            Columns in the order of ``classes_[head]``.
        """
        return {name: self.heads_[name].probabilities(raw)
                for name, raw in self._predict_heads(X).items()
                if self.heads_[name].kind == "classification"}

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The mean over the heads of accuracy (classification) or R² (regression).

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Inputs.
        y : dict or DataFrame
            True targets, one entry per output block.
        sample_weight : array-like of shape (n,), default=None
            Per-sample weights.

        Returns
        -------
        float
        """
        predicted = self.predict(X)
        scores = [self.heads_[name].score(target, predicted[name], sample_weight)
                  for name, target in split_targets(y, self._graph().outputs).items()]
        return float(np.mean(scores))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class FunctionalClassifier(FunctionalEstimator, KerasClassifier):
    """Base class of one-output classifiers generated by
    :func:`kerasnip.create_keras_functional_spec`."""


class FunctionalRegressor(FunctionalEstimator, KerasRegressor):
    """Base class of one-output regressors generated by
    :func:`kerasnip.create_keras_functional_spec`."""


# Multi-output models predict a dict and have a dict of classes_ by design (mypy: misc).
class MultiOutputClassifier(MultiOutputEstimator, KerasClassifier):  # type: ignore[misc]
    """Base class of multi-output models of a classification spec (integer targets are
    class labels)."""


class MultiOutputRegressor(MultiOutputEstimator, KerasRegressor):  # type: ignore[misc]
    """Base class of multi-output models of a regression spec (integer targets are
    numbers)."""
