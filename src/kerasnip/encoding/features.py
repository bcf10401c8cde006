"""The X side: what estimators accept as inputs, turned into arrays Keras takes.

X may be a numpy array of any rank, a DataFrame of numeric columns, or a
DataFrame with one array-valued column (each cell an array, like R's
``I(matrix)``). A multi-input model takes a dict of arrays keyed by input
block, or a DataFrame with one column per input block; each input keeps its
own per-sample shape, so an image branch and a tabular branch can share one
model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils.validation import check_array, check_consistent_length

from kerasnip._utils import did_you_mean


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


_ENCODE_HINT = ("Keras models need numbers: encode them first, e.g. in a Pipeline with a "
                "ColumnTransformer and sklearn.preprocessing.OneHotEncoder (categories) or "
                "OrdinalEncoder.")


def as_feature_array(X: Any) -> Any:
    """Unwrap an array-valued DataFrame column and refuse text: a DataFrame with
    non-numeric (bool counts as numeric) columns, or an array of strings; anything else
    is returned as is."""
    if is_array_column_frame(X):
        return stack_array_column(X.iloc[:, 0])
    if isinstance(X, pd.DataFrame):
        non_numeric = [str(c) for c, dtype in X.dtypes.items()
                       if not pd.api.types.is_numeric_dtype(dtype)]
        if non_numeric:
            raise ValueError(f"X has non-numeric column(s) {non_numeric[:10]}. {_ENCODE_HINT}")
    elif isinstance(X, np.ndarray) and X.dtype.kind in "US":
        raise ValueError(f"X holds text (dtype {X.dtype}). {_ENCODE_HINT}")
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


def entries(value: Any, where: str) -> dict[Any, Any]:
    """The named entries of a dict or a DataFrame (array-valued columns stacked)."""
    if is_named_collection(value):
        return dict(value)
    if isinstance(value, pd.DataFrame):
        return {
            name: stack_array_column(column) if _holds_arrays(column) else column
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
    named = entries(X, "X")
    check_names(list(named), names, "input", "X")
    arrays = {}
    for name in names:
        array = check_array(named[name], allow_nd=True, ensure_2d=False, dtype="numeric",
                            ensure_all_finite=True, input_name=f"X[{name!r}]")
        arrays[name] = to_float32(array.reshape(-1, 1) if array.ndim == 1 else array)
    check_consistent_length(*arrays.values())
    return arrays


def single_entry(value: Any, name: str, what: str, where: str) -> Any:
    """Unwrap ``{name: value}`` given to a one-input (or one-output) model."""
    if not is_named_collection(value):
        return value
    check_names(list(value), (name,), what, where)
    return value[name]
