"""Several inputs and several outputs: the data side of functional specs.

Multi-input X is a dict of arrays keyed by input block, or a DataFrame with
one column per input block (array-valued cells, like R's ``I(matrix)``, or
plain numbers for a one-feature input). Each input keeps its own per-sample
shape, so an image branch and a tabular branch can share one model.

Multi-output y is a dict or a DataFrame with one entry per output block.
Each output ("head") is classification or regression on its own, decided by
its values:

- floats, or a 2-D ``(n, k)`` array (array-valued cells in a DataFrame):
  regression (a ``k``-column head gets ``num_outputs=k``);
- strings, bools, categoricals and other objects: classification;
- integers: the spec's mode decides (class labels in a classification spec,
  numbers in a regression spec). Cast to float or to a categorical to choose
  the other way.

Each head gets kerasnip's default loss and metric for its kind unless
``compile_loss`` / ``compile_metrics`` name one for it (a dict keyed by output
block; heads it leaves out keep their defaults). ``predict`` returns a dict
keyed by output block, and ``score`` is the mean of the heads' scores
(accuracy for classification heads, R² for regression heads), so
``GridSearchCV`` works unchanged when X and y are DataFrames.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
)

from kerasnip import data, reuse
from kerasnip._utils import did_you_mean
from kerasnip.build import BuildError
from kerasnip.estimator import KerasClassifier, KerasRegressor
from kerasnip.graph import Graph, graph_of

HEAD_KINDS = ("classification", "regression")


# --------------------------------------------------------------------------- names


def check_names(given: list[Any], expected: tuple[str, ...], what: str, where: str) -> None:
    """Raise if the keys of X or y differ from the model's input or output blocks.

    Parameters
    ----------
    given : list
        The dict keys or DataFrame columns supplied.
    expected : tuple of str
        The input (or output) block names.
    what : str
        ``"input"`` or ``"output"``.
    where : str
        ``"X"`` or ``"y"``.
    """
    extra = [name for name in given if name not in expected]
    missing = [name for name in expected if name not in given]
    if not extra and not missing:
        return
    parts = []
    if extra:
        hints = "".join(did_you_mean(str(name), expected) for name in extra)
        parts.append(f"{where} has {what}(s) {extra} that match no {what} block.{hints}")
    if missing:
        parts.append(f"{where} lacks {what}(s) {missing}.")
    block_kind = "input blocks (blocks with no upstream argument)" if what == "input" else (
        "output blocks")
    raise ValueError(
        " ".join(parts) + f" The model's {block_kind} are {list(expected)}; give {where} one "
        f"entry per {what} block, keyed by block name."
    )


def is_named_collection(value: Any) -> bool:
    """Whether ``value`` is a dict of entries (scipy's DOK matrix is a dict, but not one)."""
    return isinstance(value, Mapping) and not sparse.issparse(value)


def _entries(value: Any, where: str) -> dict[Any, Any]:
    """The named entries of a dict or a DataFrame (array-valued columns stacked)."""
    if is_named_collection(value):
        return dict(value)
    if isinstance(value, pd.DataFrame):
        return {
            name: data.stack_array_column(column) if _holds_arrays(column) else column
            for name, column in value.items()
        }
    raise TypeError(
        f"{where} must be a dict or a DataFrame with one entry per block for this model, "
        f"got {type(value).__name__}."
    )


def _holds_arrays(column: pd.Series) -> bool:
    return column.dtype == object and len(column) > 0 and isinstance(
        column.iloc[0], (np.ndarray, list, tuple))


# --------------------------------------------------------------------------- inputs


def split_inputs(X: Any, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Validate a multi-input X and return one float32 array per input block.

    Parameters
    ----------
    X : dict or DataFrame
        One entry per input block: arrays of any rank ``(n, ...)``, or a
        DataFrame column holding an array per row (or one number per row,
        which becomes an ``(n, 1)`` input).
    names : tuple of str
        The model's input blocks.

    Returns
    -------
    dict of str to ndarray
        In ``names`` order.
    """
    entries = _entries(X, "X")
    check_names(list(entries), names, "input", "X")
    arrays = {}
    for name in names:
        array = check_array(entries[name], allow_nd=True, ensure_2d=False, dtype="numeric",
                            ensure_all_finite=True, input_name=f"X[{name!r}]")
        arrays[name] = data.to_float32(array.reshape(-1, 1) if array.ndim == 1 else array)
    check_consistent_length(*arrays.values())
    return arrays


def single_entry(value: Any, name: str, what: str, where: str) -> Any:
    """Unwrap ``{name: value}`` given to a one-input (or one-output) model."""
    if not is_named_collection(value):
        return value
    check_names(list(value), (name,), what, where)
    return value[name]


# --------------------------------------------------------------------------- outputs


def split_targets(y: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """One target per output block from a dict or a DataFrame.

    Parameters
    ----------
    y : dict or DataFrame
        One entry per output block.
    names : tuple of str
        The model's output blocks.

    Returns
    -------
    dict of str to array-like
        In ``names`` order (Series keep their dtype, so categoricals keep
        their level order).
    """
    if not (is_named_collection(y) or isinstance(y, pd.DataFrame)):
        raise ValueError(
            f"This model has {len(names)} outputs {list(names)}; pass y as a DataFrame or a "
            f"dict with one column per output block, got {type(y).__name__}."
        )
    entries = _entries(y, "y")
    check_names(list(entries), names, "output", "y")
    return {name: entries[name] for name in names}


def head_kind(target: Any, mode: str) -> str:
    """Whether one output's target makes it a classification or a regression head.

    Parameters
    ----------
    target : array-like
        The output's column of y.
    mode : {"classification", "regression"}
        The spec's mode, which decides for integer targets.

    Returns
    -------
    str
        ``"classification"`` or ``"regression"``.
    """
    dtype = getattr(target, "dtype", None)
    if dtype is None:
        target = np.asarray(target)
        dtype = target.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "classification"
    if (np.ndim(target) == 2 and np.shape(target)[1] > 1) or pd.api.types.is_float_dtype(dtype):
        return "regression"
    if pd.api.types.is_integer_dtype(dtype):
        return mode
    return "classification"


@dataclass
class Head:
    """One output of a multi-output model: its kind and target encoding.

    Attributes
    ----------
    name : str
        The output block.
    kind : {"classification", "regression"}
    encoder : ClassEncoder or None
        Classification heads: labels to indices and back.
    width : int
        Regression heads: number of target columns (``num_outputs``).
    ndim : int
        Regression heads: 1 for a single column, 2 for a ``(n, k)`` target.
    target_format : str or None
        Classification heads: ``"onehot"``, ``"integer"`` or ``"binary"``,
        set once the head's output width and loss are known.
    """

    name: str
    kind: str
    encoder: data.ClassEncoder | None = None
    width: int = 1
    ndim: int = 1
    target_format: str | None = None

    @classmethod
    def learn(cls, name: str, target: Any, mode: str, classes: Any = None) -> Head:
        """Learn a head's kind and encoding from its targets."""
        kind = head_kind(target, mode)
        if kind == "classification":
            return cls(name, kind, encoder=data.ClassEncoder(classes).fit(target))
        values = data.regression_targets(target)
        return cls(name, kind, width=1 if values.ndim == 1 else values.shape[1],
                   ndim=values.ndim)

    @property
    def classes(self) -> np.ndarray | None:
        """The head's classes (classification heads), else None."""
        return None if self.encoder is None else self.encoder.classes

    def _base(self) -> type:
        return KerasClassifier if self.kind == "classification" else KerasRegressor

    def default_loss(self, units: int) -> str:
        """kerasnip's loss for this head given its output width."""
        return self._base()._default_loss(units)

    def default_metrics(self) -> list[str]:
        """kerasnip's metrics for this head."""
        return list(self._base()._default_metrics)

    def settle(self, units: int, loss: Any) -> None:
        """Check the head's output width and choose the target encoding for its loss."""
        if self.kind == "regression":
            if units != self.width:
                raise BuildError(
                    f"Output {self.name!r} has {units} unit(s) but its target in y has "
                    f"{self.width} column(s). Give block {self.name!r} a `num_outputs` "
                    "argument and use it as the number of units."
                )
            return
        try:
            self.target_format = data.classification_target_format(
                units, len(self.encoder.classes), loss, output=f"Output {self.name!r}"
            )
        except BuildError as exc:
            # Integer targets follow the spec's mode, so a regression head can land here.
            raise BuildError(f"{exc} If this output is meant to be a regression, pass its "
                             "targets as floats.") from None

    @contextlib.contextmanager
    def _naming_errors(self):
        """Prefix label errors with the head's name (the encoder's say only "y")."""
        try:
            yield
        except ValueError as exc:
            raise ValueError(f"Output {self.name!r}: {exc}") from None

    def encode(self, target: Any) -> np.ndarray:
        """Targets in the form Keras trains this head on."""
        if self.kind == "classification":
            with self._naming_errors():
                return self.encoder.encode(target, self.target_format)
        return data.check_target_width(data.regression_targets(target), self.width,
                                       f"y[{self.name!r}]")

    def probabilities(self, raw: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` from the head's raw output."""
        return data.class_probabilities(raw, self.target_format)

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """Predictions in the user's terms: labels, or values shaped like the target."""
        if self.kind == "classification":
            return self.encoder.decode(np.argmax(self.probabilities(raw), axis=1))
        return raw.reshape(-1) if self.ndim == 1 else raw.reshape(len(raw), -1)

    def score(self, target: Any, predicted: np.ndarray, sample_weight: Any = None) -> float:
        """Accuracy (classification) or R² (regression) of this head."""
        if self.kind == "classification":
            # As for single-output classifiers, a label not seen in fit is an
            # error rather than a silent miss.
            with self._naming_errors():
                truth = self.encoder.indices(self.encoder.labels(target))
            return float(accuracy_score(truth, self.encoder.indices(predicted),
                                        sample_weight=sample_weight))
        return float(r2_score(np.asarray(target, dtype=np.float64), predicted,
                              sample_weight=sample_weight))


def per_head(value: Any, defaults: Mapping[str, Any], argument: str) -> dict[str, Any]:
    """Spread a compile argument over the heads, filling heads it leaves out with defaults.

    Parameters
    ----------
    value : object
        The user's ``compile_{argument}``: None, one value for every head, or a
        dict keyed by output block.
    defaults : dict
        Head name -> kerasnip's default.
    argument : str
        ``"loss"`` or ``"metrics"`` (for the error message).

    Returns
    -------
    dict
        Head name -> value.
    """
    if value is None:
        return dict(defaults)
    if not isinstance(value, Mapping):
        return dict.fromkeys(defaults, value)
    unknown = [key for key in value if key not in defaults]
    if unknown:
        hints = "".join(did_you_mean(str(key), defaults) for key in unknown)
        raise ValueError(
            f"compile_{argument} names output(s) {unknown} that the model does not have.{hints} "
            f"Its outputs are {list(defaults)}."
        )
    return {**defaults, **value}


# --------------------------------------------------------------------------- estimators


class FunctionalEstimator:
    """Mixin for functional specs: several inputs in X, several outputs in y.

    With one input and one output it defers to :class:`KerasClassifier` /
    :class:`KerasRegressor` (so the scikit-learn contract is unchanged); it
    also accepts ``{block: array}`` dicts there.

    Fitted attributes of a multi-output model: ``heads_`` (output block ->
    :class:`Head`) and ``classes_`` (output block -> classes, for its
    classification heads; a regressor without such heads has none). Of a
    multi-input model: ``input_shape_`` (input block -> per-sample shape) and
    ``n_features_in_`` (number of inputs).
    """

    def _graph(self) -> Graph:
        return graph_of(self._spec())

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

    def _check_lengths(self, X: Any, y: Any) -> None:
        graph = self._graph()
        if graph.multi_output:
            targets = list(split_targets(y, graph.outputs).values())
        else:
            targets = [single_entry(y, graph.outputs[0], "output", "y")]
        check_consistent_length(self._first_input(X), *targets)

    def _sample_weight(self, sample_weight: Any, X: Any) -> np.ndarray | None:
        return super()._sample_weight(sample_weight, self._first_input(X))

    # ------------------------------------------------------------------ y

    def _learn_targets(self, y: Any, classes: Any = None) -> None:
        graph = self._graph()
        if not graph.multi_output:
            y = single_entry(y, graph.outputs[0], "output", "y")
            return super()._learn_targets(y, **({} if classes is None else {"classes": classes}))
        if classes is not None and not isinstance(classes, Mapping):
            raise ValueError(
                "For a multi-output model pass classes as a dict {output_block: classes}."
            )
        classes = classes or {}
        mode = self._spec().mode
        self.heads_ = {
            name: Head.learn(name, target, mode, classes.get(name))
            for name, target in split_targets(y, graph.outputs).items()
        }
        classes_ = {name: head.classes for name, head in self.heads_.items()
                    if head.encoder is not None}
        if classes_ or isinstance(self, ClassifierMixin):
            self.classes_ = classes_
        return None

    def _encode_targets(self, y: Any) -> Any:
        graph = self._graph()
        if not graph.multi_output:
            return super()._encode_targets(single_entry(y, graph.outputs[0], "output", "y"))
        return {name: self.heads_[name].encode(target)
                for name, target in split_targets(y, graph.outputs).items()}

    def _injected(self) -> dict[str, Any]:
        if not self._graph().multi_output:
            return super()._injected()
        return {
            "input_shape": self.input_shape_,
            "num_classes": {name: len(head.classes) for name, head in self.heads_.items()
                            if head.kind == "classification"},
            "num_outputs": {name: head.width for name, head in self.heads_.items()
                            if head.kind == "regression"},
        }

    # ------------------------------------------------------------------ model

    @staticmethod
    def _head_units(model: Any) -> dict[str, int]:
        return {name: int(tensor.shape[-1]) for name, tensor in model.output.items()}

    def _check_model_output(self, model: Any) -> None:
        if not self._graph().multi_output:
            return super()._check_model_output(model)
        losses = per_head(self.compile_loss, dict.fromkeys(self.heads_), "loss")
        for name, units in self._head_units(model).items():
            self.heads_[name].settle(units, losses[name])
        return None

    def _loss_and_metrics(self, model: Any, loss: Any, metrics: Any) -> tuple[Any, Any]:
        # A multi-output model gets a loss and metrics per head.
        if not self._graph().multi_output:
            return super()._loss_and_metrics(model, loss, metrics)
        units = self._head_units(model)
        return (
            per_head(loss, {name: head.default_loss(units[name])
                            for name, head in self.heads_.items()}, "loss"),
            per_head(metrics, {name: head.default_metrics()
                               for name, head in self.heads_.items()}, "metrics"),
        )

    def _class_sample_weight(self, class_weight: Any, y: Any, sample_weight: Any) -> Any:
        if self._graph().multi_output:
            raise ValueError(
                "fit_class_weight is not supported for a multi-output model (its labels would "
                "be ambiguous across heads); pass per-sample weights with "
                "fit(..., sample_weight=...) instead."
            )
        return super()._class_sample_weight(class_weight, y, sample_weight)

    # ------------------------------------------------------------------ predict

    def _predict_heads(self, X: Any) -> dict[str, np.ndarray]:
        check_is_fitted(self, "model_")
        X = self._prepare_features(X, reset=False)
        raw = reuse.predict(self, X, batch_size=self.fit_batch_size or 32)
        return {name: np.asarray(raw[name]) for name in self.heads_}

    def predict(self, X: Any) -> Any:
        """Predictions; for a multi-output model a dict keyed by output block.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Inputs, in the same form as during fit.

        Returns
        -------
        ndarray, or dict of str to ndarray
            Labels for classification heads, values shaped like the target for
            regression heads.
        """
        if not self._graph().multi_output:
            return super().predict(X)
        return {name: self.heads_[name].decode(raw)
                for name, raw in self._predict_heads(X).items()}

    def _has_probabilities(self) -> bool:
        if not self._graph().multi_output:
            return isinstance(self, ClassifierMixin)
        heads = getattr(self, "heads_", None)
        if heads is None:
            return isinstance(self, ClassifierMixin)
        return any(head.kind == "classification" for head in heads.values())

    @available_if(_has_probabilities)
    def predict_proba(self, X: Any) -> Any:
        """Class probabilities; for a multi-output model a dict over classification heads.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Inputs, in the same form as during fit.

        Returns
        -------
        ndarray of shape (n, n_classes), or dict of str to such arrays
            Columns in the order of ``classes_`` (``classes_[head]``).
        """
        if not self._graph().multi_output:
            return super().predict_proba(X)
        return {name: self.heads_[name].probabilities(raw)
                for name, raw in self._predict_heads(X).items()
                if self.heads_[name].kind == "classification"}

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy or R²; for a multi-output model the mean over the heads.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Inputs.
        y : array-like, dict or DataFrame
            True targets (one entry per output block for a multi-output model).
        sample_weight : array-like of shape (n,), optional
            Per-sample weights.

        Returns
        -------
        float
            Each head scores accuracy (classification) or R² (regression).
        """
        graph = self._graph()
        if not graph.multi_output:
            return super().score(X, single_entry(y, graph.outputs[0], "output", "y"),
                                 sample_weight)
        predicted = self.predict(X)
        scores = [self.heads_[name].score(target, predicted[name], sample_weight)
                  for name, target in split_targets(y, graph.outputs).items()]
        return float(np.mean(scores))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        graph = self._graph() if self.kerasnip_spec is not None else None
        if graph is not None and graph.multi_input:
            tags.input_tags.dict = True
        if graph is not None and graph.multi_output:
            tags.target_tags.multi_output = True
        return tags


class FunctionalClassifier(FunctionalEstimator, KerasClassifier):
    """Base class of classifiers generated by :func:`kerasnip.create_keras_functional_spec`."""


class FunctionalRegressor(FunctionalEstimator, KerasRegressor):
    """Base class of regressors generated by :func:`kerasnip.create_keras_functional_spec`."""


# --------------------------------------------------------------------------- one head


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
    estimator : FunctionalEstimator
        A fitted multi-output model.
    output : str
        One of its output blocks.

    Returns
    -------
    estimator
        A classifier view for a classification head, a regressor view otherwise.
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
    >>> metrics = {"digit_acc": head_scorer("digit", "accuracy"),
    ...            "ink_r2": head_scorer("ink", "r2")}          # doctest: +SKIP
    >>> kerasnip.tune_grid(spec, X, y, grid=grid, metrics=metrics)  # doctest: +SKIP
    """
    from sklearn.metrics import get_scorer

    scorer = get_scorer(metric) if isinstance(metric, str) else metric

    def score(estimator: Any, X: Any, y: Any) -> float:
        view = output_view(estimator, output)
        target = split_targets(y, tuple(estimator.heads_))[output]
        return float(scorer(view, X, target))

    score.__name__ = f"{output}_{metric if isinstance(metric, str) else 'score'}"
    return score


# --------------------------------------------------------------------------- tables


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


def head_prediction_table(estimator: Any, X: Any, type: str | None = None) -> pd.DataFrame:
    """Predictions of a multi-output model with the R package's per-head column names.

    Parameters
    ----------
    estimator : FunctionalEstimator
        A fitted multi-output model.
    X : dict or DataFrame
        Inputs.
    type : {None, "class", "prob", "numeric"}
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
    kinds = {None: HEAD_KINDS, "class": ("classification",), "prob": ("classification",),
             "numeric": ("regression",)}
    if type not in kinds:
        raise ValueError(
            f"Unknown prediction type {type!r}.{did_you_mean(str(type), [k for k in kinds if k])}"
            " For a multi-output model use 'class', 'prob', 'numeric' or None."
        )
    heads = {name: head for name, head in estimator.heads_.items() if head.kind in kinds[type]}
    if not heads:
        kind = kinds[type][0]
        raise ValueError(
            f"type={type!r} needs a {kind} output, and this model has none; its outputs are "
            f"{ {name: head.kind for name, head in estimator.heads_.items()} }."
        )
    raw = estimator._predict_heads(X)
    columns: dict[str, Any] = {}
    for name, head in heads.items():
        if type == "prob":
            proba = head.probabilities(raw[name])
            for j, level in enumerate(head.classes):
                columns[f".pred_{name}_{level}"] = proba[:, j]
        elif head.kind == "classification":
            columns[f".pred_class_{name}"] = head.decode(raw[name])
        elif head.ndim == 1:
            columns[f".pred_{name}"] = head.decode(raw[name])
        else:
            values = head.decode(raw[name])
            for j in range(values.shape[1]):
                columns[f".pred_{name}_{j + 1}"] = values[:, j]
    return pd.DataFrame(columns)
