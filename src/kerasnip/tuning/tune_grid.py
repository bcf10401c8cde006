"""``tune_grid``: cross-validated search over a grid of configurations.

The work is split into tasks, one per configuration (or per group of
configurations that differ only in ``fit_epochs``, see below), each fitting
all of its folds with ONE estimator object so that refitting an already
built model is as cheap as the estimator makes it. Tasks run through joblib,
so any joblib back end works: loky processes (``n_jobs``), Dask
(``joblib.parallel_backend("dask")``) or Ray
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

import hashlib
import json
import os
import pickle
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring, get_scorer, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline

from kerasnip._compat import num_samples, safe_indexing, scorer_function
from kerasnip._utils import (
    PARTIAL_SUFFIX,
    atomic_output,
    did_you_mean,
    error_message,
    python_scalar,
)
from kerasnip.markers import tune
from kerasnip.pipelines import check_tunable, final_step
from kerasnip.predictions import fold_predictions
from kerasnip.runtime.runner import whole_batches
from kerasnip.tuning.grids import as_grid_frame, grid_settings, grid_space_filling
from kerasnip.tuning.params import (
    ParameterSet,
    extract_parameter_set,
)
from kerasnip.tuning.results import TuneResults

_STORE_FORMAT = 1


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
    >>> params = kerasnip.extract_parameter_set(spec)                  # doctest: +SKIP
    >>> res = kerasnip.tune_grid(spec, X, y, resamples=3,
    ...                          grid=kerasnip.grid_regular(params))   # doctest: +SKIP
    >>> res.show_best("accuracy", n=5)                                 # doctest: +SKIP
    """
    final = check_tunable(spec, "tune_grid")
    _, prefix = final_step(spec)
    marked = extract_parameter_set(spec)
    params = _check_param_set(params, marked)
    if isinstance(grid, Integral) and not isinstance(grid, bool):
        # Nothing tuned: one configuration, the spec as it is.
        grid = grid_space_filling(params, size=int(grid), seed=random_state) if len(params) else (
            pd.DataFrame(index=range(1)))
    grid = as_grid_frame(grid)
    settings = grid_settings(spec, params, grid)

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
    scorers = _scorers(metrics, spec)

    store = None
    done: dict[tuple[int, int], dict] = {}
    if save_dir is not None:
        fingerprint = _fingerprint(spec, settings, splits, list(scorers), X, y, save_pred)
        store = _Store(save_dir)
        store.open(fingerprint, n_configs=len(settings), n_folds=len(splits))
        done = store.load(len(settings), len(splits))

    tasks = _plan(spec, settings, splits, done, run=uuid.uuid4().hex)
    total = len(settings) * len(splits)
    records = list(done.values())
    try:
        with _progress_bar(total, len(done), progress) as bar:
            records += _execute(tasks, spec, X, y, scorers, save_pred, store, n_jobs, bar)
    finally:
        _preprocessed.clear()  # this process's cache of preprocessed folds

    failed = sum(r["error"] is not None for r in records)
    if failed:
        warnings.warn(
            f"{failed} of {total} (configuration, fold) fits failed or could not be scored; "
            "their metrics are NaN. See results.collect_errors() for the messages.",
            FitFailedWarning,
            stacklevel=2,
        )
    return TuneResults(
        spec=spec,
        params=params,
        grid=grid,
        records=records,
        metrics=list(scorers),
        n_folds=len(splits),
        n_resumed=len(done),
    )


def finalize(spec: Any, best: Mapping[str, Any] | pd.Series | pd.DataFrame) -> Any:
    """A copy of ``spec`` with its tuned parameters set to chosen values.

    Parameters
    ----------
    spec : kerasnip estimator
        The spec with ``tune()`` markers.
    best : dict, Series or one-row DataFrame
        Values by tuned parameter id (or parameter name), e.g. from
        :meth:`TuneResults.select_best`. Result columns such as ``.config``
        are ignored.

    Returns
    -------
    kerasnip estimator
        An unfitted clone with no ``tune()`` markers left, ready for ``fit``.
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
        else:
            hint = did_you_mean(str(key), [*names, *valid])
            raise KeyError(f"best names {key!r}, which is neither a tuned parameter id "
                           f"({list(names)}) nor a parameter of {type(spec).__name__}.{hint}")
    final = clone(spec).set_params(**{k: python_scalar(v) for k, v in values.items()})
    left = [name for name, v in final.get_params().items() if isinstance(v, tune)]
    if left:
        raise ValueError(f"best gives no value for tuned parameter(s) {left}.")
    return final


# --------------------------------------------------------------------------- planning


@dataclass
class _Task:
    """One estimator object's work: a group of configurations over some folds."""

    params: dict[str, Any]
    # (fold, train, test, [(config, epochs or None), ...]) for every fold to fit
    folds: list[tuple[int, np.ndarray, np.ndarray, list[tuple[int, int | None]]]]
    snapshot_epochs: list[int] | None
    # Identifies this tune_grid run and the task's preprocessing configuration: tasks
    # that share it reuse each fold's preprocessed data (see _fold_inputs).
    preprocessing: tuple[str, str]


def _plan(spec: Any, settings: list[dict[str, Any]], splits: list, done: Mapping,
          run: str) -> list[_Task]:
    """Group configurations that share a fit, and list each group's unfinished folds.

    Tasks that share a preprocessing configuration (a Pipeline's steps before the
    model) come one after the other, so they find its output still cached.
    """
    final, prefix = final_step(spec)
    epochs_name, callbacks_name = f"{prefix}fit_epochs", f"{prefix}fit_callbacks"
    trick = (
        any(epochs_name in s for s in settings)
        and final.fit_callbacks is None
        and not any(callbacks_name in s for s in settings)
    )
    groups: dict[str, tuple[dict[str, Any], list[tuple[int, int | None]]]] = {}
    for config, setting in enumerate(settings):
        epochs = setting.get(epochs_name)
        if trick and isinstance(epochs, Integral) and not isinstance(epochs, bool) and epochs > 0:
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
            todo = [(c, e) for c, e in members if (c, fold) not in done]
            if todo:
                folds.append((fold, train, test, todo))
        if folds:
            with_epochs = members[0][1] is not None
            snapshots = sorted({e for _, e in members}) if with_epochs else None
            steps = repr(sorted((k, v) for k, v in shared.items() if not k.startswith(prefix)))
            tasks.append(_Task(shared, folds, snapshots, (run, steps)))
    return sorted(tasks, key=lambda task: task.preprocessing[1])


# --------------------------------------------------------------------------- execution


def _execute(tasks: list[_Task], spec: Any, X: Any, y: Any, scorers: dict, save_pred: bool,
             store: _Store | None, n_jobs: int | None, bar: Any) -> list[dict]:
    records: list[dict] = []
    if joblib.effective_n_jobs(n_jobs) == 1:
        # In this process: report and save every fold as it finishes.
        def on_fold(fold_records: list[dict]) -> None:
            if store is not None:
                store.write(fold_records)
            bar.update(len(fold_records))

        for task in tasks:
            records += run_task(spec, task, X, y, scorers, save_pred, on_fold)
        return records
    # In workers: each saves its own folds; progress advances per task.
    on_fold = store.write if store is not None else None
    try:
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except ValueError:
        # Back ends built on multiprocessing (Ray's) cannot stream results: the bar
        # then advances once at the end, while the workers still save every fold.
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="list")
    jobs = (joblib.delayed(run_task)(spec, t, X, y, scorers, save_pred, on_fold) for t in tasks)
    for task_records in parallel(jobs):
        bar.update(len(task_records))
        records += task_records
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
        final_step(estimator)[0].set_params(fit_callbacks=[snapshots])
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
    y_train, y_test = _take(y, train), _take(y, test)
    model = final_step(estimator)[0]
    members = sorted(members, key=lambda m: -(m[1] or 0))
    largest = members[0][1]
    if largest is not None:
        model.set_params(fit_epochs=largest)
    started = time.perf_counter()
    try:
        X_train, X_test = _fold_inputs(estimator, X, y_train, train, test, fold,
                                       preprocessing or ("", ""))
        # One compiled training step per configuration, whatever the fold sizes.
        with whole_batches():
            model.fit(X_train, y_train)
    except Exception as exc:
        error = error_message(exc)
        return [_record(c, fold, scorers, error=error) for c, _ in members]
    fit_time = time.perf_counter() - started
    records = []
    for config, epochs in members:
        if epochs is not None and epochs != largest:
            weights = snapshots.weights.get(epochs)
            if weights is None:
                error = f"training stopped before epoch {epochs}"
                records.append(_record(config, fold, scorers, error=error, fit_time=fit_time))
                continue
            model.model_.set_weights(weights)
        metrics, errors = _score(model, X_test, y_test, scorers)
        predictions = None
        if save_pred:
            try:
                predictions = fold_predictions(model, X_test, test)
            except Exception as exc:
                errors.append(f"predictions: {error_message(exc)}")
        records.append(_record(config, fold, scorers, metrics=metrics,
                               error="; ".join(errors) or None, fit_time=fit_time,
                               predictions=predictions))
    return records


# Per process: the fitted preprocessing's output for the folds of the last preprocessing
# configuration seen (tasks that share one run one after the other).
_preprocessed: dict[tuple[tuple[str, str], int], tuple[Any, Any]] = {}


def _fold_inputs(estimator: Any, X: Any, y_train: Any, train: np.ndarray, test: np.ndarray,
                 fold: int, preprocessing: tuple[str, str]) -> tuple[Any, Any]:
    """The fold's training and assessment inputs as the model takes them: a Pipeline's
    steps before the model fitted on the training rows only (and cached), else the rows."""
    X_train, X_test = _take(X, train), _take(X, test)
    steps = _preprocessing_steps(estimator)
    if not steps:
        return X_train, X_test
    key = (preprocessing, fold)
    if key not in _preprocessed:
        for other in [k for k in _preprocessed if k[0] != preprocessing]:
            del _preprocessed[other]
        for step in steps:
            step = clone(step)
            X_train = step.fit_transform(X_train, y_train)
            X_test = step.transform(X_test)
        _preprocessed[key] = (X_train, X_test)
    return _preprocessed[key]


def _preprocessing_steps(estimator: Any) -> list[Any]:
    """The transformers before the model in a (possibly nested) Pipeline, in order."""
    if not isinstance(estimator, Pipeline):
        return []
    steps = [step for _, step in estimator.steps[:-1] if step not in (None, "passthrough")]
    return steps + _preprocessing_steps(estimator.steps[-1][1])


def _record(config: int, fold: int, scorers: dict, *, metrics: dict | None = None,
            error: str | None = None, fit_time: float = float("nan"),
            predictions: pd.DataFrame | None = None) -> dict:
    return {
        "config": config,
        "fold": fold,
        "metrics": metrics or dict.fromkeys(scorers, float("nan")),
        "error": error,
        "fit_time": fit_time,
        "predictions": predictions,
    }


def _score(estimator: Any, X: Any, y: Any, scorers: dict) -> tuple[dict[str, float], list[str]]:
    """Every metric on one assessment set; a metric that fails is NaN plus its message.

    scikit-learn's multi-metric scorer predicts once for all the metrics that need
    the same predictions.
    """
    scoring = check_scoring(estimator, scoring=scorers, raise_exc=False)
    values, errors = {}, []
    for name, value in scoring(estimator, X, y).items():
        if isinstance(value, str):  # the formatted traceback of the metric's failure
            values[name] = float("nan")
            errors.append(f"{name}: {value.strip().splitlines()[-1]}")
        else:
            values[name] = float(value)
    return values, errors


def _take(data: Any, index: np.ndarray) -> Any:
    if isinstance(data, Mapping):
        return {key: _take(value, index) for key, value in data.items()}
    return safe_indexing(data, index)


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
    definition = type(final_step(spec)[0]).kerasnip_spec
    if kind is None or (definition.kind == "functional" and definition.graph().multi_output):
        return  # another family of metric, or heads of both kinds (use head_scorer)
    expected = "classification" if is_classifier(spec) else "regression"
    if kind != expected:
        raise ValueError(
            f"metric {name!r} scores {kind}, but {type(final_step(spec)[0]).__name__} is a "
            f"{expected} model. "
            f"Use a {expected} scorer such as {_SUGGESTED[expected]}."
        )


def _callable_name(fn: Callable) -> str:
    inner = scorer_function(fn) or fn
    return getattr(inner, "__name__", type(inner).__name__)


# --------------------------------------------------------------------------- saving


class _Store:
    """A folder of finished (configuration, fold) records, one pickle each.

    Each record is written to a temporary file and renamed into place, so a
    file that exists is complete even if the process was killed mid-write.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def _path(self, config: int, fold: int) -> Path:
        return self.folder / "fits" / f"config{config + 1:05d}_fold{fold + 1:03d}.pkl"

    def open(self, fingerprint: str, n_configs: int, n_folds: int) -> None:
        manifest = self.folder / "manifest.json"
        if manifest.exists():
            stored = json.loads(manifest.read_text())
            if stored.get("fingerprint") != fingerprint:
                raise ValueError(
                    f"save_dir {str(self.folder)!r} holds results of a different tune_grid run "
                    "(other spec, grid, folds, metrics or data). Use a new folder, or delete "
                    "this one to start over."
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
                    "manifest.json from tune_grid; give an empty or new folder."
                )
        self.folder.mkdir(parents=True, exist_ok=True)
        content = {"format": _STORE_FORMAT, "fingerprint": fingerprint,
                   "configurations": n_configs, "folds": n_folds}
        with atomic_output(manifest) as stream:
            stream.write(json.dumps(content, indent=2).encode())
        (self.folder / "fits").mkdir()

    def load(self, n_configs: int, n_folds: int) -> dict[tuple[int, int], dict]:
        # One listing of the folder, not a stat per (configuration, fold):
        # on a shared file system each stat is a round trip.
        present = set(os.listdir(self.folder / "fits"))
        done = {}
        for config in range(n_configs):
            for fold in range(n_folds):
                path = self._path(config, fold)
                if path.name in present:
                    with path.open("rb") as handle:
                        done[(config, fold)] = pickle.load(handle)
        return done

    def write(self, records: list[dict]) -> None:
        for record in records:
            with atomic_output(self._path(record["config"], record["fold"])) as stream:
                pickle.dump(record, stream, protocol=pickle.HIGHEST_PROTOCOL)


def _fingerprint(spec: Any, settings: list[dict], splits: list, metrics: list[str],
                 X: Any, y: Any, save_pred: bool) -> str:
    definition = type(final_step(spec)[0]).kerasnip_spec
    content = {
        "spec": definition.model_name,
        "blocks": {name: sorted(info.hyperparameters) for name, info in definition.blocks.items()},
        "params": _stable(spec.get_params()),
        "grid": _stable(settings),
        "splits": joblib.hash([test for _, test in splits]),
        "metrics": metrics,
        "data": [joblib.hash(X), joblib.hash(y)],
        "save_pred": save_pred,
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


def _progress_bar(total: int, initial: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc="tune_grid",
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
