"""Check a grid before tuning: build and compile every configuration without training."""

from __future__ import annotations

import re
import warnings
from typing import Any

import pandas as pd
from sklearn.base import clone

from kerasnip._utils import error_message
from kerasnip.estimators.base import UNTRAINED_WARNING
from kerasnip.pipelines import check_tunable, final_step
from kerasnip.tuning.grids import as_grid_frame, grid_settings
from kerasnip.tuning.params import extract_parameter_set

COMPILED, ERROR = "compiled_model", "error"


def compile_keras_grid(spec: Any, grid: pd.DataFrame, X: Any, y: Any) -> pd.DataFrame:
    """Build and compile the model of every grid row, without training.

    Catches configurations that cannot work (a block that rejects a value, an
    unknown optimizer or loss, an output that does not match y) in seconds,
    before a long :func:`kerasnip.tune_grid` run.

    Parameters
    ----------
    spec : kerasnip estimator
        The spec with ``tune()`` markers.
    grid : pandas.DataFrame
        Configurations, one column per tuned parameter id.
    X, y : array-like
        Data of the shape used for tuning (X fixes ``input_shape``, y the
        classes or outputs).

    Returns
    -------
    pandas.DataFrame
        The grid plus ``compiled_model`` (the compiled ``keras.Model``, or
        ``None``) and ``error`` (``None``, or the message of what failed).

    See Also
    --------
    extract_valid_grid, inform_errors

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), num_hidden_2=0)
    >>> grid = pd.DataFrame({"hidden_1_units": [8, -1, 16]})
    >>> compiled = kerasnip.compile_keras_grid(spec, grid, X[:40] / 16, y[:40])
    >>> list(compiled.columns)
    ['hidden_1_units', 'compiled_model', 'error']
    >>> compiled["error"].notna().tolist()
    [False, True, False]
    """
    check_tunable(spec, "compile_keras_grid")
    grid = as_grid_frame(grid)
    settings = grid_settings(spec, extract_parameter_set(spec), grid)
    models: list[Any] = []
    errors: list[str | None] = []
    for setting in settings:
        estimator = clone(spec).set_params(**setting)
        try:
            models.append(_build_and_compile(estimator, X, y))
            errors.append(None)
        except Exception as exc:
            models.append(None)
            errors.append(error_message(exc))
    out = grid.copy()
    out[COMPILED] = pd.Series(models, dtype=object)
    out[ERROR] = pd.Series(errors, dtype=object)
    return out


def _build_and_compile(estimator: Any, X: Any, y: Any) -> Any:
    # A fit of zero epochs runs every check, the build and the compile of a
    # real fit, and trains nothing (which is what its warning is about).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape(UNTRAINED_WARNING))
        final, prefix = check_tunable(estimator, "compile_keras_grid"), final_step(estimator)[1]
        estimator.set_params(**{f"{prefix}fit_epochs": 0}).fit(X, y)
        return final.model_


def _check_compiled(compiled: pd.DataFrame) -> None:
    if not isinstance(compiled, pd.DataFrame) or ERROR not in compiled.columns:
        raise TypeError("Expected the DataFrame returned by kerasnip.compile_keras_grid().")


def extract_valid_grid(compiled: pd.DataFrame) -> pd.DataFrame:
    """The rows of a compiled grid that built and compiled, as a plain grid.

    Parameters
    ----------
    compiled : pandas.DataFrame
        The result of :func:`compile_keras_grid`.

    Returns
    -------
    pandas.DataFrame
        Only the parameter columns, ready for :func:`kerasnip.tune_grid`.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), num_hidden_2=0)
    >>> grid = pd.DataFrame({"hidden_1_units": [8, -1, 16]})
    >>> compiled = kerasnip.compile_keras_grid(spec, grid, X[:40] / 16, y[:40])
    >>> kerasnip.extract_valid_grid(compiled)
       hidden_1_units
    0               8
    1              16
    """
    _check_compiled(compiled)
    valid = compiled[compiled[ERROR].isna()]
    return valid.drop(columns=[COMPILED, ERROR]).reset_index(drop=True)


def inform_errors(compiled: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Print which grid rows failed to build or compile, and why.

    Parameters
    ----------
    compiled : pandas.DataFrame
        The result of :func:`compile_keras_grid`.
    n : int, default=10
        Print at most this many rows (all are returned).

    Returns
    -------
    pandas.DataFrame
        The failing rows (parameters and ``error``).

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), num_hidden_2=0)
    >>> grid = pd.DataFrame({"hidden_1_units": [8, -1, 16]})
    >>> compiled = kerasnip.compile_keras_grid(spec, grid, X[:40] / 16, y[:40])
    >>> failed = kerasnip.inform_errors(compiled)
    1 of 3 configurations failed to build or compile:
      row 1: hidden_1_units=-1
        BuildError: Block 'hidden_1' failed with {'units': -1, ...
    >>> failed.index.tolist()
    [1]
    """
    _check_compiled(compiled)
    failed = compiled[compiled[ERROR].notna()].drop(columns=[COMPILED])
    if failed.empty:
        print(f"All {len(compiled)} configurations built and compiled.")
        return failed
    print(f"{len(failed)} of {len(compiled)} configurations failed to build or compile:")
    for index, row in failed.head(n).iterrows():
        values = ", ".join(f"{k}={v!r}" for k, v in row.items() if k != ERROR)
        print(f"  row {index}: {values}\n    {row[ERROR]}")
    if len(failed) > n:
        print(f"  ... and {len(failed) - n} more (see the returned DataFrame).")
    return failed
