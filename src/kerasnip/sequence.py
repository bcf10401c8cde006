"""Sequence tooling as scikit-learn transformers (the R package's recipe steps).

* :class:`SequenceWindows` (``step_sequence``): sliding windows of consecutive
  rows, ``(n, features) -> (m, timesteps, features)``, for recurrent and
  convolutional sequence models.
* :class:`LeadTargets` (``step_lead``): future values of columns as
  ``lead_{k}_{col}`` columns, the targets of a (multi-step) forecast.
* :class:`CollapseColumns` (``step_collapse``): several columns into one
  array-valued column, the form kerasnip takes for one input block.

Rows are assumed to be in time order. With ``padding="drop"`` the first
``timesteps - 1`` rows have no full window and produce no output row; the
window of output row ``i`` ends at input row ``i + timesteps - 1``, the row it
"belongs to". :meth:`SequenceWindows.align_target` trims a target to those
rows for fitting, and :func:`align_predictions` puts predictions back on the
input's index (missing for the rows without a window)::

    windows = SequenceWindows(timesteps=12)
    model = make_pipeline(windows, spec(...)).fit(X, windows.align_target(y))
    aligned = align_predictions(model.predict(X_new), X_new, model)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from kerasnip._utils import did_you_mean

PADDINGS = ("drop", "zero")


def _positive_int(value: Any, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}.")
    return int(value)


def _rows_index(X: Any) -> pd.Index:
    return X.index if isinstance(X, (pd.DataFrame, pd.Series)) else pd.RangeIndex(len(X))


class SequenceWindows(TransformerMixin, BaseEstimator):
    """Sliding windows of ``timesteps`` consecutive rows (the R package's ``step_sequence``).

    Turns a table of ``n`` time-ordered rows and ``f`` features into an array
    ``(m, timesteps, f)`` whose entry ``i`` holds the rows up to and including
    the row it belongs to.

    Parameters
    ----------
    timesteps : int, default=10
        Rows per window.
    padding : {"drop", "zero"}, default="drop"
        ``"drop"``: the first ``timesteps - 1`` rows have no full window and are
        left out (``m = n - timesteps + 1``); ``"zero"``: their windows are
        filled with zeros before the first row (``m = n``).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Column names seen during fit (DataFrame input only).

    Examples
    --------
    >>> SequenceWindows(timesteps=2).fit_transform(np.arange(6).reshape(3, 2))[:, :, 0]
    array([[0, 2],
           [2, 4]])
    """

    def __init__(self, timesteps: int = 10, padding: str = "drop"):
        self.timesteps = timesteps
        self.padding = padding

    def _check_params(self) -> int:
        if self.padding not in PADDINGS:
            raise ValueError(
                f"SequenceWindows: padding must be one of {list(PADDINGS)}, got "
                f"{self.padding!r}.{did_you_mean(str(self.padding), PADDINGS)}"
            )
        return _positive_int(self.timesteps, "timesteps", "SequenceWindows")

    def fit(self, X: Any, y: Any = None) -> SequenceWindows:
        """Check the parameters and record the number (and names) of features.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, features)
            Time-ordered rows.
        y : array-like, default=None
            Not used. A ``y`` with one entry per row of ``X`` while rows are
            dropped gets a warning: trim it with :meth:`align_target`.

        Returns
        -------
        self
        """
        self._check_params()
        values = validate_data(self, X, reset=True, dtype="numeric")
        dropped = self.n_dropped()
        # In a Pipeline the model after this step would fail on the length
        # mismatch with scikit-learn's message, which does not say how to fix it.
        if dropped and y is not None and len(y) == len(values):
            warnings.warn(
                f"y has one entry per row of X, but SequenceWindows(timesteps={self.timesteps})"
                f" gives the first {dropped} row(s) no window, so a model after it gets "
                f"{dropped} fewer samples than y. Pass windows.align_target(y) (y without its "
                "first rows) as the target, or use padding='zero'.",
                UserWarning, stacklevel=2,
            )
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Cut ``X`` into windows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, features)
            Time-ordered rows, with the features seen in fit.

        Returns
        -------
        ndarray of shape (m, timesteps, features)
        """
        check_is_fitted(self, "n_features_in_")
        timesteps = self._check_params()
        values = validate_data(self, X, reset=False, dtype="numeric")
        if self.padding == "zero":
            pad = np.zeros((timesteps - 1, values.shape[1]), dtype=values.dtype)
            values = np.vstack([pad, values])
        elif len(values) < timesteps:
            raise ValueError(
                f"SequenceWindows(timesteps={timesteps}) needs at least {timesteps} rows to "
                f"make a window, got {len(values)}. Pass more history, or use "
                "padding='zero' to keep every row."
            )
        windows = np.lib.stride_tricks.sliding_window_view(values, timesteps, axis=0)
        return np.ascontiguousarray(windows.transpose(0, 2, 1))

    def n_dropped(self) -> int:
        """How many leading rows get no window (``timesteps - 1`` for "drop", else 0)."""
        timesteps = self._check_params()
        return timesteps - 1 if self.padding == "drop" else 0

    def output_index(self, X: Any) -> pd.Index:
        """The rows of ``X`` that the output windows belong to, in output order.

        Parameters
        ----------
        X : array-like or DataFrame
            The input given to :meth:`transform`.

        Returns
        -------
        pandas.Index
            ``X``'s index labels (positions for arrays) of the windows' last rows.
        """
        return _rows_index(X)[self.n_dropped():]

    def align_target(self, y: Any) -> Any:
        """Trim ``y`` (one entry per input row) to the rows that get a window.

        Parameters
        ----------
        y : array-like, Series or DataFrame
            Targets aligned with the rows of ``X``.

        Returns
        -------
        The same type as ``y``, without its first :meth:`n_dropped` rows.
        """
        start = self.n_dropped()
        if isinstance(y, (pd.Series, pd.DataFrame)):
            return y.iloc[start:]
        return np.asarray(y)[start:]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _find_windows(source: Any) -> SequenceWindows:
    if isinstance(source, SequenceWindows):
        return source
    if isinstance(source, Pipeline):
        found = [step for _, step in source.steps if isinstance(step, SequenceWindows)]
        if len(found) == 1:
            return found[0]
        raise ValueError(
            f"The pipeline has {len(found)} SequenceWindows steps; align_predictions needs "
            "exactly one (pass that step itself)."
        )
    raise TypeError(
        "windows must be a SequenceWindows transformer or a Pipeline containing one, got "
        f"{type(source).__name__}."
    )


def align_predictions(predictions: Any, X: Any, windows: Any) -> pd.Series | pd.DataFrame:
    """Put predictions made on windows back on the rows of the original input.

    Parameters
    ----------
    predictions : array-like, Series or DataFrame
        One entry per window (e.g. ``model.predict(X)`` or
        ``kerasnip.predict_table(model, X, ...)``).
    X : array-like or DataFrame
        The un-windowed input the predictions were made from.
    windows : SequenceWindows or Pipeline
        The transformer that made the windows, or a pipeline holding it.

    Returns
    -------
    Series or DataFrame
        Indexed like ``X`` (positions for arrays), missing values for rows
        without a window; a Series for 1-D predictions.

    Examples
    --------
    >>> series = pd.DataFrame({"v": np.arange(5.0)}, index=pd.date_range("2024-01-01", periods=5))
    >>> windows = kerasnip.SequenceWindows(timesteps=3).fit(series)
    >>> windows.transform(series).shape  # three windows of three rows
    (3, 3, 1)
    >>> kerasnip.align_predictions(np.array([10.0, 20.0, 30.0]), series, windows)
    2024-01-01     NaN
    2024-01-02     NaN
    2024-01-03    10.0
    2024-01-04    20.0
    2024-01-05    30.0
    Freq: D, dtype: float64
    """
    kept = _find_windows(windows).output_index(X)
    if len(predictions) != len(kept):
        raise ValueError(
            f"Got {len(predictions)} predictions but X gives {len(kept)} windows; pass the X "
            "the predictions were made from."
        )
    if isinstance(predictions, (pd.Series, pd.DataFrame)):
        aligned = predictions.set_axis(kept)
    else:
        values = np.asarray(predictions)
        aligned = pd.Series(values, index=kept) if values.ndim == 1 else pd.DataFrame(
            values.reshape(len(values), -1), index=kept)
    return aligned.reindex(_rows_index(X))


def _column_positions(columns: Any, names: list[Any], owner: str) -> list[int]:
    """Positions of ``columns`` (names, or positions for arrays) among ``names``."""
    if columns is None:
        return list(range(len(names)))
    selected = [columns] if isinstance(columns, (str, Integral)) else list(columns)
    if not selected:
        raise ValueError(f"{owner}: columns is empty; name at least one column.")
    positions = []
    for column in selected:
        if column in names:
            positions.append(names.index(column))
        elif isinstance(column, Integral) and not isinstance(column, bool) and (
                0 <= int(column) < len(names)):
            positions.append(int(column))
        else:
            hint = did_you_mean(str(column), map(str, names))
            raise ValueError(
                f"{owner}: column {column!r} is not in X.{hint} X has columns {names[:20]}."
            )
    return positions


class _ColumnStep(TransformerMixin, BaseEstimator):
    """Shared bookkeeping of the column steps: names seen in fit, selected columns."""

    def _frame(self, X: Any, reset: bool) -> pd.DataFrame:
        """``X`` as a DataFrame (arrays get columns ``x0, x1, ...``), names checked."""
        if not reset:
            check_is_fitted(self, "columns_")
        if isinstance(X, pd.DataFrame):
            # DataFrames may hold other kinds of columns (dates, labels) next to the numbers.
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.empty:
                raise ValueError(f"{type(self).__name__} got an empty DataFrame {X.shape}.")
            return X
        X = validate_data(self, X, reset=reset, dtype="numeric", ensure_all_finite="allow-nan")
        return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])

    def _fit_columns(self, X: Any) -> pd.DataFrame:
        frame = self._frame(X, reset=True)
        names = list(frame.columns)
        self.columns_ = [names[i] for i in
                         _column_positions(self.columns, names, type(self).__name__)]
        return frame

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _input_names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [f"x{i}" for i in range(self.n_features_in_)]
        return [str(name) for name in names]

    def _other_names(self) -> list[str]:
        """The input's column names other than the step's ``columns_``."""
        selected = {str(column) for column in self.columns_}
        return [name for name in self._input_names() if name not in selected]


class LeadTargets(_ColumnStep):
    """Future values of columns as ``lead_{k}_{col}`` columns (the R package's ``step_lead``).

    Row ``t`` of ``lead_{k}_{col}`` holds ``col`` at row ``t + k``; the last
    ``k`` rows, whose future is not in the data, hold ``default`` (NaN unless
    given). The original columns are kept by default, so the output holds both
    features and targets.

    Parameters
    ----------
    columns : str, int or list, default=None
        The columns to lead (names, or positions for arrays); all by default.
    leads : int or sequence of int, default=1
        Steps ahead, e.g. ``(1, 2, 3)`` for a three-step forecast.
    default : float, default=nan
        The value of rows without a future value.
    prefix : str, default ``"lead_"``
        The added columns are ``{prefix}{k}_{col}``.
    keep_original_cols : bool, default=True
        Keep the led columns next to their leads (the other columns are always
        kept).

    Attributes
    ----------
    columns_ : list
        The led columns (``x0``, ``x1``, ... for arrays).
    target_names_ : list of str
        The added columns, in output order (by column, then by lead).
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray
        Column names seen during fit (DataFrame input only).

    Examples
    --------
    >>> frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [5.0, 6.0, 7.0, 8.0]})
    >>> kerasnip.LeadTargets("y", leads=(1, 2)).fit_transform(frame)
         y    x  lead_1_y  lead_2_y
    0  1.0  5.0       2.0       3.0
    1  2.0  6.0       3.0       4.0
    2  3.0  7.0       4.0       NaN
    3  4.0  8.0       NaN       NaN
    """

    def __init__(self, columns: Any = None, leads: int | Sequence[int] = 1,
                 default: float = np.nan, prefix: str = "lead_",
                 keep_original_cols: bool = True):
        self.columns = columns
        self.leads = leads
        self.default = default
        self.prefix = prefix
        self.keep_original_cols = keep_original_cols

    def _leads(self) -> list[int]:
        # NumPy integers are Integral but not int, so mypy cannot narrow self.leads here.
        leads = ([self.leads] if isinstance(self.leads, Integral)
                 else list(self.leads))  # type: ignore[arg-type]
        if not leads:
            raise ValueError("LeadTargets: leads is empty; give at least one step ahead.")
        return [_positive_int(k, "each lead", "LeadTargets") for k in leads]

    def _added(self) -> list[tuple[str, Any, int]]:
        """``(new column name, led column, steps ahead)`` in output order."""
        leads = self._leads()
        return [(f"{self.prefix}{k}_{column}", column, k) for column in self.columns_
                for k in leads]

    def fit(self, X: Any, y: Any = None) -> LeadTargets:
        """Check the parameters and resolve the columns.

        Parameters
        ----------
        X : DataFrame or 2-D array
            Time-ordered rows.
        y : ignored

        Returns
        -------
        self
        """
        self._leads()  # checked before the columns, so a bad lead is reported first
        if not isinstance(self.prefix, str):
            raise TypeError(f"LeadTargets: prefix must be a string, got {self.prefix!r}.")
        if not isinstance(self.keep_original_cols, (bool, np.bool_)):
            raise TypeError("LeadTargets: keep_original_cols must be True or False, got "
                            f"{self.keep_original_cols!r}.")
        frame = self._fit_columns(X)
        self.target_names_ = [name for name, _, _ in self._added()]
        clash = [name for name in self.target_names_ if name in frame.columns]
        if clash:
            raise ValueError(
                f"LeadTargets: X already has column(s) {clash}; drop them or rename them."
            )
        return self

    def transform(self, X: Any) -> pd.DataFrame | np.ndarray:
        """Append the lead columns.

        Parameters
        ----------
        X : DataFrame or 2-D array
            Time-ordered rows with the columns seen in fit.

        Returns
        -------
        DataFrame (for DataFrame input) or ndarray
            ``X``'s columns followed by ``target_names_``.
        """
        frame = self._frame(X, reset=False)
        added = {name: frame[column].shift(-k, fill_value=self.default)
                 for name, column, k in self._added()}
        kept = frame if self.keep_original_cols else frame.drop(columns=self.columns_)
        out = pd.concat([kept, pd.DataFrame(added, index=frame.index)], axis=1)
        return out if isinstance(X, pd.DataFrame) else out.to_numpy()

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output column names: the input's, then ``target_names_``.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "target_names_")
        kept = self._input_names() if self.keep_original_cols else self._other_names()
        return np.asarray([*kept, *self.target_names_], dtype=object)


class CollapseColumns(_ColumnStep):
    """Several columns into one array-valued column (the R package's ``step_collapse``).

    Each cell of the new column is a 1-D float array of the row's values of
    the collapsed columns, the form kerasnip takes for one input block (like
    R's ``I(matrix)``); the other columns are kept before it.

    Parameters
    ----------
    columns : str, int or list, default=None
        The columns to collapse (names, or positions for arrays); all by default.
    name : str, default="x"
        The new column's name (e.g. the input block it feeds).

    Attributes
    ----------
    columns_ : list
        The collapsed columns.
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray
        Column names seen during fit (DataFrame input only).

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "c": ["u", "v"]})
    >>> out = kerasnip.CollapseColumns(["a", "b"], name="inputs").fit_transform(frame)
    >>> out.columns.tolist(), out["inputs"].iloc[0]
    (['c', 'inputs'], array([1., 3.]))
    """

    def __init__(self, columns: Any = None, name: str = "x"):
        self.columns = columns
        self.name = name

    def fit(self, X: Any, y: Any = None) -> CollapseColumns:
        """Resolve the columns and check the new name is free.

        Parameters
        ----------
        X : DataFrame or 2-D array
            The table.
        y : ignored

        Returns
        -------
        self
        """
        frame = self._fit_columns(X)
        if self.name in frame.columns.drop(self.columns_):
            raise ValueError(
                f"CollapseColumns: name {self.name!r} is already a column that is not "
                "collapsed; choose another name."
            )
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Replace the columns by one array-valued column.

        Parameters
        ----------
        X : DataFrame or 2-D array
            The table, with the columns seen in fit.

        Returns
        -------
        DataFrame
            The other columns, then the collapsed column ``name``.
        """
        frame = self._frame(X, reset=False)
        values = frame[self.columns_].to_numpy(dtype=np.float64)
        cells = pd.Series(list(values), index=frame.index, dtype=object, name=self.name)
        kept = frame.drop(columns=self.columns_)
        return pd.concat([kept, cells], axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # cells are arrays
        return tags

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output column names: the columns kept, then ``name``.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "columns_")
        return np.asarray([*self._other_names(), self.name], dtype=object)
