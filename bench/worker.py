"""One measurement in a fresh process: ``python -m bench.worker`` with a JSON task on stdin.

Every contender runs in its own process so that none inherits another's
compiled functions, caches, garbage or memory. The backend and kerasnip's
settings come from the environment the parent sets (``KERAS_BACKEND``,
``KERASNIP_JAX_CACHE``, ``KERASNIP_REUSE``). The result is printed as one JSON
line after :data:`MARKER`.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

MARKER = "BENCH-RESULT "


# --------------------------------------------------------------------------- probes


class CompileLog(logging.Handler):
    """Counts JAX's XLA compilations of Keras's step functions and of the tuning engine's
    programs, and their seconds."""

    _NAMES = r"(\w+_step|engine_program)"
    _FINISHED = re.compile(rf"Finished XLA compilation of jit\({_NAMES}\) in ([0-9.eE+-]+) sec")
    _HIT = re.compile(rf"Persistent compilation cache hit for 'jit_{_NAMES}'")

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.hits: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if match := self._FINISHED.search(message):
            name = match.group(1)
            self.count[name] = self.count.get(name, 0) + 1
            self.seconds[name] = self.seconds.get(name, 0.0) + float(match.group(2))
        elif match := self._HIT.search(message):
            self.hits[match.group(1)] = self.hits.get(match.group(1), 0) + 1

    def summary(self) -> dict[str, Any]:
        """Compilations (cache hits included) and their seconds, per step function."""
        return {"compiles": dict(self.count), "cache_hits": dict(self.hits),
                "compile_seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


@contextlib.contextmanager
def compile_log() -> Iterator[CompileLog | None]:
    """Record step-function compilations (JAX only; ``None`` on other backends)."""
    import keras

    if keras.backend.backend() != "jax":
        yield None
        return
    import jax

    handler = CompileLog()
    logger = logging.getLogger("jax")
    previous = (jax.config.jax_log_compiles, logger.propagate)
    jax.config.update("jax_log_compiles", True)
    logger.addHandler(handler)
    logger.propagate = False  # keep the log lines out of stderr
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        jax.config.update("jax_log_compiles", previous[0])
        logger.propagate = previous[1]


@contextlib.contextmanager
def engine_phases() -> Iterator[dict[str, float]]:
    """Seconds a search spends in the tuning engine's phases (empty when it does not use
    it): preparing the folds (building and initialising models), training the programs
    (tracing, compiling or loading them, running them), and scoring the folds."""
    from kerasnip.tuning import _lanes

    seconds: dict[str, float] = {}
    phases = {"_prepare": "prepare", "_train": "programs", "_finish": "score"}
    originals = {name: getattr(_lanes, name) for name in phases}

    def timing(name: str) -> Callable[..., Any]:
        def timed_phase(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                key = phases[name]
                seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - started
        return timed_phase

    for name in phases:
        setattr(_lanes, name, timing(name))
    try:
        yield seconds
    finally:
        for name, original in originals.items():
            setattr(_lanes, name, original)


def rss_mb() -> float:
    """Resident memory of this process in MiB (Linux /proc, else psutil)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def cpu_timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, all threads, result).

    CPU time hardly depends on what else the machine runs, so it shows small
    differences that other jobs' load hides in wall time.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def use_code_before_reuse() -> None:
    """kerasnip as it was before compiled-model reuse (the "before" figures).

    Reuse itself is off through ``KERASNIP_REUSE=0``; this also restores the
    full ``keras.backend.clear_session()`` (with its garbage collection) at
    every fit and Keras's own predict, which compiles each last-batch shape.
    """
    import keras

    from kerasnip.runtime import memory, runner

    memory.clear_session = keras.backend.clear_session
    runner.predict = lambda estimator, X, batch_size: estimator.model_.predict(
        X, batch_size=batch_size, verbose=0)


# --------------------------------------------------------------------------- tasks


def task_overhead(task: dict[str, Any]) -> dict[str, Any]:
    """Benchmark 1: the getting-started MLP on MNIST, raw Keras vs kerasnip."""
    import keras

    from bench import workloads

    (X, y), (X_test, y_test) = workloads.mnist(task["mnist"], task.get("rows"))
    epochs, batch, split, seed = task["epochs"], task["batch_size"], 0.2, task["seed"]
    layers = [(256, 0.4), (128, 0.3)]
    spec = workloads.mnist_mlp()

    def raw() -> dict[str, Any]:
        def fit() -> Any:
            keras.utils.set_random_seed(seed)
            model = workloads.raw_mlp(X.shape[1], 10, layers, optimizer="rmsprop")
            model.fit(X, keras.utils.to_categorical(y, 10), batch_size=batch, epochs=epochs,
                      validation_split=split, verbose=0)
            return model

        fit_s, fit_cpu, model = cpu_timed(fit)
        first_s, proba = timed(lambda: model.predict(X_test, batch_size=batch, verbose=0))
        again = [timed(lambda: model.predict(X_test, batch_size=batch, verbose=0))[0]
                 for _ in range(task["predict_repeats"])]
        return {"fit": fit_s, "fit_cpu": fit_cpu, "predict_first": first_s, "predict": again,
                "accuracy": float(np.mean(proba.argmax(axis=1) == y_test))}

    def wrapped() -> dict[str, Any]:
        est = spec(hidden_1_units=256, hidden_1_rate=0.4, hidden_2_units=128,
                   hidden_2_rate=0.3, compile_optimizer="rmsprop", fit_epochs=epochs,
                   fit_batch_size=batch, fit_validation_split=split, random_state=seed)
        fit_s, fit_cpu, _ = cpu_timed(lambda: est.fit(X, y))
        first_s, proba = timed(lambda: est.predict_proba(X_test))
        again = [timed(lambda: est.predict_proba(X_test))[0]
                 for _ in range(task["predict_repeats"])]
        # scikit-learn's input checks alone (shape, dtype, all values finite).
        checks = [timed(lambda: est._prepare_features(X_test, reset=False))[0]
                  for _ in range(task["predict_repeats"])]
        return {"fit": fit_s, "fit_cpu": fit_cpu, "predict_first": first_s, "predict": again,
                "checks": checks,
                "accuracy": float(np.mean(proba.argmax(axis=1) == y_test))}

    # One-off start-up (backend initialisation, eager kernels) before any timing.
    keras.utils.set_random_seed(0)
    warm = workloads.raw_mlp(X.shape[1], 10, layers)
    warm.fit(X[:256], keras.utils.to_categorical(y[:256], 10), epochs=1, verbose=0)
    warm.predict(X_test[:256], verbose=0)
    del warm
    runs: dict[str, list[dict[str, Any]]] = {"keras": [], "kerasnip": []}
    for repeat in range(task["repeats"]):
        # Alternate who goes first so that drifting machine load hits both alike.
        order = [("keras", raw), ("kerasnip", wrapped)]
        for name, run in order if repeat % 2 == 0 else order[::-1]:
            runs[name].append(run())
            gc.collect()
    return {"runs": runs, "train_rows": int(len(X) * (1 - split)),
            "test_rows": len(X_test)}


def _tuning_contender(task: dict[str, Any], X: np.ndarray, y: np.ndarray) -> Callable[[], Any]:
    """A zero-argument function running the whole search for ``task["contender"]``."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    import kerasnip
    from bench import workloads

    epochs, size, workload = task["epochs"], task["grid"], task.get("workload", "batch32")
    settings = workloads.TUNING_WORKLOADS[workload]
    batch, split, optimizer = (settings["batch_size"], settings["validation_split"] or 0.0,
                               settings["optimizer"])
    folds = StratifiedKFold(3)
    if task["contender"] in ("tune_grid", "gridsearch"):
        spec = workloads.tuning_spec(epochs, workload)
        grid = workloads.tuning_grid(spec, size)
        if task["contender"] == "tune_grid":
            return lambda: kerasnip.tune_grid(spec, X, y, resamples=3, grid=grid,
                                              metrics=["accuracy"], progress=False)
        param_grid = workloads.tuning_parameters(spec).to_sklearn(workloads.GRID_LEVELS[size])
        # cv=3: scikit-learn chooses StratifiedKFold because the spec is a classifier.
        search = GridSearchCV(spec, param_grid, cv=3, scoring="accuracy", refit=False)
        return lambda: search.fit(X, y)
    configs = workloads.grid_rows(workloads.tuning_grid(workloads.tuning_spec(epochs, workload),
                                                        size))
    n_features, n_classes = X.shape[1], len(np.unique(y))
    if task["contender"] == "scikeras":
        from scikeras.wrappers import KerasClassifier

        def build(num_hidden: int, units: int, rate: float) -> Any:
            return workloads.raw_mlp(n_features, n_classes, [(units, rate)] * num_hidden,
                                     optimizer)

        est = KerasClassifier(model=build, model__num_hidden=1, model__units=64,
                              model__rate=0.2, loss="categorical_crossentropy",
                              epochs=epochs, batch_size=batch, validation_split=split,
                              verbose=0, random_state=1)
        param_grid = [{f"model__{k}": [v] for k, v in (
            ("num_hidden", c["num_hidden_1"]), ("units", c["hidden_1_units"]),
            ("rate", c["hidden_1_rate"]))} for c in configs]
        # SciKeras 0.13 is not a classifier to scikit-learn >= 1.6: folds given explicitly.
        search = GridSearchCV(est, param_grid, cv=folds, scoring="accuracy", refit=False)
        return lambda: search.fit(X, y)
    if task["contender"] == "keras_wrapper":
        import keras

        def build_model(X: Any, y: Any, num_hidden: int, units: int, rate: float) -> Any:
            return workloads.raw_mlp(X.shape[1], y.shape[1], [(units, rate)] * num_hidden,
                                     optimizer)

        keras.utils.set_random_seed(1)
        est = keras.wrappers.SKLearnClassifier(model=build_model)
        param_grid = {"model_kwargs": [
            {"num_hidden": c["num_hidden_1"], "units": c["hidden_1_units"],
             "rate": c["hidden_1_rate"]} for c in configs]}
        search = GridSearchCV(est, param_grid, cv=folds, scoring="accuracy", refit=False)
        # Its __sklearn_clone__ drops fit_kwargs, so the fit settings go through fit().
        return lambda: search.fit(X, y, epochs=epochs, batch_size=batch, validation_split=split,
                                  verbose=0)
    raise ValueError(f"unknown contender {task['contender']!r}")


def _best(result: Any) -> dict[str, Any]:
    """Best configuration and its mean cross-validated accuracy, whoever searched."""
    if hasattr(result, "show_best"):
        best = result.show_best("accuracy", n=1).iloc[0]
        return {"params": {k: _plain(best[k]) for k in
                           ("num_hidden_1", "hidden_1_units", "hidden_1_rate")},
                "accuracy": float(best["mean"]), "std_err": float(best["std_err"])}
    cv = result.cv_results_
    i = int(np.nanargmax(cv["mean_test_score"]))
    return {"params": {k: _plain(v) for k, v in cv["params"][i].items()},
            "accuracy": float(cv["mean_test_score"][i]),
            "std_err": float(cv["std_test_score"][i] / np.sqrt(3))}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value.item() if hasattr(value, "item") else value


def task_tune(task: dict[str, Any]) -> dict[str, Any]:
    """Benchmarks 2, 3 and 5: one whole grid search by one contender."""
    from bench import workloads

    if task.get("before"):
        use_code_before_reuse()
    (X, y), (X_test, y_test) = workloads.mnist(task["mnist"], task["rows"])
    search = _tuning_contender(task, X, y)
    with compile_log() as log, engine_phases() as phases:
        seconds, result = timed(search)
    out: dict[str, Any] = {"seconds": seconds, "best": _best(result),
                           **(log.summary() if log is not None else {})}
    if phases:
        out["engine_phases"] = {k: round(v, 3) for k, v in phases.items()}
    if task.get("finalize"):
        import kerasnip

        spec = workloads.tuning_spec(task["epochs"], task.get("workload", "batch32"))
        final = kerasnip.finalize(spec, result.select_best("accuracy")).fit(X, y)
        out["final_test_accuracy"] = float(final.score(X_test, y_test))
        out["test_rows"] = len(X_test)
    return out


def task_fit_rows(task: dict[str, Any]) -> dict[str, Any]:
    """Benchmark 3: one configuration's fit time against training rows.

    For each row count: a first fit (building and compiling a new model) and
    a refit of the same estimator on the same rows (the reused model).
    """
    from bench import workloads

    spec = workloads.mnist_mlp()
    (X, y), _ = workloads.mnist(task["mnist"], max(task["rows"]))
    # The process's one-off start-up costs go to a fit that is not timed.
    spec(num_hidden_2=0, fit_epochs=1, random_state=0).fit(X[:64], y[:64])
    out = []
    for rows in task["rows"]:
        est = spec(num_hidden_1=1, hidden_1_units=160, hidden_1_rate=0.3, num_hidden_2=0,
                   fit_epochs=task["epochs"], random_state=1)
        first, _ = timed(lambda est=est, rows=rows: est.fit(X[:rows], y[:rows]))
        again, _ = timed(lambda est=est, rows=rows: est.fit(X[:rows], y[:rows]))
        out.append({"rows": rows, "first_fit": first, "refit": again})
        del est
    return {"fits": out}


def task_memory(task: dict[str, Any]) -> dict[str, Any]:
    """Benchmark 4: resident memory after each of many small fits in one process.

    Every fit is a new estimator (as in a search, where each fold gets a
    clone), cycling through the grid's configurations so that models are
    built, reused from the pool and discarded.
    """
    from sklearn.base import clone

    from bench import workloads

    (X, y), _ = workloads.mnist(task["mnist"], task["rows"])
    spec = workloads.tuning_spec(task["epochs"])
    configs = workloads.grid_rows(workloads.tuning_grid(spec, task["grid"]))
    rss, seconds = [rss_mb()], []
    for i in range(task["fits"]):
        est = clone(spec).set_params(**configs[i % len(configs)])
        fit_s, _ = timed(lambda est=est: est.fit(X, y))
        est.predict(X)
        del est
        seconds.append(fit_s)
        rss.append(rss_mb())
    return {"rss_mb": rss, "fit_seconds": seconds}


def task_fit_cost(task: dict[str, Any]) -> dict[str, Any]:
    """The speed work: what one small fit costs along each path through ``initialize``.

    One configuration of the tuning grid on a fold-sized slice (66 rows, 30
    epochs) plus a predict on the 34 held-out rows, as ``tune_grid`` does:
    first a new estimator (``first``), then ``k`` refits of it (``refit``),
    then, once it is dropped, ``k`` new estimators (``new``: the persistent
    cache or the idle pool can serve them). Also the cost of Keras's
    ``clear_session()`` and of kerasnip's amortised one, once models exist.
    """
    import keras

    from bench import workloads
    from kerasnip.runtime import memory

    if task.get("before"):
        use_code_before_reuse()
    (X, y), _ = workloads.mnist(task["mnist"], 100)
    X_fit, y_fit, X_test = X[:66], y[:66], X[66:]
    spec = workloads.mnist_mlp()

    def make() -> Any:
        return spec(num_hidden_1=2, hidden_1_units=160, hidden_1_rate=0.3, num_hidden_2=0,
                    fit_epochs=task["epochs"], random_state=1)

    def fit_predict(est: Any) -> float:
        seconds, _ = timed(lambda: est.fit(X_fit, y_fit).predict(X_test))
        return seconds

    phases: dict[str, Any] = {}
    with compile_log() as log:
        first = make()
        phases["first"] = {"seconds": [fit_predict(first)], **log.summary()}
    with compile_log() as log:
        phases["refit"] = {"seconds": [fit_predict(first) for _ in range(task["k"])],
                           **log.summary()}
    del first  # its model goes to the idle pool (with reuse on)
    with compile_log() as log:
        phases["new"] = {"seconds": [fit_predict(make()) for _ in range(task["k"])],
                         **log.summary()}
    full = [timed(keras.backend.clear_session)[0] for _ in range(3)]
    amortised = [timed(memory.clear_session)[0] for _ in range(3)]
    return {"phases": phases, "clear_session": full, "amortised_clear_session": amortised}


def search_task(task: dict[str, Any]) -> dict[str, Any]:
    """Benchmark 7 (search methods): see :mod:`bench.search`."""
    from bench.search import task_search

    return task_search(task)


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "overhead": task_overhead,
    "tune": task_tune,
    "fit_rows": task_fit_rows,
    "memory": task_memory,
    "fit_cost": task_fit_cost,
    "search": search_task,
}


def main() -> None:
    task = json.loads(sys.stdin.read())
    import keras  # the parent process sets KERAS_BACKEND

    result = TASKS[task["kind"]](task)
    result["backend"] = keras.backend.backend()
    result["pid"] = os.getpid()
    print(MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
