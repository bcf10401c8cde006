"""Data handling: turning X and y into what Keras takes, and back.

X may be a numpy array of any rank, a DataFrame of numeric columns, or a
DataFrame with one array-valued column (each cell an array, like R's
``I(matrix)``). Classification labels keep the user's type (ints, strings,
bools, categoricals); the encoding Keras sees follows the loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d

TARGET_FORMATS = ("onehot", "integer", "binary")


def is_array_column_frame(X: Any) -> bool:
    """Whether ``X`` is a DataFrame whose single column holds arrays."""
    return (
        isinstance(X, pd.DataFrame)
        and X.shape[1] == 1
        and pd.api.types.is_object_dtype(X.dtypes.iloc[0])
        and len(X) > 0
        and isinstance(X.iloc[0, 0], (np.ndarray, list, tuple))
    )


def stack_array_column(column: pd.Series) -> np.ndarray:
    """Stack a Series of equally shaped arrays into one ``(n, ...)`` array."""
    cells = [np.asarray(cell) for cell in column]
    shapes = {cell.shape for cell in cells}
    if len(shapes) > 1:
        raise ValueError(
            f"Array column {column.name!r} holds cells of different shapes "
            f"{sorted(shapes)[:4]}; every row must have the same shape."
        )
    return np.stack(cells)


def as_feature_array(X: Any) -> Any:
    """Unwrap an array-valued DataFrame column and refuse a DataFrame with
    non-numeric (bool counts as numeric) columns; anything else is returned as is."""
    if is_array_column_frame(X):
        return stack_array_column(X.iloc[:, 0])
    if isinstance(X, pd.DataFrame):
        non_numeric = [str(c) for c, dtype in X.dtypes.items()
                       if not pd.api.types.is_numeric_dtype(dtype)]
        if non_numeric:
            raise ValueError(
                f"X has non-numeric column(s) {non_numeric[:10]}. Keras models need numbers: "
                "encode them first, e.g. in a Pipeline with a ColumnTransformer and "
                "sklearn.preprocessing.OneHotEncoder (categories) or OrdinalEncoder."
            )
    return X


def to_float32(X: np.ndarray) -> np.ndarray:
    """The float32 view Keras trains on (no copy when already float32)."""
    return np.asarray(X, dtype="float32")


def check_sample_shape(X: Any, input_shape: tuple[int, ...]) -> None:
    """Compare the per-sample shape of ``X`` (an array-like of rank >= 2) to the fitted one.

    Lower ranks and ragged input are left to scikit-learn's validation, whose
    messages for those cases say what to do.
    """
    shape = getattr(X, "shape", None)
    if shape is None:
        try:
            shape = np.asarray(X).shape
        except ValueError:  # ragged
            return
    # Tabular data in and out: scikit-learn's "X has 3 features, but ... is
    # expecting 4" is the message users and its checks expect.
    if len(shape) == 2 and len(input_shape) == 1:
        return
    if len(shape) >= 2 and tuple(shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"X has per-sample shape {tuple(shape[1:])} but the model was fitted on "
            f"per-sample shape {tuple(input_shape)}; pass data with the same columns "
            "(or image size) as during fit."
        )


class ClassEncoder:
    """Map the user's labels to indices and back, in the format a loss needs.

    Parameters
    ----------
    classes : array-like, optional
        Known classes (as given to ``partial_fit(classes=...)``).
    """

    def __init__(self, classes: Any = None):
        self.classes = None if classes is None else np.asarray(classes)

    def fit(self, y: Any) -> ClassEncoder:
        """Learn the classes from ``y`` (categoricals keep their level order)."""
        if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
            y = y.iloc[:, 0]
        values = self.labels(y)
        if self.classes is None:
            dtype = getattr(y, "dtype", None)
            if isinstance(dtype, pd.CategoricalDtype):  # a Series or a bare Categorical
                present = set(pd.unique(values))
                self.classes = np.asarray([c for c in dtype.categories if c in present])
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

    def encode(self, y: Any, target_format: str) -> np.ndarray:
        """Encode ``y`` as one-hot rows, integer indices or a 0/1 column."""
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
    from kerasnip.build import BuildError
    from kerasnip.registry import loss_name

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
    """
    if target_format == "binary":
        positive = raw.reshape(-1)
        return np.column_stack([1.0 - positive, positive])
    return raw


def target_column_names(y: Any) -> list[str] | None:
    """Column names of a multi-column y given as a DataFrame, else ``None``."""
    if isinstance(y, pd.DataFrame) and y.shape[1] > 1:
        return [str(c) for c in y.columns]
    return None


def column_suffixes(names: list[str] | None, k: int) -> list[str]:
    """Suffixes naming the k columns of a vector output: y's column names, else 1..k.

    ``predict_table`` and the interval tables build ``.pred_{suffix}`` from these,
    as parsnip names multi-outcome predictions after the outcomes.
    """
    return list(names) if names is not None and len(names) == k else [
        str(j) for j in range(1, k + 1)
    ]


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
