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

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone

from kerasnip._utils import check_integers, error_message
from kerasnip.pipelines import check_tunable, final_step
from kerasnip.runtime.runner import whole_batches
from kerasnip.tuning._search import (
    Search,
    fold_inputs,
    fold_record,
    fold_targets,
    preprocessing_key,
    score_fold,
    setup_search,
    take,
)
from kerasnip.tuning.grids import grid_settings
from kerasnip.tuning.params import ParameterSet
from kerasnip.tuning.results import TuneResults
from kerasnip.tuning.tune_grid import search_grid


def tune_halving(
    spec: Any,
    X: Any,
    y: Any,
    resamples: int | Any = 3,
    grid: pd.DataFrame | int = 27,
    metrics: Sequence[str | Callable] | Mapping[str, str | Callable] | None = None,
    *,
    max_epochs: int | None = None,
    min_epochs: int = 1,
    factor: int = 3,
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
    grid : DataFrame or int, default=27
        The configurations, or how many to draw with
        :func:`kerasnip.grid_space_filling`.
    metrics : list or dict, default=None
        scikit-learn scorers; the first decides who continues.
    max_epochs : int, default=None
        Epochs of the last rung (default: the spec's ``fit_epochs``).
    min_epochs : int, default=1
        The fewest epochs of the first rung.
    factor : int, default=3
        How many times fewer configurations, and more epochs, each rung has.
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
        sets them) and ``.rung`` (0 is the first).

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
    final, prefix = check_tunable(search.spec, "tune_halving"), final_step(search.spec)[1]
    epochs_name = f"{prefix}fit_epochs"
    if epochs_name in search.params.names().values():
        raise ValueError(
            f"tune_halving allocates the epochs itself, so {epochs_name} cannot be tuned: "
            "remove its tune() marker and pass max_epochs= instead.")
    max_epochs = final.fit_epochs if max_epochs is None else max_epochs
    grid = search_grid(search.params, grid, random_state)
    settings = grid_settings(search.spec, search.params, grid)
    schedule = rung_schedule(len(settings), max_epochs, min_epochs, factor)
    search.open_store(save_dir, {"grid": settings, "schedule": schedule},
                      n_configs=sum(n for n, _ in schedule))
    n_folds = len(search.splits)
    rows: list[tuple[int, int, int]] = []  # (configuration, rung, epochs) by results row
    trained: dict[int, _Trained] = {}  # by configuration
    alive = list(range(len(settings)))
    previous: list[int] = []  # the results rows of the last rung
    metric = next(iter(search.scorers))
    total = sum(n for n, _ in schedule) * n_folds
    with search.running(total) as bar:
        for rung, (_, epochs) in enumerate(schedule):
            if rung:
                scores = np.array([[search.records[(row, f)]["metrics"][metric]
                                    for f in range(n_folds)] for row in previous])
                ranked = _rank(scores)[:schedule[rung][0]]
                alive = [alive[i] for i in sorted(ranked)]
                for config in [c for c in trained if c not in alive]:
                    del trained[config]
            previous = []
            for config in alive:
                previous.append(len(rows))
                rows.append((config, rung, epochs))
            _train_rung(search, settings, rows, previous, epochs, trained, bar)
    configs = [config for config, _, _ in rows]
    table = grid.iloc[configs].reset_index(drop=True)
    table[epochs_name] = [epochs for _, _, epochs in rows]
    return search.results(table, info=pd.DataFrame({".rung": [rung for _, rung, _ in rows]}))


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


def _train_rung(search: Search, settings: list[dict], rows: list[tuple[int, int, int]],
                rung_rows: list[int], epochs: int, trained: dict[int, _Trained],
                bar: Any) -> None:
    """Train every configuration of a rung to ``epochs`` on every fold, and score it."""
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
         preprocessing_key(search.run, settings[config], search.prefix))
        for row, config, folds in jobs
    ]
    if joblib.effective_n_jobs(search.n_jobs) == 1:
        results: Any = (_train_folds(*args) for args in arguments)
    else:
        results = joblib.Parallel(n_jobs=search.n_jobs, return_as="generator_unordered")(
            joblib.delayed(_train_folds)(*args) for args in arguments)
    for records, state in results:
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
                 trained: _Trained | None, data: tuple, preprocessing: tuple[str, str]
                 ) -> tuple[list[dict], _Trained]:
    """One configuration's rung on its folds: continue (or start) training, then score.

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
        y_train, y_test = take(y, train), take(y, test)
        started = time.perf_counter()
        try:
            y_model, target = fold_targets(estimator, y_train)
            X_train, X_test = fold_inputs(estimator, X, (y_train, y_model), train, test, fold,
                                          preprocessing)
            with whole_batches():
                if fold in trained.folds:
                    _restore(model, trained.folds.pop(fold))
                    model.partial_fit(X_train, y_model, epochs=epochs - len(model.history_))
                else:  # a first rung, or a resumed run: training from scratch is the same
                    model.set_params(fit_epochs=epochs).fit(X_train, y_model)
        except Exception as exc:
            records.append(fold_record(row, fold, scorers, error=error_message(exc)))
            continue
        fit_time = time.perf_counter() - started
        records.append(score_fold(model, X_test, y_test, test, row, fold, scorers, save_pred,
                                  fit_time, target))
        trained.folds[fold] = _snapshot(model)
    return records, trained


# What an estimator's state is besides its model: the training data it keeps is not copied.
_NOT_SNAPSHOT = ("model_", "_fit_data")


def _snapshot(model: Any) -> dict[str, Any]:
    """Everything a fitted estimator needs to continue training: its fitted attributes,
    the model's variables (weights and random-seed state) and the optimizer's."""
    import keras

    state = {k: copy.deepcopy(v) for k, v in model.__dict__.items() if k not in _NOT_SNAPSHOT}
    state[_VARIABLES] = [keras.ops.convert_to_numpy(v) for v in model.model_.variables]
    state[_OPTIMIZER] = [keras.ops.convert_to_numpy(v)
                         for v in model.model_.optimizer.variables]
    return state


def _restore(model: Any, state: dict[str, Any]) -> None:
    """Put a :func:`_snapshot` back into the same configuration's estimator."""
    state = dict(state)
    for variable, value in zip(model.model_.variables, state.pop(_VARIABLES), strict=True):
        variable.assign(value)
    for variable, value in zip(model.model_.optimizer.variables, state.pop(_OPTIMIZER),
                               strict=True):
        variable.assign(value)
    model.__dict__.update(state)


_VARIABLES, _OPTIMIZER = "_snapshot_variables", "_snapshot_optimizer"
