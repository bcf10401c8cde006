"""``tune_race``: a grid search that stops resampling configurations that are clearly worse.

Racing as in R's ``finetune::tune_race_anova``: every configuration is fitted
on the first ``burn_in`` folds; then, before each further fold, a
repeated-measures model of the metric decides which configurations are
significantly worse than the current best, and those are not fitted on the
remaining folds.

The statistics, on the configurations still in the race (``k`` of them, each
scored on the same ``m`` folds) and the first metric:

- the two-way additive model ``score[i, j] = mu + config[i] + fold[j] + e``
  (configurations as treatments, folds as blocks: a fold's easy or hard
  assessment set moves every configuration's score alike). With every
  configuration scored on every fold it gives the same contrasts as R's
  mixed model with a random fold effect;
- the residual variance ``s2 = SSE / ((k - 1) (m - 1))``;
- for each configuration ``i`` and the best one ``b`` (highest mean), the
  difference ``d = mean[i] - mean[b]`` (at most 0) with standard error
  ``sqrt(2 s2 / m)``, and the upper end of its one-sided ``1 - alpha``
  confidence interval, ``d + t(1 - alpha, (k - 1) (m - 1)) se``;
- ``i`` is eliminated when that upper end is below 0: even optimistically
  it is worse than the best.

A configuration whose fit or score failed on a fold is eliminated then (it
cannot be compared). When two configurations are left and ``num_ties``
further folds have not told them apart, the one with the better mean wins,
as in finetune. The survivors are fitted on every fold; only they are
candidates for ``show_best`` and ``select_best``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kerasnip._utils import check_integers
from kerasnip.tuning._search import setup_search
from kerasnip.tuning.grids import grid_settings
from kerasnip.tuning.params import ParameterSet
from kerasnip.tuning.results import TuneResults
from kerasnip.tuning.tune_grid import search_grid


def tune_race(
    spec: Any,
    X: Any,
    y: Any,
    resamples: int | Any = 5,
    grid: pd.DataFrame | int = 10,
    metrics: Sequence[str | Callable] | Mapping[str, str | Callable] | None = None,
    *,
    burn_in: int = 3,
    alpha: float = 0.05,
    num_ties: int = 10,
    params: ParameterSet | None = None,
    groups: Any = None,
    n_jobs: int | None = None,
    save_dir: str | os.PathLike | None = None,
    save_pred: bool = False,
    progress: bool = True,
    random_state: int | None = None,
) -> TuneResults:
    """Race the configurations of a grid over the folds, dropping the clearly worse ones.

    Takes the arguments of :func:`kerasnip.tune_grid`, plus the race's.
    The statistics are in :mod:`kerasnip.tuning.race`.

    Parameters
    ----------
    spec : kerasnip estimator or Pipeline
        A spec (or a Pipeline ending in one) with parameters marked by
        :func:`kerasnip.tune`.
    X, y : array-like, DataFrame or dict of arrays
        All the data; the folds are taken from it.
    resamples : int or cross-validation splitter, default=5
        Number of folds, or any scikit-learn splitter. Racing needs more
        folds than ``burn_in`` to save anything.
    grid : DataFrame or int, default=10
        The configurations (see :func:`kerasnip.tune_grid`).
    metrics : list or dict, default=None
        scikit-learn scorers; the first decides the race.
    burn_in : int, default=3
        Folds every configuration is fitted on before the first elimination
        (at least 2).
    alpha : float, default=0.05
        Level of the one-sided test against the best configuration: smaller
        eliminates less, and only clearer losers.
    num_ties : int, default=10
        Folds after which the better of two configurations that the test
        cannot tell apart wins.
    params, groups, n_jobs, save_dir, save_pred, progress, random_state
        As in :func:`kerasnip.tune_grid`. With ``save_dir``, an interrupted
        race resumes: the eliminations are decided again from the saved
        scores, which gives the same race.

    Returns
    -------
    TuneResults
        With an ``.eliminated`` column: the number of folds a configuration
        was fitted on before it was eliminated (0 for the survivors).
        ``show_best`` and ``select_*`` choose among the survivors.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:60] / 16, y[:60]
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), num_hidden_2=0, fit_epochs=1)
    >>> grid = pd.DataFrame({"hidden_1_units": [8, 32]})
    >>> race = kerasnip.tune_race(spec, X, y, resamples=3, grid=grid, burn_in=2,
    ...                           progress=False, random_state=0)
    >>> race.method, race.n_folds, list(race.info.columns)
    ('tune_race', 3, ['.eliminated'])
    """
    check_integers(burn_in=(burn_in, 2), num_ties=(num_ties, 1))
    if not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a level between 0 and 1, e.g. 0.05, got {alpha!r}.")
    search = setup_search("tune_race", spec, X, y, resamples=resamples, metrics=metrics,
                          params=params, groups=groups, random_state=random_state,
                          save_pred=save_pred, n_jobs=n_jobs, progress=progress)
    n_folds = len(search.splits)
    if burn_in > n_folds:
        raise ValueError(f"burn_in={burn_in} asks for more folds than the {n_folds} resamples; "
                         "use more resamples or a smaller burn_in.")
    grid = search_grid(search.params, grid, random_state)
    settings = grid_settings(search.spec, search.params, grid)
    search.open_store(save_dir, {"grid": settings, "burn_in": burn_in, "alpha": alpha,
                                 "num_ties": num_ties}, n_configs=len(settings))
    alive = list(range(len(settings)))
    eliminated = np.zeros(len(settings), int)
    undecided = 0
    with search.running(len(settings) * n_folds) as bar:
        search.fits(settings, [(c, f) for c in alive for f in range(burn_in)], bar)
        for fold in range(burn_in, n_folds):
            scores = search.scores(alive, fold)
            keep = race_survivors(scores, alpha)
            if keep.all() and len(alive) == 2:
                undecided += 1
                if undecided >= num_ties:
                    keep = scores.mean(axis=1) == scores.mean(axis=1).max()
            for config in np.asarray(alive)[~keep]:
                eliminated[config] = fold
            alive = [c for c, k in zip(alive, keep, strict=True) if k]
            search.fits(settings, [(c, fold) for c in alive], bar)
    return search.results(grid, info=pd.DataFrame({".eliminated": eliminated}),
                          candidates=eliminated == 0)


def race_survivors(scores: np.ndarray, alpha: float) -> np.ndarray:
    """Which configurations stay in the race (see :mod:`kerasnip.tuning.race`).

    Parameters
    ----------
    scores : ndarray of shape (k, m)
        The metric (greater is better) of ``k`` configurations on the same
        ``m`` folds; NaN where a fit or score failed.
    alpha : float
        Level of the one-sided test against the best configuration.

    Returns
    -------
    ndarray of bool, shape (k,)
        ``True`` for the configurations that stay.

    Examples
    --------
    >>> scores = np.array([[0.90, 0.80, 0.85], [0.88, 0.83, 0.86], [0.50, 0.40, 0.45]])
    >>> race_survivors(scores, alpha=0.05)
    array([ True,  True, False])
    """
    scores = np.asarray(scores, float)
    keep = ~np.isnan(scores).any(axis=1)
    k, m = int(keep.sum()), scores.shape[1]
    if k < 2:
        return keep
    complete = scores[keep]
    means = complete.mean(axis=1)
    residuals = (complete - means[:, None] - complete.mean(axis=0)[None, :] + complete.mean())
    df = (k - 1) * (m - 1)
    s2 = float((residuals**2).sum()) / df
    difference = means - means.max()
    upper = difference + stats.t.ppf(1 - alpha, df) * np.sqrt(2 * s2 / m)
    keep[keep] = upper >= 0
    return keep
