"""``tune_halving``: successive halving over epochs, continuing the survivors' training.

Every configuration trains a few epochs on every fold and is scored; the best
``1 / factor`` of them train on, ``factor`` times as many epochs in all, and
so on until ``max_epochs`` (Jamieson & Talwalkar's successive halving, the
inner loop of Hyperband). A survivor continues from the model and optimizer
state it had at the end of its last rung (:meth:`KerasEstimator.partial_fit`),
so reaching ``max_epochs`` costs ``max_epochs`` epochs, not the sum of the
rungs, and gives the model that one uninterrupted fit would.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from kerasnip._utils import check_integers, error_message
from kerasnip.pipelines import check_tunable
from kerasnip.runtime.pool import model_state, set_model_state
from kerasnip.runtime.runner import whole_batches
from kerasnip.tuning._folds import fold_data, fold_record, score_fold
from kerasnip.tuning._search import Search, preprocessing_key, run_jobs, setup_search
from kerasnip.tuning.grids import grid_settings, grid_space_filling
from kerasnip.tuning.params import ParameterSet
from kerasnip.tuning.results import TuneResults
from kerasnip.tuning.tune_grid import search_grid


def tune_halving(
    spec: Any,
    X: Any,
    y: Any,
    resamples: int | Any = 3,
    grid: pd.DataFrame | int | None = None,
    metrics: Sequence[str | Callable] | Mapping[str, str | Callable] | None = None,
    *,
    max_epochs: int | None = None,
    min_epochs: int = 1,
    factor: int = 3,
    brackets: int = 1,
    params: ParameterSet | None = None,
    groups: Any = None,
    n_jobs: int | None = None,
    save_dir: str | os.PathLike | None = None,
    save_pred: bool = False,
    progress: bool = True,
    random_state: int | None = None,
) -> TuneResults:
    """Successive halving over epochs: the best configurations train on, the rest stop.

    Rungs: with ``n`` configurations, ``s`` halvings (as many as ``factor``
    can divide ``n`` down to one, and ``max_epochs / min_epochs`` allows),
    rung ``i`` trains to ``max_epochs / factor ** (s - i)`` epochs in all
    (rounded, at least ``min_epochs``) and keeps the best
    ``ceil(n_i / factor)`` configurations by their mean score over the folds
    (the first metric). Survivors continue training where they stopped.

    With ``brackets=k`` this is Hyperband (Li et al.): ``k`` such runs, from
    the most exploratory (many configurations, ``min_epochs`` first) to ones
    with fewer configurations that start with more epochs. Bracket ``s``
    (``s_max = floor(log_factor(max_epochs / min_epochs))`` down to
    ``s_max - k + 1``) draws ``ceil((s_max + 1) / (s + 1) * factor ** s)``
    configurations with :func:`kerasnip.grid_space_filling` and starts them
    at ``max_epochs / factor ** s`` epochs.

    Parameters
    ----------
    spec : kerasnip estimator or Pipeline
        A spec (or a Pipeline ending in one) with parameters marked by
        :func:`kerasnip.tune`; ``fit_epochs`` is the budget this method
        allocates, so it must not be tuned.
    X, y : array-like, DataFrame or dict of arrays
        All the data; the folds are taken from it.
    resamples : int or cross-validation splitter, default=3
        Number of folds, or any scikit-learn splitter.
    grid : DataFrame or int, default=None
        The configurations, or how many to draw with
        :func:`kerasnip.grid_space_filling` (None: 27). With ``brackets > 1``
        each bracket draws its own, so ``grid`` must be None.
    metrics : list or dict, default=None
        scikit-learn scorers; the first decides who continues.
    max_epochs : int, default=None
        Epochs of the last rung (default: the spec's ``fit_epochs``).
    min_epochs : int, default=1
        The fewest epochs of the first rung.
    factor : int, default=3
        How many times fewer configurations, and more epochs, each rung has.
    brackets : int, default=1
        1 for successive halving; more for Hyperband's brackets (at most
        ``s_max + 1``).
    params, groups, n_jobs, save_dir, save_pred, progress, random_state
        As in :func:`kerasnip.tune_grid`. With ``save_dir``, an interrupted
        run resumes from the finished (rung, configuration, fold) scores; a
        survivor whose model was not kept is trained afresh to its rung's
        epochs, which gives the same model.

    Returns
    -------
    TuneResults
        One row per (configuration, rung), with the rung's total epochs in a
        ``fit_epochs`` column (so :func:`kerasnip.finalize` of a selected row
        sets them), ``.rung`` (0 is the first) and ``.bracket`` (0 is the
        first, most exploratory).

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:60] / 16, y[:60]
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), num_hidden_2=0)
    >>> grid = pd.DataFrame({"hidden_1_units": [8, 16, 32]})
    >>> res = kerasnip.tune_halving(spec, X, y, resamples=2, grid=grid, max_epochs=3,
    ...                             progress=False, random_state=0)

    Three configurations train for one epoch; the best one goes on to three:

    >>> res.info[".rung"].tolist(), res.grid["fit_epochs"].tolist()
    ([0, 0, 0, 1], [1, 1, 1, 3])
    """
    search = setup_search("tune_halving", spec, X, y, resamples=resamples, metrics=metrics,
                          params=params, groups=groups, random_state=random_state,
                          save_pred=save_pred, n_jobs=n_jobs, progress=progress)
    final = check_tunable(search.spec, "tune_halving")
    epochs_name = f"{search.prefix}fit_epochs"
    if epochs_name in search.params.names().values():
        raise ValueError(
            f"tune_halving allocates the epochs itself, so {epochs_name} cannot be tuned: "
            "remove its tune() marker and pass max_epochs= instead.")
    max_epochs = final.fit_epochs if max_epochs is None else max_epochs
    plans, drawn = _brackets(search.params, grid, brackets, max_epochs, min_epochs, factor,
                             random_state)
    settings = grid_settings(search.spec, search.params, drawn)
    search.open_store(save_dir, {"grid": settings, "schedules": [s for _, s in plans]},
                      n_configs=sum(n for _, s in plans for n, _ in s))
    rows: list[tuple[int, int, int, int]] = []  # (configuration, rung, epochs, bracket)
    with search.running(sum(n for _, s in plans for n, _ in s) * len(search.splits)) as bar:
        for bracket, (configs, schedule) in enumerate(plans):
            _successive_halving(search, settings, configs, schedule, bracket, rows, bar)
    table = drawn.iloc[[config for config, *_ in rows]].reset_index(drop=True)
    table[epochs_name] = [epochs for _, _, epochs, _ in rows]
    return search.results(table, info=pd.DataFrame({
        ".rung": [rung for _, rung, _, _ in rows],
        ".bracket": [bracket for *_, bracket in rows]}))


def _brackets(params: ParameterSet, grid: Any, brackets: int, max_epochs: int,
              min_epochs: int, factor: int, seed: int | None
              ) -> tuple[list[tuple[list[int], list[tuple[int, int]]]], pd.DataFrame]:
    """Each bracket's configurations (rows of the returned grid) and rung schedule."""
    check_integers(brackets=(brackets, 1), max_epochs=(max_epochs, 1),
                   min_epochs=(min_epochs, 1), factor=(factor, 2))
    if brackets == 1:
        grid = search_grid(params, 27 if grid is None else grid, seed)
        return [(list(range(len(grid))), rung_schedule(len(grid), max_epochs, min_epochs,
                                                       factor))], grid
    if grid is not None:
        raise ValueError("With brackets > 1 (Hyperband) each bracket draws its own "
                         "configurations from params; leave grid=None.")
    s_max = math.floor(math.log(max_epochs / min_epochs, factor) + 1e-9)
    if brackets > s_max + 1:
        raise ValueError(f"brackets={brackets} is more than the {s_max + 1} that max_epochs="
                         f"{max_epochs}, min_epochs={min_epochs} and factor={factor} allow.")
    plans, grids, start = [], [], 0
    for s in range(s_max, s_max - brackets, -1):
        n = math.ceil((s_max + 1) / (s + 1) * factor**s)
        drawn = grid_space_filling(params, size=n, seed=None if seed is None else seed + s)
        first = max(min_epochs, round(max_epochs / factor**s))
        plans.append((list(range(start, start + len(drawn))),
                      rung_schedule(len(drawn), max_epochs, first, factor)))
        grids.append(drawn)
        start += len(drawn)
    return plans, pd.concat(grids, ignore_index=True)


def _successive_halving(search: Search, settings: list[dict], configs: list[int],
                        schedule: list[tuple[int, int]], bracket: int,
                        rows: list[tuple[int, int, int, int]], bar: Any) -> None:
    """One bracket: train ``configs`` rung by rung, keeping the best of each rung."""
    trained: dict[int, _Trained] = {}  # by configuration
    alive = list(configs)
    previous: list[int] = []  # the results rows of the last rung
    for rung, (keep, epochs) in enumerate(schedule):
        if rung:
            alive = [alive[i] for i in sorted(_rank(search.scores(previous))[:keep])]
            for config in [c for c in trained if c not in alive]:
                del trained[config]
        previous = list(range(len(rows), len(rows) + len(alive)))
        rows.extend((config, rung, epochs, bracket) for config in alive)
        _train_rung(search, settings, rows, previous, epochs, trained, bar,
                    continued=rung + 1 < len(schedule))


def rung_schedule(n_configs: int, max_epochs: int, min_epochs: int = 1,
                  factor: int = 3) -> list[tuple[int, int]]:
    """The rungs of successive halving: (configurations, total epochs) for each.

    Parameters
    ----------
    n_configs : int
        Configurations in the first rung.
    max_epochs : int
        Epochs of the last rung.
    min_epochs : int, default=1
        The fewest epochs of the first rung.
    factor : int, default=3
        The ratio of configurations (and epochs) between rungs.

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> rung_schedule(27, 27)
    [(27, 1), (9, 3), (3, 9), (1, 27)]
    >>> rung_schedule(10, 30, factor=3)
    [(10, 1), (4, 3), (2, 10), (1, 30)]
    >>> rung_schedule(27, 4, min_epochs=2, factor=2)
    [(27, 2), (14, 4)]
    """
    check_integers(n_configs=(n_configs, 1), max_epochs=(max_epochs, 1),
                   min_epochs=(min_epochs, 1), factor=(factor, 2))
    if min_epochs > max_epochs:
        raise ValueError(f"min_epochs={min_epochs} is more than max_epochs={max_epochs}.")
    by_configs = math.ceil(math.log(n_configs, factor) - 1e-9) if n_configs > 1 else 0
    by_epochs = math.floor(math.log(max_epochs / min_epochs, factor) + 1e-9)
    halvings = min(by_configs, by_epochs)
    schedule, n = [], n_configs
    for i in range(halvings + 1):
        epochs = max(min_epochs, round(max_epochs / factor ** (halvings - i)))
        schedule.append((n, epochs))
        n = math.ceil(n / factor)
    return schedule


def _rank(scores: np.ndarray) -> np.ndarray:
    """Configurations (rows of ``scores``, one column per fold) from best to worst mean;
    one that failed on a fold comes last (as a race eliminates it)."""
    means = np.nan_to_num(scores.mean(axis=1), nan=-np.inf)
    return np.argsort(-means, kind="stable")


def _train_rung(search: Search, settings: list[dict], rows: list[tuple[int, int, int, int]],
                rung_rows: list[int], epochs: int, trained: dict[int, _Trained],
                bar: Any, continued: bool) -> None:
    """Train every configuration of a rung to ``epochs`` on every fold, and score it;
    keep their training states when a later rung ``continued`` them."""
    jobs = []
    for row in rung_rows:
        config = rows[row][0]
        folds = [f for f in range(len(search.splits)) if (row, f) not in search.records]
        if folds:
            jobs.append((row, config, folds))
    if not jobs:
        return
    data = (search.X, search.y, search.splits, search.scorers, search.save_pred)
    arguments = [
        (search.spec, settings[config], row, folds, epochs, trained.get(config), data,
         preprocessing_key(search.run, settings[config], search.prefix), continued)
        for row, config, folds in jobs
    ]
    for records, state in run_jobs(_train_folds, arguments, search.n_jobs):
        for record in records:
            search.records[(record["config"], record["fold"])] = record
        if search.store is not None:
            search.store.write(records)
        trained[rows[records[0]["config"]][0]] = state
        bar.update(len(records))


@dataclass
class _Trained:
    """A configuration's training so far: ONE estimator object (its model compiled once,
    re-initialised for each fold as in tune_grid) and each fold's training state, which
    is put back into it to continue that fold."""

    estimator: Any
    folds: dict[int, dict[str, Any]] = field(default_factory=dict)


def _train_folds(spec: Any, setting: dict, row: int, folds: list[int], epochs: int,
                 trained: _Trained | None, data: tuple, preprocessing: tuple[str, str],
                 continued: bool) -> tuple[list[dict], _Trained]:
    """One configuration's rung on its folds: continue (or start) training, then score.

    Each fold's training state is kept when a later rung may ``continue`` it.
    Returns the records (by results row) and the configuration's training state.
    """
    X, y, splits, scorers, save_pred = data
    if trained is None:
        trained = _Trained(clone(spec).set_params(**setting))
    estimator = trained.estimator
    model = check_tunable(estimator, "tune_halving")
    records = []
    for fold in folds:
        train, test = splits[fold]
        started = time.perf_counter()
        try:
            sets = fold_data(estimator, X, y, train, test, fold, preprocessing)
            with whole_batches():
                if fold in trained.folds:
                    _restore(model, trained.folds.pop(fold))
                    model.partial_fit(sets.X_train, sets.y_model,
                                      epochs=epochs - len(model.history_))
                else:  # a first rung, or a resumed run: training from scratch is the same
                    model.set_params(fit_epochs=epochs).fit(sets.X_train, sets.y_model)
        except Exception as exc:
            records.append(fold_record(row, fold, scorers, error=error_message(exc)))
            continue
        fit_time = time.perf_counter() - started
        records.append(score_fold(model, sets.X_test, sets.y_test, test, row, fold, scorers,
                                  save_pred, fit_time, sets.target))
        if continued:
            trained.folds[fold] = _snapshot(model)
    return records, trained


# What an estimator's state is besides its model: the training data it keeps is not copied.
_NOT_SNAPSHOT = ("model_", "_fit_data")


def _snapshot(model: Any) -> dict[str, Any]:
    """Everything a fitted estimator needs to continue training: its fitted attributes,
    and its model's and optimizer's variables."""
    state = {k: copy.deepcopy(v) for k, v in model.__dict__.items() if k not in _NOT_SNAPSHOT}
    return {"attributes": state, "model": model_state(model.model_)}


def _restore(model: Any, snapshot: dict[str, Any]) -> None:
    """Put a :func:`_snapshot` back into the same configuration's estimator."""
    set_model_state(model.model_, snapshot["model"])
    model.__dict__.update(snapshot["attributes"])
