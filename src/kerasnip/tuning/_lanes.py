"""Training a batch of a search's tasks on the tuning engine.

Each (configuration, fold) fit of the batch is prepared as ``fit`` would
prepare it (:meth:`KerasEstimator.initialize_fit`: validation, seed, a built or
re-initialised compiled model), becomes a lane of
:mod:`kerasnip.runtime.engine`, and the lanes whose models can share a program
(:func:`~kerasnip.runtime.engine.program_key`) train together. Each fold is then
given back to its estimator (:meth:`KerasEstimator.finish_fit`) and scored as a
Keras fit would be. A task the engine cannot train (callbacks, a custom
``train_step``, another backend, ...) is returned untouched for the caller to fit
with Keras, as is every task of a program that fails to compile or run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone

from kerasnip._utils import error_message
from kerasnip.pipelines import check_tunable
from kerasnip.runtime import engine
from kerasnip.runtime.pool import assign_values, tracked
from kerasnip.tuning._folds import (
    FoldData,
    fold_data,
    fold_record,
    largest_first,
    score_members,
)

#: Lanes per program: more share the compilation, but the program's memory grows.
MAX_LANES = 48
#: Tasks prepared before their programs train: each holds a model and its lanes' data
#: until then (programs only group tasks prepared together).
MAX_PREPARED_TASKS = 64
MAX_PREPARED_BYTES = 1 << 30


@dataclass
class _Fold:
    """A prepared fit: what to score it on and the estimator's state for it."""

    index: int
    test: np.ndarray
    members: list[tuple[int, int | None]]
    data: FoldData
    attributes: dict[str, Any]
    lane: engine.Lane


@dataclass
class _Prepared:
    """A task whose folds are lanes, with the records of folds that failed to prepare."""

    task: Any
    estimator: Any
    model: Any  # the KerasEstimator in ``estimator``
    fit_kwargs: dict[str, Any]
    key: str
    folds: list[_Fold] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)


def run_on_engine(spec: Any, tasks: Sequence[Any], X: Any, y: Any, scorers: dict,
                  save_pred: bool, on_fold: Callable[[list[dict]], None] | None
                  ) -> tuple[list[dict], list[Any]]:
    """Train and score ``tasks`` (``_search._Task``) on the engine where it applies.

    Returns
    -------
    records : list of dict
        The records of the tasks it trained.
    left : list of _Task
        The tasks it did not train, for a Keras fit each.
    """
    records: list[dict] = []
    left: list[Any] = []
    for prepared in _prepared_chunks(spec, tasks, X, y, scorers, left):
        for carrier, group in _programs(prepared):
            try:
                results, fit_time = _train(carrier, group)
            except Exception:
                left += [ready.task for ready in group]  # Keras fits them, reporting errors
                continue
            for ready, task_results in zip(group, results, strict=True):
                records += _finish(ready, task_results, fit_time, scorers, save_pred, on_fold)
    return records, left


def _prepared_chunks(spec: Any, tasks: Sequence[Any], X: Any, y: Any, scorers: dict,
                     left: list[Any]) -> Iterator[list[_Prepared]]:
    """The tasks prepared, in chunks whose models and lanes' data can be held together
    (:data:`MAX_PREPARED_TASKS`, :data:`MAX_PREPARED_BYTES`); tasks the engine cannot
    train are appended to ``left``."""
    chunk: list[_Prepared] = []
    size = 0
    for task in tasks:
        ready = _prepare(spec, task, X, y, scorers)
        if ready is None:
            left.append(task)
            continue
        chunk.append(ready)
        size += sum(fold.lane.nbytes for fold in ready.folds)
        if len(chunk) >= MAX_PREPARED_TASKS or size >= MAX_PREPARED_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _prepare(spec: Any, task: Any, X: Any, y: Any, scorers: dict) -> _Prepared | None:
    """The task's folds as lanes, or None when the engine cannot train them."""
    estimator = clone(spec).set_params(**task.params)
    model = check_tunable(estimator, "tuning")
    folds = [(fold, train, test, *largest_first(members))
             for fold, train, test, members in task.folds]
    largest = {epochs for *_, epochs in folds}
    if len(largest) > 1:
        return None  # folds trained to different epoch counts cannot share a program
    epochs = largest.pop()
    if epochs is not None:
        model.set_params(fit_epochs=epochs)
    ready = None
    for fold, train, test, members, _ in folds:
        try:
            data = fold_data(estimator, X, y, train, test, fold, task.preprocessing)
            X_fit, y_fit, weight = model.initialize_fit(data.X_train, data.y_model)
            fit_kwargs, weight = model.training_arguments(y_fit, weight)
        except Exception as exc:
            if ready is None:
                return None  # the Keras fit reports it as it would have
            error = error_message(exc)
            ready.failed += [fold_record(c, fold, scorers, error=error) for c, _ in members]
            continue
        with tracked(model):
            pass  # the model's references from now on are Keras's own: it stays reusable
        if ready is None:
            if engine.unsupported(model.model_, fit_kwargs) is not None:
                return None
            ready = _Prepared(task, estimator, model, fit_kwargs,
                              engine.program_key(model.model_, fit_kwargs)
                              + repr(task.snapshot_epochs))
        lane = engine.make_lane(model.model_, X_fit, y_fit, weight, model._epoch_seed())
        attributes = {k: v for k, v in model.__dict__.items() if k != "model_"}
        ready.folds.append(_Fold(fold, test, members, data, attributes, lane))
    return ready


def _programs(prepared: list[_Prepared]) -> list[tuple[Any, list[_Prepared]]]:
    """The programs to train: tasks of equal program key, each with the model that can
    carry all of their lanes (:func:`engine.carrier`), at most :data:`MAX_LANES` lanes
    per program."""
    by_key: dict[str, list[_Prepared]] = {}
    for ready in prepared:
        by_key.setdefault(ready.key, []).append(ready)
    programs = []
    for group in by_key.values():
        while group:
            index, members = engine.carrier([ready.model.model_ for ready in group])
            carrier = group[index].model.model_
            current: list[_Prepared] = []
            for ready in (group[i] for i in members):
                if current and sum(len(r.folds) for r in current) + len(ready.folds) > MAX_LANES:
                    programs.append((carrier, current))
                    current = []
                current.append(ready)
            programs.append((carrier, current))
            group = [ready for i, ready in enumerate(group) if i not in members]
    return programs


def _train(carrier: Any, group: list[_Prepared]
           ) -> tuple[list[list[engine.LaneResult]], float]:
    """Train every lane of the group as one program compiled from the ``carrier`` model:
    each task's results, and the seconds per lane."""
    lanes = [fold.lane for ready in group for fold in ready.folds]  # every task has some
    first = group[0]
    started = time.perf_counter()
    results = iter(engine.train(carrier, lanes, first.fit_kwargs,
                                first.task.snapshot_epochs or ()))
    fit_time = (time.perf_counter() - started) / len(lanes)
    return [[next(results) for _ in ready.folds] for ready in group], fit_time


def _finish(ready: _Prepared, results: list[engine.LaneResult], fit_time: float,
            scorers: dict, save_pred: bool,
            on_fold: Callable[[list[dict]], None] | None) -> list[dict]:
    """Give each trained fold back to its estimator and score it."""
    if on_fold is not None and ready.failed:
        on_fold(ready.failed)
    records = list(ready.failed)
    model = ready.model
    for fold, result in zip(ready.folds, results, strict=True):
        model.__dict__.update(fold.attributes)
        engine.set_model_values(model.model_, result.end)
        model._random_streams = None  # a later partial_fit starts from the seed
        try:
            model.finish_fit(result.history, fit_time,
                             (fold.lane.X, fold.lane.y, fold.lane.sample_weight))
        except Exception as exc:
            error = error_message(exc)
            fold_records = [fold_record(c, fold.index, scorers, error=error)
                            for c, _ in fold.members]
        else:
            def restore(epochs: int, snapshots: dict = result.snapshots) -> bool:
                if epochs not in snapshots:
                    return False
                trainable, non_trainable = snapshots[epochs]
                assign_values(model.model_.trainable_variables, trainable)
                assign_values(model.model_.non_trainable_variables, non_trainable)
                return True

            fold_records = score_members(model, fold.data, fold.test, fold.index,
                                         fold.members, scorers, save_pred, fit_time, restore)
        if on_fold is not None:
            on_fold(fold_records)
        records += fold_records
    return records
