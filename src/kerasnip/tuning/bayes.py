"""``tune_bayes``: Bayesian optimisation of the resampled metric with a Gaussian process.

As R's ``tune::tune_bayes``: after an initial set of configurations, a
Gaussian process models the mean resampled metric as a function of the
parameters, and each iteration fits the configuration that maximises an
acquisition function over many random candidates.

- Encoding: each range on its own scale (log for ``log=True`` ranges) mapped
  to [0, 1]; each :class:`~kerasnip.Choice` one-hot.
- Model: scikit-learn's ``GaussianProcessRegressor`` with a constant times
  a Matérn (nu = 5/2) kernel with one length scale per input, plus white
  noise (resampled metrics are noisy), on standardised scores.
- Acquisition (greater-is-better metrics): expected improvement ``"ei"``
  and probability of improvement ``"pi"`` over the best mean so far (with a
  trade-off ``xi``, in units of the scores' standard deviation), or the upper
  confidence bound ``"ucb"`` ``mu + kappa sigma``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kerasnip._utils import check_integers
from kerasnip.tuning._search import setup_search
from kerasnip.tuning.grids import as_grid_frame, grid_random, grid_settings, grid_space_filling
from kerasnip.tuning.params import ParameterSet
from kerasnip.tuning.results import TuneResults

ACQUISITIONS = ("ei", "pi", "ucb")


class GaussianProcessProposer:
    """Proposes the next configuration from the ones scored so far.

    Parameters
    ----------
    params : ParameterSet
        The search spaces (every parameter needs a range).
    acquisition : {"ei", "pi", "ucb"}, default="ei"
        What the next configuration maximises (see :mod:`kerasnip.tuning.bayes`).
    xi : float, default=0.01
        Trade-off of ``"ei"`` and ``"pi"``: larger explores more.
    kappa : float, default=2.0
        Standard deviations of ``"ucb"``.
    n_candidates : int, default=2000
        Random configurations the acquisition is evaluated on.
    seed : int, default=None
        Seed of the candidates and the process's optimiser.

    Examples
    --------
    >>> from kerasnip import Float, ParameterSet
    >>> from kerasnip.tuning.params import TunedParameter
    >>> params = ParameterSet([TunedParameter("x", "x", Float(0.0, 1.0))])
    >>> grid = pd.DataFrame({"x": [0.1, 0.5, 0.9]})
    >>> proposer = GaussianProcessProposer(params, seed=0)
    >>> nxt = proposer.propose(grid, np.array([0.2, 0.8, 0.3]), iteration=1)
    >>> list(nxt.columns), len(nxt)
    (['x'], 1)
    """

    def __init__(self, params: ParameterSet, acquisition: str = "ei", *, xi: float = 0.01,
                 kappa: float = 2.0, n_candidates: int = 2000, seed: int | None = None):
        if acquisition not in ACQUISITIONS:
            raise ValueError(f"acquisition must be one of {ACQUISITIONS}, got {acquisition!r}.")
        params.check_complete()
        self.params, self.acquisition = params, acquisition
        self.xi, self.kappa, self.n_candidates, self.seed = xi, kappa, n_candidates, seed

    def encode(self, grid: pd.DataFrame) -> np.ndarray:
        """Configurations as the process's inputs (see :meth:`Param.encode`)."""
        return np.hstack([entry.space.encode(grid[entry.id].tolist()) for entry in self.params])

    def propose(self, grid: pd.DataFrame, scores: np.ndarray, iteration: int) -> pd.DataFrame:
        """The configuration (a one-row grid) that maximises the acquisition.

        Parameters
        ----------
        grid : DataFrame
            The configurations scored so far, one column per parameter id.
        scores : ndarray of shape (len(grid),)
            Their mean metric (greater is better); NaN for failed ones, which
            the process leaves out.
        iteration : int
            Numbers this proposal's random candidates (so a resumed run draws
            the same ones).

        Returns
        -------
        DataFrame
            One row, or none when every candidate has been scored already.
        """
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        seed = None if self.seed is None else self.seed + iteration
        candidates = grid_random(self.params, size=self.n_candidates, seed=seed)
        seen = set(map(tuple, grid.astype(object).to_numpy()))
        fresh = [tuple(row) not in seen for row in candidates.astype(object).to_numpy()]
        candidates = candidates[fresh].reset_index(drop=True)
        if candidates.empty:
            return candidates
        scored = ~np.isnan(np.asarray(scores, float))
        X, y = self.encode(grid[scored]), np.asarray(scores, float)[scored]
        if len(y) < 2 or np.ptp(y) == 0:
            # Nothing to model yet: the candidate farthest from what was tried.
            distance = _distance_to(self.encode(candidates), X)
            return candidates.iloc[[int(np.argmax(distance))]].reset_index(drop=True)
        width = X.shape[1]
        kernel = (ConstantKernel(1.0, (1e-3, 1e3))
                  * Matern(np.full(width, 0.5), (1e-2, 1e2), nu=2.5)
                  + WhiteKernel(1e-2, (1e-6, 1.0)))
        process = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=2,
                                           random_state=seed)
        with warnings.catch_warnings():
            # Bounds reached on a handful of points are expected, not actionable.
            warnings.filterwarnings("ignore", module="sklearn.gaussian_process")
            process.fit(X, y)
            mean, sd = process.predict(self.encode(candidates), return_std=True)
        value = acquisition_value(self.acquisition, mean, sd, y.max(), np.std(y),
                                  xi=self.xi, kappa=self.kappa)
        return candidates.iloc[[int(np.argmax(value))]].reset_index(drop=True)


def acquisition_value(kind: str, mean: np.ndarray, sd: np.ndarray, best: float,
                      scale: float = 1.0, *, xi: float = 0.01, kappa: float = 2.0
                      ) -> np.ndarray:
    """Expected improvement, probability of improvement or upper confidence bound.

    Parameters
    ----------
    kind : {"ei", "pi", "ucb"}
    mean, sd : ndarray
        The model's predictive mean and standard deviation per candidate.
    best : float
        The best score so far (greater is better).
    scale : float, default=1.0
        The scores' spread; ``xi`` is in these units.
    xi, kappa : float
        Trade-offs (see :class:`GaussianProcessProposer`).

    Returns
    -------
    ndarray

    Examples
    --------
    >>> acquisition_value("ucb", np.array([0.5, 0.4]), np.array([0.0, 0.1]), best=0.5)
    array([0.5, 0.6])
    """
    if kind == "ucb":
        return mean + kappa * sd
    sd = np.maximum(sd, 1e-12)
    gain = mean - best - xi * scale
    z = gain / sd
    if kind == "pi":
        return stats.norm.cdf(z)
    return gain * stats.norm.cdf(z) + sd * stats.norm.pdf(z)


def _distance_to(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    if not len(reference):
        return np.zeros(len(points))
    return np.min(np.linalg.norm(points[:, None, :] - reference[None, :, :], axis=2), axis=1)


def tune_bayes(
    spec: Any,
    X: Any,
    y: Any,
    resamples: int | Any = 5,
    metrics: Sequence[str | Callable] | Mapping[str, str | Callable] | None = None,
    *,
    params: ParameterSet | None = None,
    initial: int | pd.DataFrame = 5,
    iterations: int = 10,
    acquisition: str = "ei",
    no_improve: int = 10,
    n_candidates: int = 2000,
    groups: Any = None,
    n_jobs: int | None = None,
    save_dir: str | os.PathLike | None = None,
    save_pred: bool = False,
    progress: bool = True,
    seed: int | None = None,
) -> TuneResults:
    """Bayesian optimisation: a Gaussian process proposes each next configuration.

    The method is described in :mod:`kerasnip.tuning.bayes`.

    Parameters
    ----------
    spec : kerasnip estimator or Pipeline
        A spec (or a Pipeline ending in one) with parameters marked by
        :func:`kerasnip.tune`.
    X, y : array-like, DataFrame or dict of arrays
        All the data; the folds are taken from it.
    resamples : int or cross-validation splitter, default=5
        Number of folds, or any scikit-learn splitter.
    metrics : list or dict, default=None
        scikit-learn scorers; the first is optimised.
    params : ParameterSet, default=None
        The search spaces (default: :func:`kerasnip.extract_parameter_set`).
    initial : int or DataFrame, default=5
        The first configurations: how many from
        :func:`kerasnip.grid_space_filling`, or a grid.
    iterations : int, default=10
        Configurations proposed after the initial ones, at most.
    acquisition : {"ei", "pi", "ucb"}, default="ei"
        Expected improvement, probability of improvement or upper
        confidence bound.
    no_improve : int, default=10
        Stop after this many iterations in a row without a new best.
    n_candidates : int, default=2000
        Random configurations the acquisition is evaluated on per iteration.
    groups, n_jobs, save_pred, progress
        As in :func:`kerasnip.tune_grid`. ``n_jobs`` runs the initial
        configurations in parallel; each proposal is one configuration, whose
        folds one estimator fits in turn (reusing its compiled model).
    save_dir : path, default=None
        As in :func:`kerasnip.tune_grid`; an interrupted run resumes and
        proposes the same configurations again, which needs ``seed``.
    seed : int, default=None
        Seed of the initial design, the candidates, the process and (when
        the spec has no ``random_state``) every fit.

    Returns
    -------
    TuneResults
        With an ``.iter`` column: 0 for the initial configurations, then the
        iteration that proposed each.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:60] / 16, y[:60]
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), num_hidden_2=0, fit_epochs=1)
    >>> params = kerasnip.extract_parameter_set(spec).update(hidden_1_units=[8, 16, 32])
    >>> res = kerasnip.tune_bayes(spec, X, y, resamples=2, params=params,
    ...                           initial=pd.DataFrame({"hidden_1_units": [8, 32]}),
    ...                           iterations=1, progress=False, seed=0)

    Two initial configurations, then the one the process proposed:

    >>> res.grid["hidden_1_units"].tolist(), res.info[".iter"].tolist()
    ([8, 32, 16], [0, 0, 1])
    """
    check_integers(iterations=(iterations, 0), no_improve=(no_improve, 1),
                   n_candidates=(n_candidates, 1))
    if save_dir is not None and seed is None:
        raise ValueError("tune_bayes(save_dir=...) needs a seed: a resumed run must propose "
                         "the configurations the interrupted one did. Pass seed=0 (any int).")
    search = setup_search("tune_bayes", spec, X, y, resamples=resamples, metrics=metrics,
                          params=params, groups=groups, random_state=seed,
                          save_pred=save_pred, n_jobs=n_jobs, progress=progress)
    proposer = GaussianProcessProposer(search.params, acquisition, n_candidates=n_candidates,
                                       seed=seed)
    if isinstance(initial, Integral) and not isinstance(initial, bool):
        check_integers(initial=(initial, 1))
        grid = grid_space_filling(search.params, size=int(initial), seed=seed)
    else:
        grid = as_grid_frame(initial)[search.params.ids]
    search.open_store(save_dir, {"initial": grid_settings(search.spec, search.params, grid),
                                 "iterations": iterations, "acquisition": acquisition,
                                 "no_improve": no_improve, "n_candidates": n_candidates,
                                 "seed": seed}, n_configs=len(grid) + iterations)
    proposed_at = [0] * len(grid)
    with search.running((len(grid) + iterations) * len(search.splits)) as bar:
        scores = _evaluate(search, grid, range(len(grid)), bar)
        best, stale = np.nanmax(scores) if np.isfinite(scores).any() else -np.inf, 0
        for iteration in range(1, iterations + 1):
            if stale >= no_improve:
                break
            proposal = proposer.propose(grid, scores, iteration)
            if proposal.empty:
                break
            grid = pd.concat([grid, proposal], ignore_index=True)
            proposed_at.append(iteration)
            scores = np.append(scores, _evaluate(search, grid, [len(grid) - 1], bar))
            if scores[-1] > best:
                best, stale = scores[-1], 0
            else:
                stale += 1
    return search.results(grid, info=pd.DataFrame({".iter": proposed_at}))


def _evaluate(search: Any, grid: pd.DataFrame, configs: Sequence[int], bar: Any) -> np.ndarray:
    """Fit the configurations on every fold; their mean first metric (NaN if a fold failed)."""
    settings = grid_settings(search.spec, search.params, grid)
    search.fits(settings, [(c, f) for c in configs for f in range(len(search.splits))], bar)
    return search.scores(configs).mean(axis=1)
