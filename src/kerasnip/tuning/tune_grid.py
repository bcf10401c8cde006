"""``tune_grid``: cross-validated search over a grid of configurations, and ``finalize``.

How fits are grouped, run in parallel, saved and resumed is in
:mod:`kerasnip.tuning._search`, which every search method shares.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral
from typing import Any

import pandas as pd
from sklearn.base import clone

from kerasnip._utils import did_you_mean, python_scalar
from kerasnip.markers import tune
from kerasnip.pipelines import check_tunable
from kerasnip.tuning._search import setup_search
from kerasnip.tuning.grids import as_grid_frame, grid_settings, grid_space_filling
from kerasnip.tuning.params import ParameterSet, extract_parameter_set
from kerasnip.tuning.results import TuneResults

# --------------------------------------------------------------------------- public entry


def tune_grid(
    spec: Any,
    X: Any,
    y: Any,
    resamples: int | Any = 5,
    grid: pd.DataFrame | int = 10,
    metrics: Sequence[str | Callable] | Mapping[str, str | Callable] | None = None,
    *,
    params: ParameterSet | None = None,
    groups: Any = None,
    n_jobs: int | None = None,
    save_dir: str | os.PathLike | None = None,
    save_pred: bool = False,
    progress: bool = True,
    random_state: int | None = None,
) -> TuneResults:
    """Cross-validate every configuration of a grid.

    Parameters
    ----------
    spec : kerasnip estimator
        A generated spec with parameters marked by :func:`kerasnip.tune`.
    X, y : array-like, DataFrame or dict of arrays
        All the data; the folds are taken from it.
    resamples : int or cross-validation splitter, default=5
        Number of folds (stratified for classifiers, as in scikit-learn's
        ``check_cv``) or any scikit-learn splitter or iterable of
        ``(train, test)`` index pairs.
    grid : DataFrame or int, default=10
        The configurations, one row each, one column per tuned parameter id
        (see :func:`kerasnip.grid_regular`); an int asks for that many
        configurations from :func:`kerasnip.grid_space_filling`.
    metrics : list or dict, default=None
        scikit-learn scorer names (``"accuracy"``, ``"roc_auc_ovr"``,
        ``"neg_log_loss"``, ``"r2"``, ``"neg_root_mean_squared_error"``, ...)
        or scorers ``scorer(estimator, X, y) -> float`` (wrap metric
        functions with :func:`sklearn.metrics.make_scorer`); a dict names
        them. Greater is better, as for all scikit-learn scorers. Default:
        ``["accuracy"]`` for classifiers, ``["r2"]`` for regressors.
    params : ParameterSet, default=None
        Search spaces used when ``grid`` is an int and for plot axes
        (default: :func:`kerasnip.extract_parameter_set` of ``spec``).
    groups : array-like, default=None
        Group labels for group-aware splitters.
    n_jobs : int, default=None
        Tasks run in parallel through joblib; ``None`` follows the active
        ``joblib.parallel_backend`` (sequential when there is none).
    save_dir : path, default=None
        A folder where every finished (configuration, fold) is written as it
        completes. Running the same call again with the same folder resumes:
        finished fits are read back, not redone, and the results equal an
        uninterrupted run's. A folder written by a different run is an error.
    save_pred : bool, default=False
        Keep the assessment-set predictions (:meth:`TuneResults.collect_predictions`).
    progress : bool, default=True
        Show a progress bar with an ETA over (configuration x fold) when
        stdout is a terminal or a notebook.
    random_state : int, default=None
        Seed for the grid when ``grid`` is an int, and for every fit when the
        spec has no ``random_state`` of its own. With a seed, results are
        identical whatever ``n_jobs`` or joblib back end.

    Returns
    -------
    TuneResults

    Notes
    -----
    A configuration whose build, fit or scoring raises is recorded with its
    error message and NaN metrics (see :meth:`TuneResults.collect_errors`),
    and the run goes on.

    On JAX and TensorFlow each training set is padded to a whole number of
    batches with zero-weight copies of its rows (see
    :func:`kerasnip.whole_batches`), so folds of different sizes share
    one compiled training step; held-out rows are scored as in a plain fit.

    Parallel and distributed runs use joblib's back ends; generated classes
    pickle by definition, so blocks defined in ``__main__`` or a notebook
    work::

        res = kerasnip.tune_grid(spec, X, y, grid=grid, n_jobs=4)       # loky processes

        from dask.distributed import Client
        with Client("scheduler:8786"), joblib.parallel_backend("dask"):
            res = kerasnip.tune_grid(spec, X, y, grid=grid)

        import ray
        from ray.util.joblib import register_ray
        ray.init(); register_ray()
        with joblib.parallel_backend("ray"):
            res = kerasnip.tune_grid(spec, X, y, grid=grid)

    With ``save_dir`` on a distributed back end, workers write the files
    themselves, so the folder must be on a file system they share.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:60] / 16, y[:60]
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), num_hidden_2=0, fit_epochs=1)
    >>> grid = pd.DataFrame({"hidden_1_units": [8, 32]})
    >>> res = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, progress=False,
    ...                          random_state=0)
    >>> res
    TuneResults (tune_grid): 2 configuration(s) x 2 fold(s), metrics ['accuracy']
      tuned: ['hidden_1_units']
    >>> res.collect_metrics()[["hidden_1_units", ".metric", "n", ".config"]]
       hidden_1_units   .metric  n  .config
    0               8  accuracy  2  Model01
    1              32  accuracy  2  Model02
    >>> list(res.select_best())
    ['hidden_1_units', '.config']
    """
    search = setup_search("tune_grid", spec, X, y, resamples=resamples, metrics=metrics,
                          params=params, groups=groups, random_state=random_state,
                          save_pred=save_pred, n_jobs=n_jobs, progress=progress)
    grid = search_grid(search.params, grid, random_state)
    settings = grid_settings(search.spec, search.params, grid)
    search.open_store(save_dir, {"grid": settings}, n_configs=len(settings))
    pairs = [(c, f) for c in range(len(settings)) for f in range(len(search.splits))]
    with search.running(len(pairs)) as bar:
        search.fits(settings, pairs, bar)
    return search.results(grid)


def search_grid(params: ParameterSet, grid: pd.DataFrame | int, random_state: int | None
          ) -> pd.DataFrame:
    """The grid as a DataFrame: an int asks for that many space-filling configurations."""
    if isinstance(grid, Integral) and not isinstance(grid, bool):
        # Nothing tuned: one configuration, the spec as it is.
        grid = grid_space_filling(params, size=int(grid), seed=random_state) if len(params) else (
            pd.DataFrame(index=range(1)))
    return as_grid_frame(grid)


# Columns of TuneResults tables that are not parameters (besides those starting with ".").
_RESULT_COLUMNS = {"mean", "n", "std_err", "fold"}


def finalize(spec: Any, best: Mapping[str, Any] | pd.Series | pd.DataFrame) -> Any:
    """A copy of ``spec`` with its tuned parameters set to chosen values.

    Parameters
    ----------
    spec : kerasnip estimator
        The spec with ``tune()`` markers.
    best : dict, Series or one-row DataFrame
        Values by tuned parameter id (or parameter name), e.g. from
        :meth:`TuneResults.select_best` or a row of
        :meth:`TuneResults.show_best`. Result columns (``.config``, ``mean``,
        ``n``, ``std_err``, ...) are ignored.

    Returns
    -------
    kerasnip estimator
        An unfitted clone with no ``tune()`` markers left, ready for ``fit``.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), learn_rate=kerasnip.tune("lr"))
    >>> model = kerasnip.finalize(spec, {"hidden_1_units": 32, "lr": 0.01})
    >>> model.hidden_1_units, model.learn_rate
    (32, 0.01)

    A row of :meth:`TuneResults.show_best` works too (its result columns are ignored),
    as does :meth:`TuneResults.select_best`'s dict:

    >>> best = pd.DataFrame({"hidden_1_units": [64], "lr": [0.001], ".metric": ["accuracy"],
    ...                      "mean": [0.9], "n": [5], "std_err": [0.01], ".config": ["Model07"]})
    >>> kerasnip.finalize(spec, best).get_params()["hidden_1_units"]
    64
    """
    check_tunable(spec, "finalize")
    if isinstance(best, pd.DataFrame):
        if len(best) != 1:
            raise ValueError(f"finalize() takes one configuration; the DataFrame has {len(best)}"
                             " rows. Pick one, e.g. results.select_best(metric).")
        best = best.iloc[0].to_dict()
    elif isinstance(best, pd.Series):
        best = best.to_dict()
    if not isinstance(best, Mapping):
        raise TypeError(f"best must be a dict, Series or one-row DataFrame, got {best!r}.")
    names = extract_parameter_set(spec).names()
    valid = spec.get_params()
    values: dict[str, Any] = {}
    for key, value in best.items():
        if str(key).startswith("."):
            continue
        if key in names:
            values[names[key]] = value
        elif key in valid:
            values[key] = value
        elif key not in _RESULT_COLUMNS:
            hint = did_you_mean(str(key), [*names, *valid])
            raise KeyError(f"best names {key!r}, which is neither a tuned parameter id "
                           f"({list(names)}) nor a parameter of {type(spec).__name__}.{hint}")
    final = clone(spec).set_params(**{k: python_scalar(v) for k, v in values.items()})
    left = [name for name, v in final.get_params().items() if isinstance(v, tune)]
    if left:
        raise ValueError(f"best gives no value for tuned parameter(s) {left}.")
    return final


