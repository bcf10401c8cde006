"""Grids of candidate configurations, as DataFrames with one column per tuned parameter."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import pdist

from kerasnip._utils import did_you_mean, python_scalar
from kerasnip.tuning.params import ParameterSet, _levels_by_id

# Latin hypercubes tried by grid_space_filling; the most spread-out one wins.
_LHS_CANDIDATES = 20


def grid_regular(params: ParameterSet, levels: int | dict[str, int] = 3) -> pd.DataFrame:
    """Every combination of evenly spaced values of each parameter.

    Parameters
    ----------
    params : ParameterSet
        From :func:`kerasnip.extract_parameter_set` (and ``.update``).
    levels : int or dict of str to int, default=3
        Values per numeric parameter (evenly spaced, on the log scale for
        ``log=True``; integer parameters may yield fewer distinct values).
        A dict sets it per parameter id; ids left out get 3. A
        :class:`~kerasnip.Choice` always contributes all of its values.

    Returns
    -------
    pandas.DataFrame
        One row per configuration, one column per parameter id; the last
        column varies fastest.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> params = kerasnip.extract_parameter_set(
    ...     mlp(hidden_1_units=kerasnip.tune(), compile_optimizer=kerasnip.tune()))
    >>> kerasnip.grid_regular(params, levels=2)
       hidden_1_units compile_optimizer
    0              16              adam
    1              16           rmsprop
    2              16               sgd
    3             256              adam
    4             256           rmsprop
    5             256               sgd
    >>> kerasnip.grid_regular(params, levels={"hidden_1_units": 4}).shape
    (12, 2)
    """
    _check_params(params)
    counts = _levels_by_id(params, levels)
    values = [entry.space.regular(counts[entry.id]) for entry in params]
    rows = list(itertools.product(*values))
    return _frame(params, rows)


def grid_random(params: ParameterSet, size: int = 10, seed: int | None = None) -> pd.DataFrame:
    """Configurations drawn independently at random.

    Parameters
    ----------
    params : ParameterSet
        The search spaces.
    size : int, default=10
        Number of draws; duplicates are dropped, so small integer ranges may
        give fewer rows.
    seed : int, default=None
        Seed for a reproducible grid.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> params = kerasnip.extract_parameter_set(
    ...     mlp(hidden_1_units=kerasnip.tune(), compile_optimizer=kerasnip.tune()))
    >>> grid = kerasnip.grid_random(params, size=5, seed=0)
    >>> grid.shape, list(grid.columns)
    ((5, 2), ['hidden_1_units', 'compile_optimizer'])
    >>> grid.equals(kerasnip.grid_random(params, size=5, seed=0))
    True
    """
    _check_params(params)
    rng = np.random.default_rng(seed)
    columns = [entry.space.sample(_check_size(size), rng) for entry in params]
    return _frame(params, list(zip(*columns, strict=True)))


def grid_space_filling(
    params: ParameterSet, size: int = 10, seed: int | None = None
) -> pd.DataFrame:
    """A Latin hypercube design: configurations that cover the space evenly.

    Each parameter's range is cut into ``size`` equal slices (on the log
    scale for ``log=True``) and every slice is used once; of several random
    such designs, the one whose closest two points are farthest apart is kept.

    Parameters
    ----------
    params : ParameterSet
        The search spaces.
    size : int, default=10
        Number of configurations (fewer if integer or choice parameters make
        some identical).
    seed : int, default=None
        Seed for a reproducible grid.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> params = kerasnip.extract_parameter_set(
    ...     mlp(hidden_1_units=kerasnip.tune(), compile_optimizer=kerasnip.tune()))
    >>> grid = kerasnip.grid_space_filling(params, size=6, seed=0)
    >>> grid.shape
    (6, 2)

    Each third of the units range, and each optimizer, is used twice:

    >>> pd.cut(grid["hidden_1_units"], [16, 96, 176, 257], right=False).value_counts().tolist()
    [2, 2, 2]
    >>> grid["compile_optimizer"].value_counts().sort_index().tolist()
    [2, 2, 2]
    """
    _check_params(params)
    size = _check_size(size)
    rng = np.random.default_rng(seed)
    best = _latin_hypercube(size, len(params), rng)
    best_spread = _min_distance(best)
    for _ in range(_LHS_CANDIDATES - 1):
        design = _latin_hypercube(size, len(params), rng)
        spread = _min_distance(design)
        if spread > best_spread:
            best, best_spread = design, spread
    columns = [entry.space.from_unit(best[:, j]) for j, entry in enumerate(params)]
    return _frame(params, list(zip(*columns, strict=True)))


def _latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    return np.column_stack([(rng.permutation(n) + rng.random(n)) / n for _ in range(d)])


def _min_distance(design: np.ndarray) -> float:
    if len(design) < 2:
        return 0.0
    return float(pdist(design).min())


def _check_params(params: ParameterSet) -> None:
    if not isinstance(params, ParameterSet):
        raise TypeError(
            "Grids are built from a ParameterSet: params = kerasnip.extract_parameter_set(spec)"
            f"; got {type(params).__name__}."
        )
    if not len(params):
        raise ValueError(
            "The parameter set is empty: mark parameters of the spec with kerasnip.tune() first."
        )
    params.check_complete()


def _check_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}.")
    return int(size)


def _frame(params: ParameterSet, rows: list[tuple]) -> pd.DataFrame:
    # Build each column from the Python values so a Choice mixing types (None
    # and numbers, say) stays an object column instead of floats with NaN.
    columns = {}
    for j, id_ in enumerate(params.ids):
        values = [row[j] for row in rows]
        columns[id_] = pd.Series(values, dtype=_dtype(values))
    return pd.DataFrame(columns).drop_duplicates(ignore_index=True)


def _dtype(values: list) -> str | type:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if any(isinstance(v, bool) for v in values):
        return object
    if all(isinstance(v, Integral) for v in values):
        return "int64"
    if all(isinstance(v, Real) for v in values):
        return "float64"
    return object


def as_grid_frame(grid: Any) -> pd.DataFrame:
    """Check a user's grid: a DataFrame (or dict of lists) with at least one row."""
    if isinstance(grid, Mapping):
        grid = pd.DataFrame(dict(grid))
    if not isinstance(grid, pd.DataFrame):
        raise TypeError(
            "grid must be a DataFrame (e.g. kerasnip.grid_regular(params)) or a number of "
            f"space-filling configurations, got {type(grid).__name__}."
        )
    if not len(grid):
        raise ValueError("grid has no rows; give at least one configuration.")
    return grid.reset_index(drop=True)


def grid_settings(spec: Any, params: ParameterSet, grid: pd.DataFrame) -> list[dict[str, Any]]:
    """Turn a grid into one ``{estimator parameter: value}`` dict per row.

    Columns name tuned parameters by id; a column may also name any other
    parameter of the spec, which then varies too. Every tuned parameter must
    have a column.

    Parameters
    ----------
    spec : kerasnip estimator
        The spec being tuned.
    params : ParameterSet
        Its tuned parameters.
    grid : pandas.DataFrame
        The configurations (see :func:`as_grid_frame`).

    Returns
    -------
    list of dict
    """
    names = params.names()
    valid = list(spec.get_params())
    unknown = [c for c in grid.columns if c not in names and c not in valid]
    if unknown:
        hints = "".join(did_you_mean(str(c), [*names, *valid]) for c in unknown)
        raise KeyError(
            f"grid column(s) {unknown} name neither a tuned parameter id ({list(names)}) nor "
            f"a parameter of {type(spec).__name__}.{hints}"
        )
    missing = [i for i in names if i not in grid.columns]
    if missing:
        raise KeyError(
            f"grid has no column for tuned parameter(s) {missing}; every tune() marker needs "
            "values. Build the grid from kerasnip.extract_parameter_set(spec)."
        )
    targets = [names.get(c, c) for c in grid.columns]
    duplicated = sorted({t for t in targets if targets.count(t) > 1})
    if duplicated:
        raise ValueError(f"grid sets parameter(s) {duplicated} from more than one column.")
    return [
        {names.get(c, c): python_scalar(v) for c, v in row.items()}
        for row in grid.to_dict("records")
    ]
