"""The pool of compiled Keras models, reused across fits of the same configuration.

Building a model is cheap; compiling its training step is not. On JAX, XLA
takes about a second per new model on a small CPU (once per distinct batch
shape), while training an already-compiled model on a hundred rows for 30
epochs takes a tenth of that. Tuning fits the same configuration once per
fold, and a user may call ``fit`` twice, so kerasnip keeps each fitted
estimator's compiled model and, on the next fit with the same architecture,
compile settings and data shapes, *re-initialises* it instead of building a
new one:

- every model variable (weights, batch-norm statistics, dropout seed state)
  gets the value a fresh build with this fit's seed would give it (kept from
  the first build, or drawn from a throwaway uncompiled build for a new seed);
- the optimizer variables (step count, moments, learning rate) go back to
  their values before the first step, and metrics are reset;
- Keras's compiled train/test/predict functions are kept, so nothing is traced
  or compiled again.

The result is the same model, to the bit, as a fresh build with the same seed
(the runtime tests check it).

A model is only ever reused when nothing outside kerasnip can see it. Each
registered model carries the reference count it has when only its owning
estimator holds it; a fit whose model has more (because a user kept
``est.model_``, or a copy of the estimator shares it) builds a new one and
leaves the old one alone. When an owning estimator is garbage-collected (as
``GridSearchCV`` does with its per-fold clones) its model goes to a small pool
of idle models, where another estimator of the same configuration can pick it
up; two live estimators never share a model.

Settings (environment variables, read at each fit): ``KERASNIP_REUSE=0``
turns reuse off; ``KERASNIP_REUSE_POOL=N`` sets how many idle models the
pool keeps (default 4; 0 keeps none).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kerasnip import config, registry
from kerasnip._compat import all_layers, reset_initial_epoch
from kerasnip.runtime.memory import collect_garbage
from kerasnip.runtime.seeding import seeded

# Reference count of a model read through ``namespace[name]``: the namespace's
# own reference and getrefcount's argument come on top of the others.
_HELD_BY_OWNER = 3  # owner's ``model_`` + the entry's ``model`` + the argument
_HELD_BY_POOL = 2  # the entry's ``model`` + the argument


@dataclass(eq=False)
class _Entry:
    """A compiled model with what it takes to re-initialise and reuse it."""

    model: Any
    key: tuple
    # The model's reference count apart from its owner, this entry and the
    # argument of getrefcount: Keras's own references (bound methods in its
    # compiled functions, the History callback, ...).
    internal: int | None
    trainable: list[bool]
    optimizer_values: list[np.ndarray]
    initial_seed: int | None
    initial_values: list[np.ndarray] | None
    finalizer: Any = field(default=None, repr=False)


_lock = threading.RLock()
_owned: dict[int, _Entry] = {}  # id(owner estimator) -> its model's entry
_pending: list[_Entry] = []  # entries of collected owners, not yet checked
_idle: OrderedDict[int, _Entry] = OrderedDict()  # id(entry) -> entry, oldest first


def _refs(namespace: dict[str, Any], name: str) -> int:
    return sys.getrefcount(namespace[name])


def _unshared(entry: _Entry, namespace: dict[str, Any], name: str, held: int) -> bool:
    """Whether the entry's model, read as ``namespace[name]``, has no holder but kerasnip.

    A dropped entry (``model`` is ``None``) never qualifies.
    """
    return (entry.model is not None and entry.internal is not None
            and _refs(namespace, name) == entry.internal + held)


# --------------------------------------------------------------------------- keys


def _same(a: Any, b: Any) -> bool:
    """Strict equality for parameter values: types must match, containers recurse."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:  # arrays and other values without a plain truth value
        return False


def _snapshot(value: Any) -> Any:
    """Copies of plain lists, tuples and dicts (their items as they are), so that
    a parameter list mutated in place after a fit is not mistaken for the one
    the model was compiled with."""
    if type(value) in (list, tuple):
        return type(value)(_snapshot(v) for v in value)
    if type(value) is dict:
        return {k: _snapshot(v) for k, v in value.items()}
    return value


def configuration_key(estimator: Any) -> tuple:
    """What a compiled model depends on: everything but the seed and the fit settings.

    Parameters
    ----------
    estimator : KerasEstimator
        An estimator whose targets and input shape have been learnt for this fit.

    Returns
    -------
    tuple
        Compared with :func:`_same` (strict types, no hashing), so parameter
        values need not be hashable.
    """
    import keras

    routed = estimator.routed_params()
    return _snapshot((
        type(estimator),
        estimator._spec(),
        routed["model"],
        routed["compile"],
        estimator.learn_rate,
        estimator._injected(),
        keras.config.floatx(),
        keras.config.dtype_policy().name,
        keras.config.image_data_format(),
        # A name re-registered with another function builds something else.
        [registry.registered_optimizers(), registry.registered_losses(),
         registry.registered_metrics()],
    ))


# --------------------------------------------------------------------------- life cycle


def _owner_collected(owner_id: int) -> None:
    """Weakref callback: the owner is gone; its model is checked at the next fit."""
    with _lock:
        entry = _owned.pop(owner_id, None)
        if entry is not None:
            _pending.append(entry)


def _drop(entry: _Entry) -> None:
    """Forget the entry's model for good (its holders keep it)."""
    entry.model = None
    entry.initial_values = None


def _discard(entry: _Entry) -> None:
    """Drop an unshared model, first freeing its compiled functions.

    The model is a reference cycle that waits for a full garbage collection;
    its compiled functions (the bulk of its memory) are not, once detached.
    """
    model = entry.model
    if model is not None:
        model.train_function = model.test_function = model.predict_function = None
    _drop(entry)


def _to_pool(entry: _Entry) -> None:
    """Keep an unowned, unshared model as idle (or discard it when the pool is off/full)."""
    size = config.model_reuse_pool_size()
    if size <= 0:
        _discard(entry)
        return
    _idle[id(entry)] = entry
    while len(_idle) > size:
        _discard(_idle.popitem(last=False)[1])


def _promote_pending() -> None:
    while _pending:
        entry = _pending.pop()
        if _unshared(entry, entry.__dict__, "model", _HELD_BY_POOL):
            _to_pool(entry)
        else:  # someone outside kerasnip still holds the model: leave it to them
            _drop(entry)


def _disown(estimator: Any) -> _Entry | None:
    """Take the estimator's entry out of ``_owned`` (its owner no longer watched)."""
    entry = _owned.pop(id(estimator), None)
    if entry is not None:
        entry.finalizer.detach()
        entry.finalizer = None
    return entry


def _release(estimator: Any, entry: _Entry) -> None:
    """The estimator is getting another model: its disowned one may go to the pool.

    The estimator still refers to it until ``initialize`` replaces ``model_``
    (or not, if building the new one fails), so it waits among the pending
    entries, whose reference count is checked before any reuse.
    """
    if entry.model is estimator.__dict__.get("model_"):
        _pending.append(entry)
    else:
        _drop(entry)


def _take_idle(key: tuple) -> _Entry | None:
    for ident, entry in reversed(_idle.items()):
        if _same(entry.key, key):
            del _idle[ident]
            if _unshared(entry, entry.__dict__, "model", _HELD_BY_POOL):
                return entry
            _drop(entry)
            return None
    return None


def _own(estimator: Any, entry: _Entry) -> None:
    _owned[id(estimator)] = entry
    entry.finalizer = weakref.finalize(estimator, _owner_collected, id(estimator))
    # The process may exit with the estimator alive: nothing to do then.
    entry.finalizer.atexit = False


# --------------------------------------------------------------------------- public hooks


def reinitialize(estimator: Any) -> bool:
    """Give ``estimator`` a reusable compiled model, re-initialised for this fit.

    Looks at the estimator's own model from its previous fit, then at the pool
    of idle models. On success ``estimator.model_`` is set to a model in the
    exact state a fresh build and compile with ``estimator.seed_`` would give.

    Parameters
    ----------
    estimator : KerasEstimator
        An estimator in the middle of ``fit``: parameters validated, ``seed_``
        drawn, targets and input shape learnt.

    Returns
    -------
    bool
        ``False`` when no model can be reused; the caller builds one and
        registers it with :func:`adopt`.
    """
    if not config.model_reuse_enabled():
        return False
    config.model_reuse_pool_size()  # a bad setting fails every fit, not just some
    key = configuration_key(estimator)
    with _lock:
        _promote_pending()
        entry = _disown(estimator)
        if entry is not None and not (
                _same(entry.key, key)
                and entry.model is estimator.__dict__.get("model_")
                and _unshared(entry, estimator.__dict__, "model_", _HELD_BY_OWNER)):
            _release(estimator, entry)
            entry = None
        if entry is None:
            entry = _take_idle(key)
        if entry is None:
            return False
    # The entry now belongs to no one else: the slow part runs unlocked.
    if not _reset(entry, estimator):
        _drop(entry)
        return False
    estimator._check_model_output(entry.model)
    estimator.model_ = entry.model
    with _lock:
        _own(estimator, entry)
    collect_garbage()  # discarded models and throwaway builds are cycles too
    return True


def adopt(estimator: Any) -> None:
    """Register a freshly built and compiled ``estimator.model_`` for later reuse.

    Builds the optimizer's variables now (Keras would at the first step) so
    their starting values can be kept, and keeps the model's starting values.

    Parameters
    ----------
    estimator : KerasEstimator
        The estimator whose ``initialize`` just built and compiled ``model_``
        with ``seed_``.
    """
    if not config.model_reuse_enabled():
        return
    model = estimator.model_
    optimizer = getattr(model, "optimizer", None)
    if not model.built or optimizer is None:
        return  # layers built at the first fit: nothing to snapshot yet
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    entry = _Entry(
        model=model,
        key=configuration_key(estimator),
        internal=None,  # counted at the first fit (see tracked)
        trainable=[layer.trainable for layer in all_layers(model)],
        optimizer_values=variable_values(optimizer.variables),
        initial_seed=estimator.seed_,
        initial_values=variable_values(model.variables),
    )
    del model, optimizer
    # reinitialize, which runs first, already disowned any previous entry.
    with _lock:
        _own(estimator, entry)


@contextlib.contextmanager
def tracked(estimator: Any, callbacks: Sequence[Any] = ()) -> Iterator[None]:
    """Count the references Keras adds to ``estimator.model_`` during a call as its own.

    Keras keeps references to the model in the functions it compiles, and
    those must not later look like someone else holding it. The first call
    after :func:`adopt` (the first fit, when no one but the estimator can hold
    the model yet) sets the count. The callbacks given to ``fit`` stay
    attached to the model and the caller still holds them when the count is
    taken, so they are detached first (nothing uses them after the fit). A
    call that raises drops the entry: the model is never reused.
    """
    entry = _owned.get(id(estimator))
    if entry is None or entry.model is not estimator.__dict__.get("model_"):
        yield
        return
    before = _refs(estimator.__dict__, "model_")
    try:
        yield
    except BaseException:
        _drop(entry)
        raise
    for callback in callbacks:
        callback.set_model(None)
    after = _refs(estimator.__dict__, "model_")
    if entry.internal is None:
        entry.internal = after - _HELD_BY_OWNER
    else:
        entry.internal += after - before


# --------------------------------------------------------------------------- resetting


def variable_values(variables: list[Any]) -> list[np.ndarray]:
    """Copies of the variables' values (JAX donates their buffers to the training step).

    Parameters
    ----------
    variables : list of keras.Variable

    Returns
    -------
    list of ndarray
    """
    return [np.array(v.numpy(), copy=True) for v in variables]


def model_state(model: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Copies of a compiled model's variables (weights and random-seed state) and of its
    optimizer's, for :func:`set_model_state`.

    Parameters
    ----------
    model : keras.Model
        A model whose optimizer is built.

    Returns
    -------
    tuple of (list of ndarray, list of ndarray)
    """
    return variable_values(model.variables), variable_values(model.optimizer.variables)


def set_model_state(model: Any, state: tuple[list[Any], list[Any]]) -> None:
    """Assign a :func:`model_state` back to the same model (or one of the same layout).

    Parameters
    ----------
    model : keras.Model
    state : tuple of (list of ndarray, list of ndarray)
    """
    values, optimizer_values = state
    assign_values(model.variables, values)
    assign_values(model.optimizer.variables, optimizer_values)


def assign_values(variables: list[Any], values: list[Any]) -> None:
    """Assign each of ``values`` to the variable in the same position.

    Parameters
    ----------
    variables : list of keras.Variable
    values : list of arrays
    """
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def _layout(model: Any) -> list[tuple[tuple[int, ...], str]]:
    return [(tuple(v.shape), str(v.dtype)) for v in model.variables]


def _reset(entry: _Entry, estimator: Any) -> bool:
    """Put the entry's model back in its just-compiled state for ``estimator.seed_``."""
    model, seed = entry.model, estimator.seed_
    if [layer.trainable for layer in all_layers(model)] != entry.trainable:
        return False  # a callback froze or unfroze layers: the compiled step is stale
    values = entry.initial_values if seed is not None and seed == entry.initial_seed else None
    if values is None:
        # Same seed, same draws: a throwaway build gives what a fresh one would.
        with seeded(seed):
            fresh = estimator.build_model()
        if not fresh.built or _layout(fresh) != _layout(model):
            return False
        values = variable_values(fresh.variables)
        del fresh
        entry.initial_seed, entry.initial_values = seed, values
    set_model_state(model, (values, entry.optimizer_values))
    model.reset_metrics()
    model.stop_training = False
    # Set by BackupAndRestore; a fresh model starts at epoch 0.
    reset_initial_epoch(model)
    return True


def pool_size() -> int:
    """How many idle compiled models the pool holds now (for tests and benchmarks)."""
    with _lock:
        _promote_pending()
        return len(_idle)


def clear_pool() -> None:
    """Drop every idle model (they are freed at the next garbage collection)."""
    with _lock:
        _promote_pending()
        while _idle:
            _discard(_idle.popitem()[1])
