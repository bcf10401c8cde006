"""The machinery every search method shares: folds, fits, scores, saving, progress.

A search is a list of configurations (settings of the spec's parameters) and
a set of (configuration, fold) pairs to fit. :meth:`Search.fits` splits the
pairs into tasks, one per configuration (or per group of configurations that differ
only in ``fit_epochs``, see below), each fitting all of its folds with ONE
estimator object so that refitting an already built model is as cheap as the
estimator makes it. On JAX and torch, tasks are batched and trained on the tuning
engine (:mod:`kerasnip.tuning._lanes`) where it applies. Batches run through joblib,
so any joblib back end works:
loky processes (``n_jobs``), Dask (``joblib.parallel_backend("dask")``) or Ray
(``ray.util.joblib.register_ray(); joblib.parallel_backend("ray")``).

Epochs sub-model trick: when ``fit_epochs`` is tuned, configurations that
differ only in it are trained once per fold, to the largest epoch count, and
scored at the smaller counts from weight snapshots taken at the end of those
epochs. Training is seeded and nothing in an epoch depends on how many epochs
follow, so this gives the same models as separate fits. It is skipped when
the spec sets ``fit_callbacks`` (a callback such as early stopping could tell
the runs apart).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import check_cv

from kerasnip._compat import num_samples, scorer_function
from kerasnip._utils import PARTIAL_SUFFIX, atomic_output, did_you_mean, error_message
from kerasnip.estimators.base import KerasEstimator
from kerasnip.markers import tune
from kerasnip.pipelines import (
    check_tunable,
    final_step,
)
from kerasnip.runtime import engine
from kerasnip.runtime.runner import whole_batches
from kerasnip.tuning._folds import (
    clear_preprocessed,
    fold_data,
    fold_record,
    largest_first,
    score_members,
)
from kerasnip.tuning._lanes import run_on_engine
from kerasnip.tuning.params import ParameterSet, extract_parameter_set
from kerasnip.tuning.results import TuneResults

_STORE_FORMAT = 1


# --------------------------------------------------------------------------- set-up


@dataclass
class Search:
    """What every search method sets up the same way: the spec, its folds and metrics.

    Made by :func:`setup_search`; :meth:`fits` runs (configuration, fold)
    pairs and keeps their records, saving each as it finishes.
    """

    method: str
    spec: Any
    params: ParameterSet
    X: Any
    y: Any
    splits: list[tuple[np.ndarray, np.ndarray]]
    scorers: dict[str, Callable]
    save_pred: bool = False
    n_jobs: int | None = None
    progress: bool = True
    store: _Store | None = None
    # Records by (configuration, fold): read back from save_dir or fitted in this run.
    records: dict[tuple[int, int], dict] = field(default_factory=dict)
    n_resumed: int = 0
    run: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def prefix(self) -> str:
        """``step__`` names of the model's parameters in a Pipeline (``""`` for a spec)."""
        return final_step(self.spec)[1]

    def open_store(self, save_dir: str | os.PathLike | None, description: Mapping[str, Any],
                   n_configs: int) -> None:
        """Resume from (or start) ``save_dir``; ``description`` tells runs apart."""
        if save_dir is None:
            return
        fingerprint = _fingerprint(self, description)
        self.store = _Store(save_dir, self.method)
        self.store.open(fingerprint, n_configs=n_configs, n_folds=len(self.splits))
        self.records = self.store.load()
        self.n_resumed = len(self.records)

    def fits(self, settings: list[dict[str, Any]], pairs: Iterable[tuple[int, int]],
             bar: Any) -> list[dict]:
        """Fit and score the (configuration, fold) pairs not already done.

        Parameters
        ----------
        settings : list of dict
            Parameter values by configuration (an index into this list).
        pairs : iterable of (int, int)
            (configuration, fold) pairs wanted.
        bar : tqdm
            The progress bar of :meth:`running`, advanced as fits finish.

        Returns
        -------
        list of dict
            The records of ``pairs``, in the order given.
        """
        pairs = list(pairs)
        todo = {pair for pair in pairs if pair not in self.records}
        if todo:
            tasks = _plan(self.spec, settings, self.splits, todo, self.run)
            for record in _execute(tasks, self, bar):
                self.records[(record["config"], record["fold"])] = record
        return [self.records[pair] for pair in pairs]

    @contextlib.contextmanager
    def running(self, total: int) -> Iterator[Any]:
        """The search's progress bar over ``total`` fits (shown on a terminal or in a
        notebook); this process's cache of preprocessed folds is cleared after, even on
        an error."""
        try:
            with _progress_bar(self.method, total, self.n_resumed, self.progress) as bar:
                yield bar
        finally:
            clear_preprocessed()

    def results(self, grid: pd.DataFrame, info: pd.DataFrame | None = None,
                candidates: Any = None) -> TuneResults:
        """The search's :class:`TuneResults`, after one warning for any failed fit.

        Parameters
        ----------
        grid : DataFrame
            The configurations, one row each, in the order of the records' indices.
        info, candidates
            As :class:`TuneResults` takes them.
        """
        records = list(self.records.values())
        failed = sum(r["error"] is not None for r in records)
        if failed:
            warnings.warn(
                f"{failed} of {len(records)} (configuration, fold) fits failed or could not "
                "be scored; their metrics are NaN. See results.collect_errors() for the "
                "messages.",
                FitFailedWarning,
                stacklevel=3,
            )
        return TuneResults(spec=self.spec, params=self.params, grid=grid, records=records,
                           metrics=list(self.scorers), n_folds=len(self.splits),
                           n_resumed=self.n_resumed, method=self.method, info=info,
                           candidates=candidates)

    def scores(self, configs: Iterable[int], n_folds: int | None = None) -> np.ndarray:
        """The first metric of ``configs`` on their first ``n_folds`` folds (default all):
        one row per configuration, one column per fold, NaN where a fit failed."""
        metric = next(iter(self.scorers))
        folds = range(len(self.splits) if n_folds is None else n_folds)
        return np.array([[self.records[(c, f)]["metrics"][metric] for f in folds]
                         for c in configs], float)


def _model(estimator: Any) -> KerasEstimator:
    """The kerasnip estimator a search tunes (its spec was checked by :func:`setup_search`)."""
    return check_tunable(estimator, "tuning")


def setup_search(method: str, spec: Any, X: Any, y: Any, *, resamples: Any, metrics: Any,
                 params: ParameterSet | None, groups: Any, random_state: int | None,
                 save_pred: bool = False, n_jobs: int | None = None,
                 progress: bool = True) -> Search:
    """Check a search's arguments and make its folds, scorers and parameter set.

    Parameters
    ----------
    method : str
        The public function's name, for messages (``"tune_grid"``).
    spec : kerasnip estimator or Pipeline
        What is tuned.
    X, y : data
        All the data.
    resamples, metrics, params, groups, random_state, save_pred, n_jobs, progress
        As in :func:`kerasnip.tune_grid`.

    Returns
    -------
    Search
    """
    final = check_tunable(spec, method)
    _, prefix = final_step(spec)
    marked = extract_parameter_set(spec)
    params = _check_param_set(params, marked)
    if random_state is not None and final.random_state is None:
        spec = clone(spec).set_params(**{f"{prefix}random_state": random_state})
    n_samples = num_samples(next(iter(X.values())) if isinstance(X, Mapping) else X)
    y_for_cv = None if isinstance(y, Mapping) else y
    if isinstance(resamples, bool) or (isinstance(resamples, Integral) and resamples < 2):
        raise ValueError(f"resamples must be a number of folds of at least 2 (or a "
                         f"cross-validation splitter), got {resamples!r}.")
    cv = check_cv(resamples, y_for_cv, classifier=is_classifier(spec))
    splits = [
        (np.asarray(train), np.asarray(test))
        for train, test in cv.split(np.zeros((n_samples, 1)), y_for_cv, groups)
    ]
    return Search(method=method, spec=spec, params=params, X=X, y=y, splits=splits,
                  scorers=_scorers(metrics, spec), save_pred=save_pred, n_jobs=n_jobs,
                  progress=progress)


# --------------------------------------------------------------------------- planning


@dataclass
class _Task:
    """One estimator object's work: a group of configurations over some folds."""

    params: dict[str, Any]
    # (fold, train, test, [(config, epochs or None), ...]) for every fold to fit
    folds: list[tuple[int, np.ndarray, np.ndarray, list[tuple[int, int | None]]]]
    snapshot_epochs: list[int] | None
    # Identifies this search run and the task's preprocessing configuration: tasks
    # that share it reuse each fold's preprocessed data (see fold_inputs).
    preprocessing: tuple[str, str]


def _plan(spec: Any, settings: list[dict[str, Any]], splits: list,
          todo: Collection[tuple[int, int]], run: str) -> list[_Task]:
    """Group configurations that share a fit, and list each group's folds to fit.

    Tasks that share a preprocessing configuration (a Pipeline's steps before the
    model) come one after the other, so they find its output still cached.
    """
    final, prefix = _model(spec), final_step(spec)[1]
    epochs_name, callbacks_name = f"{prefix}fit_epochs", f"{prefix}fit_callbacks"
    trick = (
        any(epochs_name in s for s in settings)
        and final.fit_callbacks is None
        and not any(callbacks_name in s for s in settings)
    )
    groups: dict[str, tuple[dict[str, Any], list[tuple[int, int | None]]]] = {}
    for config, setting in enumerate(settings):
        epochs = setting.get(epochs_name)
        if trick and isinstance(epochs, Integral) and not isinstance(epochs, bool) and (
                int(epochs) > 0):
            shared = {k: v for k, v in setting.items() if k != epochs_name}
            key = repr(sorted(shared.items()))
            groups.setdefault(key, (shared, []))[1].append((config, int(epochs)))
        else:
            groups[f"#{config}"] = (setting, [(config, None)])
    tasks = []
    for shared, members in groups.values():
        if len(members) == 1 and members[0][1] is not None:  # nothing to share: a plain fit
            config = members[0][0]
            shared, members = settings[config], [(config, None)]
        folds = []
        for fold, (train, test) in enumerate(splits):
            wanted = [(c, e) for c, e in members if (c, fold) in todo]
            if wanted:
                folds.append((fold, train, test, wanted))
        if folds:
            counts = [e for _, e in members if e is not None]
            snapshots = sorted(set(counts)) if counts else None
            tasks.append(_Task(shared, folds, snapshots, preprocessing_key(run, shared, prefix)))
    return sorted(tasks, key=lambda task: task.preprocessing[1])


def preprocessing_key(run: str, setting: Mapping[str, Any], prefix: str) -> tuple[str, str]:
    """What identifies a configuration's preprocessing (a Pipeline's steps before the
    model) in one run: configurations that share it share each fold's preprocessed data."""
    return run, repr(sorted((k, v) for k, v in setting.items() if not k.startswith(prefix)))


# --------------------------------------------------------------------------- execution


def run_jobs(function: Callable[..., Any], arguments: list[tuple],
             n_jobs: int | None) -> Iterable[Any]:
    """``function(*args)`` for each of ``arguments``: here, one after the other, when joblib
    would use one worker; else through joblib's active back end, as they finish.

    Back ends built on multiprocessing (Ray's) cannot stream results: theirs come
    together at the end.
    """
    if joblib.effective_n_jobs(n_jobs) == 1:
        return (function(*args) for args in arguments)
    try:
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except ValueError:
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="list")
    return parallel(joblib.delayed(function)(*args) for args in arguments)


def _execute(tasks: list[_Task], search: Search, bar: Any) -> list[dict]:
    store = search.store
    on_fold: Callable[[list[dict]], None] | None
    local = joblib.effective_n_jobs(search.n_jobs) == 1
    if local:
        # In this process: report and save every fold as it finishes.
        def on_fold(fold_records: list[dict]) -> None:
            if store is not None:
                store.write(fold_records)
            bar.update(len(fold_records))
    else:
        # In workers: each saves its own folds; progress advances per task.
        on_fold = store.write if store is not None else None
    arguments = [(search.spec, batch, search.X, search.y, search.scorers, search.save_pred,
                  on_fold) for batch in _batches(tasks, search.prefix, search.n_jobs)]
    records: list[dict] = []
    for task_records in run_jobs(run_batch, arguments, search.n_jobs):
        if not local:
            bar.update(len(task_records))
        records += task_records
    return records


def _batches(tasks: list[_Task], prefix: str, n_jobs: int | None) -> list[list[_Task]]:
    """The tasks in batches the tuning engine may train together.

    One process trains best the tasks whose settings differ only in numbers of
    the model (widths, depths, dropout and learning rates): the engine finds which
    of them share a program. Across joblib workers, batches are tasks that differ
    only in float parameters, so that there are more of them to share out. Each
    task alone when the engine is off or Keras is not on JAX.
    """
    if not engine.available():
        return [[task] for task in tasks]
    free: tuple[type, ...] = (float,) if joblib.effective_n_jobs(n_jobs) > 1 else (Real,)
    batches: dict[str, list[_Task]] = {}
    for task in tasks:
        fixed = sorted((name, value) for name, value in task.params.items()
                       if not (name.startswith(prefix) and isinstance(value, free)
                               and not isinstance(value, bool)))
        batches.setdefault(repr((fixed, task.snapshot_epochs)), []).append(task)
    return list(batches.values())


def run_batch(spec: Any, tasks: list[_Task], X: Any, y: Any, scorers: dict, save_pred: bool,
              on_fold: Callable[[list[dict]], None] | None = None) -> list[dict]:
    """Fit a batch of tasks: on the tuning engine where it applies, else one Keras fit per
    fold (:func:`run_task`). Arguments as for :func:`run_task`."""
    records: list[dict] = []
    left = tasks
    if engine.available():
        records, left = run_on_engine(spec, tasks, X, y, scorers, save_pred, on_fold)
    for task in left:
        records += run_task(spec, task, X, y, scorers, save_pred, on_fold)
    return records


def run_task(spec: Any, task: _Task, X: Any, y: Any, scorers: dict, save_pred: bool,
             on_fold: Callable[[list[dict]], None] | None = None) -> list[dict]:
    """Fit one group of configurations on its folds, reusing one estimator object.

    Parameters
    ----------
    spec : kerasnip estimator
        The spec being tuned.
    task : _Task
        Shared parameters, folds to fit and configurations to score.
    X, y : data
        All the data.
    scorers : dict
        Metric name -> scorer.
    save_pred : bool
        Keep assessment-set predictions in the records.
    on_fold : callable, default=None
        Called with each fold's records as soon as they exist.

    Returns
    -------
    list of dict
        One record per (configuration, fold).
    """
    estimator = clone(spec).set_params(**task.params)
    snapshots = None
    if task.snapshot_epochs is not None:
        from kerasnip.tuning._epochs import EpochSnapshots  # imports Keras: only when used

        snapshots = EpochSnapshots(task.snapshot_epochs[:-1])
        _model(estimator).set_params(fit_callbacks=[snapshots])
    records = []
    for fold, train, test, members in task.folds:
        fold_records = fit_and_score(
            estimator, X, y, train, test, fold, members, scorers, save_pred, snapshots,
            task.preprocessing,
        )
        if on_fold is not None:
            on_fold(fold_records)
        records += fold_records
    return records


def fit_and_score(estimator: Any, X: Any, y: Any, train: np.ndarray, test: np.ndarray,
                  fold: int, members: list[tuple[int, int | None]], scorers: dict,
                  save_pred: bool, snapshots: Any = None,
                  preprocessing: tuple[str, str] | None = None) -> list[dict]:
    """Fit ``estimator`` on one fold and score each configuration in ``members``.

    ``members`` is ``[(config, None)]`` for a plain fit, or several
    ``(config, epochs)`` for the epochs trick: the estimator trains to the
    largest count and the others are scored from ``snapshots``. A Pipeline's
    steps before the model are fitted on the fold's training rows only, once per
    ``preprocessing`` key and fold, and the model is fitted and scored on their
    output.

    Returns
    -------
    list of dict
        Records with keys ``config``, ``fold``, ``metrics``, ``error``,
        ``fit_time`` and ``predictions``.
    """
    model = _model(estimator)
    members, largest = largest_first(members)
    if largest is not None:
        model.set_params(fit_epochs=largest)
    started = time.perf_counter()
    try:
        data = fold_data(estimator, X, y, train, test, fold, preprocessing or ("", ""))
        # One compiled training step per configuration, whatever the fold sizes.
        with whole_batches():
            model.fit(data.X_train, data.y_model)
    except Exception as exc:
        error = error_message(exc)
        return [fold_record(c, fold, scorers, error=error) for c, _ in members]
    fit_time = time.perf_counter() - started

    def restore(epochs: int) -> bool:
        weights = snapshots.weights.get(epochs)
        if weights is not None:
            model.model_.set_weights(weights)
        return weights is not None

    return score_members(model, data, test, fold, members, scorers, save_pred, fit_time,
                         restore)


# --------------------------------------------------------------------------- checks


def _check_param_set(params: ParameterSet | None, marked: ParameterSet) -> ParameterSet:
    if params is None:
        return marked
    if not isinstance(params, ParameterSet):
        raise TypeError(f"params must be a ParameterSet, got {type(params).__name__}.")
    if params.names() != marked.names():
        raise ValueError(
            f"params describes {params.names()} but the spec's tune() markers are "
            f"{marked.names()}; build params with kerasnip.extract_parameter_set(spec)."
        )
    return params


def _scorers(metrics: Any, spec: Any) -> dict[str, Callable]:
    if metrics is None:
        metrics = ["accuracy"] if is_classifier(spec) else ["r2"]
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    if isinstance(metrics, Mapping):
        items = list(metrics.items())
    elif isinstance(metrics, Iterable):
        items = [(m if isinstance(m, str) else _callable_name(m), m) for m in metrics]
    else:
        raise TypeError(f"metrics must be a list or dict of scorers, got {metrics!r}.")
    if not items:
        raise ValueError("metrics is empty; give at least one scorer name, e.g. ['accuracy'].")
    scorers: dict[str, Callable] = {}
    for name, metric in items:
        if name in scorers:
            raise ValueError(f"metric name {name!r} is given twice; use a dict to rename one.")
        if isinstance(metric, str):
            if metric not in get_scorer_names():
                raise ValueError(
                    f"Unknown metric {metric!r}.{did_you_mean(metric, get_scorer_names())} "
                    "Use a scikit-learn scorer name (sklearn.metrics.get_scorer_names()) or a "
                    "scorer(estimator, X, y) callable."
                )
            scorers[name] = get_scorer(metric)
            _check_metric_kind(name, scorers[name], spec)
        elif callable(metric):
            scorers[name] = metric
        else:
            raise TypeError(f"metric {name!r} must be a scorer name or callable, got {metric!r}.")
    return scorers


_CLASSIFICATION_METRICS = ("sklearn.metrics._classification", "sklearn.metrics._ranking")
_SUGGESTED = {"classification": "'accuracy', 'balanced_accuracy', 'f1_macro' or 'neg_log_loss'",
              "regression": "'r2', 'neg_mean_squared_error' or 'neg_mean_absolute_error'"}


def _check_metric_kind(name: str, scorer: Any, spec: Any) -> None:
    """Refuse a regression metric for a classifier and the other way round, before any fit
    (every fold would fail, or worse, score labels as numbers)."""
    module = getattr(scorer_function(scorer), "__module__", "")
    kind = ("regression" if module == "sklearn.metrics._regression"
            else "classification" if module in _CLASSIFICATION_METRICS else None)
    definition = _model(spec)._spec()
    if kind is None or (definition.kind == "functional" and definition.graph().multi_output):
        return  # another family of metric, or heads of both kinds (use head_scorer)
    expected = "classification" if is_classifier(spec) else "regression"
    if kind != expected:
        raise ValueError(
            f"metric {name!r} scores {kind}, but {type(_model(spec)).__name__} is a "
            f"{expected} model. "
            f"Use a {expected} scorer such as {_SUGGESTED[expected]}."
        )


def _callable_name(fn: Callable) -> str:
    inner = scorer_function(fn) or fn
    return getattr(inner, "__name__", type(inner).__name__)


# --------------------------------------------------------------------------- saving


_FIT_FILE = re.compile(r"config\d{5,}_fold\d{3,}\.pkl")


class _Store:
    """A folder of finished (configuration, fold) records, one pickle each.

    Each record is written to a temporary file and renamed into place, so a
    file that exists is complete even if the process was killed mid-write.
    """

    def __init__(self, folder: str | os.PathLike, method: str):
        self.folder = Path(folder)
        self.method = method

    def _path(self, config: int, fold: int) -> Path:
        return self.folder / "fits" / f"config{config + 1:05d}_fold{fold + 1:03d}.pkl"

    def open(self, fingerprint: str, n_configs: int, n_folds: int) -> None:
        manifest = self.folder / "manifest.json"
        if manifest.exists():
            stored = json.loads(manifest.read_text())
            if stored.get("fingerprint") != fingerprint:
                raise ValueError(
                    f"save_dir {str(self.folder)!r} holds results of a different "
                    f"{self.method} run, or of another search method (other spec, grid, "
                    "options, folds, metrics or data). Use a new folder, or delete this one "
                    "to start over."
                )
            # Half-written files of a killed run; their fits are redone.
            for stale in (self.folder / "fits").glob(f".*{PARTIAL_SUFFIX}"):
                stale.unlink(missing_ok=True)
            (self.folder / "fits").mkdir(exist_ok=True)
            return
        if self.folder.exists():
            # A run killed while writing its manifest left only this behind
            # (only our own partial file: the folder may be the user's).
            for stale in self.folder.glob(f".{manifest.name}.*{PARTIAL_SUFFIX}"):
                stale.unlink(missing_ok=True)
            if any(self.folder.iterdir()):
                raise ValueError(
                    f"save_dir {str(self.folder)!r} exists and is not empty but has no "
                    f"manifest.json from {self.method}; give an empty or new folder."
                )
        self.folder.mkdir(parents=True, exist_ok=True)
        content = {"format": _STORE_FORMAT, "fingerprint": fingerprint,
                   "configurations": n_configs, "folds": n_folds}
        with atomic_output(manifest) as stream:
            stream.write(json.dumps(content, indent=2).encode())
        (self.folder / "fits").mkdir()

    def load(self) -> dict[tuple[int, int], dict]:
        # One listing of the folder, not a stat per (configuration, fold):
        # on a shared file system each stat is a round trip.
        done = {}
        for name in sorted(os.listdir(self.folder / "fits")):
            match = _FIT_FILE.fullmatch(name)
            if match:
                with (self.folder / "fits" / name).open("rb") as handle:
                    record = pickle.load(handle)
                done[(record["config"], record["fold"])] = record
        return done

    def write(self, records: list[dict]) -> None:
        for record in records:
            with atomic_output(self._path(record["config"], record["fold"])) as stream:
                pickle.dump(record, stream, protocol=pickle.HIGHEST_PROTOCOL)


def _fingerprint(search: Search, description: Mapping[str, Any]) -> str:
    """What makes two runs the same search: method and its options, spec, folds, metrics,
    data."""
    definition = _model(search.spec)._spec()
    content = {
        "method": search.method,
        "search": _stable(description),
        "spec": definition.model_name,
        "blocks": {name: sorted(info.hyperparameters) for name, info in definition.blocks.items()},
        "params": _stable(search.spec.get_params()),
        "splits": joblib.hash([test for _, test in search.splits]),
        "metrics": list(search.scorers),
        "data": [joblib.hash(search.X), joblib.hash(search.y)],
        "save_pred": search.save_pred,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _stable(value: Any) -> Any:
    """A JSON-able rendering that is the same in every run (no memory addresses)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [_stable(v) for v in value]]
    if isinstance(value, Mapping):
        return {str(k): _stable(v) for k, v in value.items()}
    if isinstance(value, tune):
        return repr(value)
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


# --------------------------------------------------------------------------- progress


def _progress_bar(method: str, total: int, initial: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc=method,
        unit="fit",
        file=sys.stdout,
        disable=not (enabled and _interactive()),
        dynamic_ncols=True,
    )


def _interactive() -> bool:
    """Whether stdout is a terminal or a Jupyter notebook."""
    try:
        if sys.stdout.isatty():
            return True
    except (AttributeError, ValueError):
        return False
    shell = sys.modules.get("IPython")
    ipython = getattr(shell, "get_ipython", lambda: None)() if shell else None
    return type(ipython).__name__ == "ZMQInteractiveShell"
