"""Every use of a private Keras or scikit-learn name, in one place.

Each function wraps one private access and says which public API would replace
it and from which version it exists (none, so far, for most). When a release
moves or renames one of these, this module is the only one to change.
Keras is imported inside the functions: importing kerasnip must not choose or
start a backend.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _check_sample_weight, _num_samples

# --------------------------------------------------------------------------- scikit-learn

#: Rows of an array, DataFrame or list by position. Private since scikit-learn 0.24;
#: no public equivalent as of 1.9 (``sklearn.utils.safe_indexing`` was removed in 0.24).
safe_indexing = _safe_indexing

#: Number of samples of any array-like. Private; no public equivalent as of 1.9.
num_samples = _num_samples

#: Validated per-sample weights (ones when None). Private; no public equivalent as of 1.9
#: (``sklearn.utils.validation.check_sample_weight`` has been proposed, not released).
check_sample_weight = _check_sample_weight



def scorer_function(scorer: Any) -> Any:
    """The metric function behind a scorer from ``sklearn.metrics.get_scorer`` (None for
    another callable).

    ``_BaseScorer._score_func``: private; no public accessor as of scikit-learn 1.9.
    """
    return getattr(scorer, "_score_func", None)


# --------------------------------------------------------------------------- Keras


def swap_keras_python_random(replacement: Any) -> Any:
    """Set the ``random`` module Keras draws default seeds from; return the previous one.

    ``keras.src.random.seed_generator.python_random``: no public API as of Keras 3.15
    (``keras.utils.set_random_seed`` only reseeds the global streams).
    """
    from keras.src.random import seed_generator

    previous = getattr(seed_generator, "python_random", None)
    if previous is not None and replacement is not None:
        seed_generator.python_random = replacement
    return previous


def keras_objects(kind: str) -> dict[str, Any]:
    """Keras's table of built-in optimizers, losses or metrics by name.

    ``keras.src.<kind>.ALL_OBJECTS_DICT``: no public listing as of Keras 3.15
    (``keras.optimizers.get`` resolves one name but cannot list them).

    Parameters
    ----------
    kind : {"optimizers", "losses", "metrics"}
        Which table.

    Returns
    -------
    dict of str to object
    """
    import importlib

    return importlib.import_module(f"keras.src.{kind}").ALL_OBJECTS_DICT


def all_layers(model: Any, include_self: bool = True) -> list[Any]:
    """Every layer of ``model``, nested models' layers included.

    ``Layer._flatten_layers``: no public recursive listing as of Keras 3.15
    (``Model.layers`` holds only the top level).
    """
    return list(model._flatten_layers(include_self=include_self))


def reset_initial_epoch(model: Any) -> None:
    """Forget the epoch ``BackupAndRestore`` set to resume from.

    ``Model._initial_epoch``: no public API as of Keras 3.15.
    """
    model._initial_epoch = None


def producing_operation(tensor: Any) -> tuple[Any, Any]:
    """The operation that produced a symbolic ``tensor``, and the node of that call.

    ``KerasTensor._keras_history`` and ``Operation._inbound_nodes``: no public API as
    of Keras 3.15 (``keras.Function`` walks the graph with them too). Returns
    ``(None, None)`` for a tensor with no history.
    """
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None, None
    operation = history.operation
    return operation, operation._inbound_nodes[history.node_index]


def build_for_training(model: Any, batch: tuple[Any, Any, Any]) -> None:
    """Create what ``fit`` creates at its first step: the compiled metrics' and loss's
    variables (and any layer not yet built), from the shapes of ``batch``.

    ``Trainer._symbolic_build``: no public API as of Keras 3.15 (``fit`` and
    ``evaluate`` call it; a stateless training step needs the variables first).
    """
    model._symbolic_build(data_batch=batch)


def variable_dropout_layers(layers: Any) -> list[Any]:
    """The layers among ``layers`` whose dropout rate :func:`set_dropout_rate` can make a
    traced value: those that run ``keras.layers.Dropout.call`` itself, with a rate above
    0 (``Dropout.seed_generator``, their random state, exists only then).
    """
    import keras

    return [layer for layer in layers if type(layer).call is keras.layers.Dropout.call
            and hasattr(layer, "seed_generator")]


class _TracedRate:
    """A dropout rate that is a traced JAX value, as ``Dropout.call`` and the JAX
    backend's ``keras.random.dropout`` use it (Keras 3.15): ``rate > 0`` and the
    ``rate == 0`` / ``rate == 1`` shortcuts see a rate strictly between, and
    ``1.0 - rate`` is the traced keep probability. A rate of 0 then keeps every
    unit (its Bernoulli mask is all ones), exactly as skipping dropout would.
    """

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, value: Any):
        self.value = value

    def __gt__(self, other: Any) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return False

    def __rsub__(self, other: Any) -> Any:
        return other - self.value


@contextlib.contextmanager
def set_dropout_rate(layers: list[Any], rates: list[Any]) -> Iterator[None]:
    """While tracing a stateless call, give each of ``layers`` (from
    :func:`variable_dropout_layers`) a traced rate; their own rates come back after.

    ``Dropout.rate`` is a Python float; Keras has no public way to make it a value
    of a compiled program as of Keras 3.15. Only these layer instances change,
    never a Keras class.
    """
    saved = [layer.rate for layer in layers]
    try:
        for layer, rate in zip(layers, rates, strict=True):
            layer.rate = _TracedRate(rate)
        yield
    finally:
        for layer, rate in zip(layers, saved, strict=True):
            layer.rate = rate
