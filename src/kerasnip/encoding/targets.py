"""The y side: targets encoded for Keras, predictions decoded for the user.

Classification labels keep the user's type (ints, strings, bools,
categoricals); the encoding Keras sees follows the output's width and the
loss. Regression targets are float32 columns. A multi-output model's y is a
dict or DataFrame with one entry per output block, and each output (a
:class:`Head`) is classification or regression on its own, decided by its
values:

- floats, or a 2-D ``(n, k)`` array (array-valued cells in a DataFrame):
  regression (a ``k``-column head gets ``num_outputs=k``);
- strings, bools, categoricals and other objects: classification;
- integers: the spec's mode decides (class labels in a classification spec,
  numbers in a regression spec). Cast to float or to a categorical to choose
  the other way.

The single-output estimators and every head of a multi-output one share the
functions here: default losses and metrics per kind of output, the output
width checks, decoding and scoring.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d

from kerasnip._utils import did_you_mean
from kerasnip.encoding.features import check_names, entries, is_named_collection, to_float32
from kerasnip.errors import BuildError
from kerasnip.registry import loss_name

TARGET_FORMATS = ("onehot", "integer", "binary")
HEAD_KINDS = ("classification", "regression")
# float32 softmax rows sum to 1 within about 1e-6, float16 ones within about 1e-3.
_PROBABILITY_TOLERANCE = 1e-2
_DEFAULT_METRICS = {"classification": ("accuracy",), "regression": ("mean_absolute_error",)}


def default_loss(kind: str, units: int) -> str:
    """kerasnip's loss for an output of ``kind`` with ``units`` units.

    Parameters
    ----------
    kind : {"classification", "regression"}
        What the output predicts.
    units : int
        The output layer's width.

    Returns
    -------
    str
        ``"binary_crossentropy"`` (one unit) or ``"categorical_crossentropy"``
        for classification, ``"mean_squared_error"`` for regression.
    """
    if kind == "regression":
        return "mean_squared_error"
    return "binary_crossentropy" if units == 1 else "categorical_crossentropy"


def default_metrics(kind: str) -> list[str]:
    """kerasnip's compiled metrics for an output of ``kind``.

    Parameters
    ----------
    kind : {"classification", "regression"}
        What the output predicts.

    Returns
    -------
    list of str
    """
    return list(_DEFAULT_METRICS[kind])


class ClassEncoder:
    """Map the user's labels to indices and back, in the format a loss needs.

    Parameters
    ----------
    classes : array-like, default=None
        Known classes (as given to ``partial_fit(classes=...)``).
    """

    def __init__(self, classes: Any = None):
        # An array once fitted (None before, unless given).
        self.classes: Any = None if classes is None else np.asarray(classes)

    def fit(self, y: Any) -> ClassEncoder:
        """Learn the classes from ``y``.

        A categorical y gives its declared categories, in their order, observed
        or not (as R's factor levels size the output): the model has a unit for
        each, and learns the unobserved ones as rare.
        """
        if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
            y = y.iloc[:, 0]
        values = self.labels(y)
        if self.classes is None:
            dtype = getattr(y, "dtype", None)
            if isinstance(dtype, pd.CategoricalDtype):  # a Series or a bare Categorical
                self.classes = np.asarray(dtype.categories)
            else:
                self.classes = np.unique(values)
        else:
            given = self.labels(self.classes, what="classes")
            if len(pd.unique(given)) != len(given):
                raise ValueError(f"classes has duplicates: {given.tolist()}.")
            self.classes = given
            self.indices(values)  # every label of y must be among the given classes
        if len(self.classes) < 2:
            raise ValueError(
                f"y has only one class ({self.classes.tolist()}); classification needs at "
                "least two classes. Check the labels, or use a regression spec."
            )
        return self

    @staticmethod
    def labels(y: Any, what: str = "y") -> np.ndarray:
        """Validate labels as a 1-D array, with clear errors for unusable ones."""
        if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
            y = y.iloc[:, 0]
        values = np.asarray(y)
        if values.ndim == 2 and values.shape[1] == 1:
            values = column_or_1d(values, warn=True)
        if values.ndim != 1:
            raise ValueError(
                f"{what} must be one label per sample (1-D), got shape {values.shape}. "
                "For several outputs use a functional spec with one output block per column."
            )
        if values.dtype == object:
            _check_object_labels(values, what)
        if type_of_target(values, input_name=what) == "continuous":
            raise ValueError(
                f"Unknown label type: continuous. {what} looks like a regression target; use "
                "mode='regression', or convert the labels to classes."
            )
        check_classification_targets(values)
        return values

    def indices(self, y: Any, what: str = "y") -> np.ndarray:
        """Class index per label, with a clear error for labels not seen in fit.

        Parameters
        ----------
        y : array-like
            Labels.
        what : str
            How to call ``y`` in error messages.

        Returns
        -------
        ndarray of int
        """
        values = np.asarray(y)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values.reshape(-1)
        # A hash lookup, so mixed or unorderable label types cannot break it.
        positions = pd.Index(self.classes).get_indexer(values)
        unseen = positions < 0
        if np.any(unseen):
            labels = pd.unique(values[unseen])[:10].tolist()
            hint = ("Refit with all labels, or pass classes=... to partial_fit." if what == "y"
                    else "Use the labels of y as keys.")
            raise ValueError(
                f"{what} contains labels not seen in fit: {labels}. Known classes: "
                f"{self.classes.tolist()}. {hint}"
            )
        return positions

    def encode(self, y: Any, target_format: str | None) -> np.ndarray:
        """Encode ``y`` as one-hot rows, integer indices or a 0/1 column (one-hot when
        ``target_format`` is None)."""
        index = self.indices(self.labels(y))
        if target_format == "integer":
            return index.astype("int32")
        if target_format == "binary":
            return index.astype("float32").reshape(-1, 1)
        return np.eye(len(self.classes), dtype="float32")[index]

    def decode(self, index: np.ndarray) -> np.ndarray:
        """Labels for class indices, in the user's label type."""
        return self.classes[np.asarray(index, dtype=int)]


def _check_object_labels(values: np.ndarray, what: str) -> None:
    """Clear errors for missing or mixed-type labels (numpy cannot sort those)."""
    missing = pd.isna(values)
    if missing.any():
        raise ValueError(
            f"{what} contains {int(missing.sum())} missing label(s) (None/NaN), e.g. at "
            f"position {int(np.flatnonzero(missing)[0])}; drop those rows or give them a label."
        )
    kinds = {_label_kind(v) for v in values}
    if len(kinds) > 1:
        raise ValueError(
            f"{what} mixes label types {sorted(kinds)}; use one type for all labels, "
            "e.g. y.astype(str)."
        )


def _label_kind(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (str, np.str_)):
        return "str"
    if isinstance(value, (int, float, np.number)):
        return "number"
    return type(value).__name__


def classification_target_format(
    units: int, n_classes: int, loss: Any, output: str = "The model's output"
) -> str:
    """Choose how labels are encoded for an output of ``units`` units and a loss.

    Parameters
    ----------
    units : int
        Width of the output layer.
    n_classes : int
        Number of classes in y.
    loss : str, callable or None
        The ``compile_loss`` given by the user (None: kerasnip's default).
    output : str
        How to name the output in error messages.

    Returns
    -------
    str
        ``"binary"`` (one 0/1 column), ``"integer"`` (sparse losses) or
        ``"onehot"``.
    """
    name = None if loss is None else loss_name(loss)
    if units == 1 and n_classes == 2:
        if name is not None and "categorical" in name:
            # With a single unit a categorical loss is identically zero: nothing trains.
            raise BuildError(
                f"{output} has 1 unit but compile_loss={name!r} needs one unit per class "
                "(with one unit the loss is always 0 and the model learns nothing). Use "
                "compile_loss='binary_crossentropy' (or leave it unset) with a 1-unit sigmoid "
                "output, or give the output `num_classes` softmax units."
            )
        return "binary"
    if units == n_classes:
        return "integer" if name is not None and name.startswith("sparse") else "onehot"
    raise BuildError(
        f"{output} has {units} unit(s) but its target in y has {n_classes} classes. Give the "
        "output block a `num_classes` argument and use it as the number of units (or 1 "
        "sigmoid unit for two classes)."
    )


def class_probabilities(raw: np.ndarray, target_format: str | None) -> np.ndarray:
    """Class probabilities ``(n, n_classes)`` from a classification output.

    A ``"binary"`` output is one sigmoid column, the positive class's
    probability; the others already have a column per class.

    Raises
    ------
    ValueError
        When the output is not probabilities (an output layer without a
        softmax or sigmoid activation): values outside [0, 1], or rows of a
        per-class output that do not sum to 1.
    """
    low, high = (float(raw.min()), float(raw.max())) if raw.size else (0.0, 1.0)
    sums = raw.sum(axis=1) if target_format != "binary" and raw.size else np.ones(1)
    if low < -_PROBABILITY_TOLERANCE or high > 1 + _PROBABILITY_TOLERANCE or np.any(
            np.abs(sums - 1) > _PROBABILITY_TOLERANCE):
        raise ValueError(
            f"The model's output is not class probabilities: its values range from {low:.3g} "
            f"to {high:.3g} and its rows sum to {float(sums.min()):.3g}..{float(sums.max()):.3g}. "
            "Give the output layer activation='softmax' (one unit per class) or 'sigmoid' "
            "(one unit, two classes); a model trained on logits (a loss with from_logits=True) "
            "needs a keras.layers.Softmax() after them for predict and predict_proba."
        )
    if target_format == "binary":
        positive = raw.reshape(-1)
        return np.column_stack([1.0 - positive, positive])
    return raw


def target_column_names(y: Any) -> list[str] | None:
    """Column names of a multi-column y given as a DataFrame, else ``None``."""
    if isinstance(y, pd.DataFrame) and y.shape[1] > 1:
        return [str(c) for c in y.columns]
    return None


def regression_targets(y: Any) -> np.ndarray:
    """Validate a numeric target (1-D or ``(n, k)``) and cast it to float32."""
    if isinstance(y, (pd.DataFrame, pd.Series)):
        y = y.to_numpy()
    y = np.asarray(y)
    if y.ndim > 2:
        raise ValueError(
            f"y must be 1-D or 2-D for regression, got shape {y.shape}; give one row "
            "per sample and one column per output."
        )
    y = check_array(y, ensure_2d=False, dtype="numeric", ensure_all_finite=True,
                    input_name="y")
    return to_float32(y)


def check_target_width(y: np.ndarray, n_outputs: int, what: str = "y") -> np.ndarray:
    """Refuse a regression target whose number of columns differs from the fitted one."""
    width = 1 if y.ndim == 1 else y.shape[1]
    if width != n_outputs:
        raise ValueError(f"{what} has {width} column(s) but the model was fitted on {n_outputs}.")
    return y


def check_regression_width(units: int, width: int, output: str = "The model's output",
                           target: str = "y", block: str = "the output block") -> None:
    """Refuse a regression output whose width differs from the target's columns.

    Parameters
    ----------
    units : int
        The output layer's width.
    width : int
        The number of target columns.
    output, target, block : str, default="The model's output", "y", "the output block"
        How to name the output, its target and its block in the message.

    Raises
    ------
    BuildError
    """
    if units != width:
        raise BuildError(
            f"{output} has {units} unit(s) but {target} has {width} column(s). Give {block} "
            "a `num_outputs` argument and use it as the number of units."
        )


def regression_values(raw: np.ndarray, ndim: int) -> np.ndarray:
    """A regression output shaped like its target: ``(n,)`` for a 1-D y, else ``(n, k)``."""
    return raw.reshape(-1) if ndim == 1 else raw.reshape(len(raw), -1)


def accuracy(encoder: ClassEncoder, y: Any, predicted_index: np.ndarray,
             sample_weight: Any = None) -> float:
    """Accuracy of predicted class indices; a label of ``y`` not seen in fit is an error.

    Parameters
    ----------
    encoder : ClassEncoder
        The fitted classes.
    y : array-like
        True labels.
    predicted_index : ndarray of int
        Predicted class indices.
    sample_weight : array-like of shape (n,), default=None
        Per-sample weights.

    Returns
    -------
    float
    """
    truth = encoder.indices(encoder.labels(y))
    return float(accuracy_score(truth, predicted_index, sample_weight=sample_weight))


# --------------------------------------------------------------------------- several outputs


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
    named = entries(y, "y")
    check_names(list(named), names, "output", "y")
    return {name: named[name] for name in names}


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
    encoder: ClassEncoder | None = None
    width: int = 1
    ndim: int = 1
    target_format: str | None = None

    @classmethod
    def learn(cls, name: str, target: Any, mode: str, classes: Any = None) -> Head:
        """Learn a head's kind and encoding from its targets."""
        kind = head_kind(target, mode)
        if kind == "classification":
            return cls(name, kind, encoder=ClassEncoder(classes).fit(target))
        values = regression_targets(target)
        return cls(name, kind, width=1 if values.ndim == 1 else values.shape[1],
                   ndim=values.ndim)

    @property
    def classes(self) -> np.ndarray | None:
        """The head's classes (classification heads), else None."""
        return None if self.encoder is None else self.encoder.classes

    @property
    def _encoder(self) -> ClassEncoder:
        """The encoder of a classification head."""
        assert self.encoder is not None, f"output {self.name!r} is not a classification head"
        return self.encoder

    def default_loss(self, units: int) -> str:
        """kerasnip's loss for this head given its output width."""
        return default_loss(self.kind, units)

    def default_metrics(self) -> list[str]:
        """kerasnip's metrics for this head."""
        return default_metrics(self.kind)

    def settle(self, units: int, loss: Any) -> None:
        """Check the head's output width and choose the target encoding for its loss."""
        if self.kind == "regression":
            check_regression_width(units, self.width, f"Output {self.name!r}", "its target in y",
                                   f"block {self.name!r}")
            return
        try:
            self.target_format = classification_target_format(
                units, len(self._encoder.classes), loss, output=f"Output {self.name!r}"
            )
        except BuildError as exc:
            # Integer targets follow the spec's mode, so a regression head can land here.
            raise BuildError(f"{exc} If this output is meant to be a regression, pass its "
                             "targets as floats.") from None

    @contextlib.contextmanager
    def _naming_errors(self) -> Iterator[None]:
        """Prefix label errors with the head's name (the encoder's say only "y")."""
        try:
            yield
        except ValueError as exc:
            raise ValueError(f"Output {self.name!r}: {exc}") from None

    def encode(self, target: Any) -> np.ndarray:
        """Targets in the form Keras trains this head on."""
        if self.kind == "classification":
            with self._naming_errors():
                return self._encoder.encode(target, self.target_format)
        return check_target_width(regression_targets(target), self.width,
                                       f"y[{self.name!r}]")

    def probabilities(self, raw: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` from the head's raw output."""
        return class_probabilities(raw, self.target_format)

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """Predictions in the user's terms: labels, or values shaped like the target."""
        if self.kind == "classification":
            return self._encoder.decode(np.argmax(self.probabilities(raw), axis=1))
        return regression_values(raw, self.ndim)

    def score(self, target: Any, predicted: np.ndarray, sample_weight: Any = None) -> float:
        """Accuracy (classification) or R² (regression) of this head."""
        if self.kind == "classification":
            with self._naming_errors():
                return accuracy(self._encoder, target, self._encoder.indices(predicted),
                                sample_weight)
        return float(r2_score(np.asarray(target, dtype=np.float64), predicted,
                              sample_weight=sample_weight))


def per_head(value: Any, defaults: Mapping[str, Any], argument: str) -> dict[str, Any]:
    """Spread a compile argument over the heads, filling heads it leaves out with defaults.

    Parameters
    ----------
    value : object
        The user's ``compile_{argument}``: None, one value for every head (a
        flat list of metrics is the same metrics for every head), or a dict
        keyed by output block. An unnamed list of losses, or of metric lists,
        would leave which head gets what to the list's order, and is refused.
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
    unnamed = isinstance(value, (list, tuple)) and (
        argument == "loss" or any(isinstance(item, (list, tuple)) for item in value))
    if unnamed:
        raise ValueError(
            f"compile_{argument} is an unnamed list {value!r}, but this model has several "
            f"outputs {list(defaults)}: name the output each is for, e.g. "
            f"compile_{argument}={{{next(iter(defaults))!r}: ...}} (outputs left out keep "
            f"kerasnip's default), or give one {argument} for every output."
        )
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


