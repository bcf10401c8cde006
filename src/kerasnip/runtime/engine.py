"""The tuning engine: a search's fits of one model trained together, not one
``Model.fit`` each.

A search fits the same compiled model once per fold, and Keras runs each fit
as a Python loop that calls a compiled step per batch and syncs the model's
state after every epoch. On JAX, :func:`train` instead traces many fits
("lanes": one (configuration, fold) fit each) into ONE XLA program:
``jax.lax.scan`` over epochs and batches around the model's own ``train_step``
and ``test_step`` (the functions ``keras.Model.fit`` compiles), ``jax.vmap`` over
the lanes. Lanes of one program may differ in their data, seeds and starting
weights, in their dropout rates and learning rate (values of the program, not
part of its shape), and, in a :func:`widenable` model, in the widths of hidden
``Dense`` layers (weights zero-padded into the widest model, :func:`carrier`).
On torch, nothing is compiled: each lane runs in a loop outside ``Model.fit``
(:mod:`kerasnip.runtime.loop`).

Every lane trains as :func:`kerasnip.runtime.runner.fit` would inside
:func:`~kerasnip.runtime.runner.whole_batches`: the same held-out validation
rows, zero-weight padding, shuffling (NumPy's permutation after reseeding, as
Keras draws it), dropout masks (the layers' seed state is part of the lane's
state), stopping after an epoch whose loss is not finite, and snapshots of the
weights at chosen epochs for tuning's epochs trick. The tests compare lanes with
separate Keras fits to float tolerance. Two choices change only dropout's
random masks: lanes smaller than a batch are padded to the largest lane, not to
a whole batch (:func:`batch_sizes`), and widened lanes draw masks for the wider
shape.

:func:`unsupported` says why a model or fit cannot run here (callbacks, a
custom ``train_step``, another backend, ...); the caller then fits it with
Keras. ``KERASNIP_ENGINE=0`` turns the engine off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kerasnip import config
from kerasnip._compat import (
    all_layers,
    build_for_training,
    set_dropout_rate,
    variable_dropout_layers,
)
from kerasnip.runtime import loop
from kerasnip.runtime.pool import assign_values, variable_values
from kerasnip.runtime.runner import padded_fit_data, padding_preserves_training, row_count

#: Fit arguments a lane honours; any other (callbacks, validation_data, ...) is Keras's.
_SUPPORTED_FIT_ARGS = frozenset({
    "epochs", "batch_size", "validation_split", "validation_batch_size", "shuffle",
    "verbose", "validation_freq", "initial_epoch",
})
#: Above this many bytes of stacked data a program is not worth the memory.
_MAX_DATA_BYTES = 1 << 30


@dataclass
class Lane:
    """One fit: prepared data, its seed and the model's starting values.

    Attributes
    ----------
    X, y : array or structure of arrays
        Prepared training inputs and encoded targets (before the validation split).
    sample_weight : ndarray or None
    seed : int or None
        The fit's seed (padding rows, shuffling), as :func:`runner.fit` gets it.
    start : tuple of lists of ndarray
        The model's trainable, non-trainable, optimizer and metrics variable values
        when the fit starts (:func:`model_values`).
    dropout_rates : list of float
        The rate of each of the model's variable-rate dropout layers for this lane.
    """

    X: Any
    y: Any
    sample_weight: np.ndarray | None
    seed: int | None
    start: tuple[list[np.ndarray], ...]
    dropout_rates: list[float]

    @property
    def nbytes(self) -> int:
        """Bytes of the lane's data and starting values."""
        import keras

        return sum(np.asarray(a).nbytes for a in keras.tree.flatten(
            (self.X, self.y, self.sample_weight, self.start)) if a is not None)


@dataclass
class LaneResult:
    """What one lane's training left: its history, final values and snapshots."""

    history: dict[str, list[float]]
    end: tuple[list[np.ndarray], ...]
    snapshots: dict[int, tuple[list[np.ndarray], list[np.ndarray]]] = field(
        default_factory=dict)


def make_lane(model: Any, X: Any, y: Any, sample_weight: np.ndarray | None,
              seed: int | None) -> Lane:
    """A lane for a fit of ``model`` as it is now (compiled, initialised for the fit).

    Parameters
    ----------
    model : keras.Model
    X, y, sample_weight
        The fit's prepared data.
    seed : int or None
        The fit's seed.

    Returns
    -------
    Lane
    """
    import keras

    first = keras.tree.map_structure(lambda a: None if a is None else a[:1],
                                     (X, y, sample_weight))
    build_for_training(model, first)
    return Lane(X, y, sample_weight, seed, model_values(model), variable_rates(model))


def model_values(model: Any) -> tuple[list[np.ndarray], ...]:
    """Copies of the model's trainable, non-trainable, optimizer and metrics variables.

    Parameters
    ----------
    model : keras.Model
        A compiled model whose optimizer is built.

    Returns
    -------
    tuple of four lists of ndarray
    """
    return tuple(variable_values(variables) for variables in _variable_groups(model))


def set_model_values(model: Any, values: Sequence[list[Any]]) -> None:
    """Assign :func:`model_values` (or a lane's end values) to the model.

    Parameters
    ----------
    model : keras.Model
    values : tuple of four lists of arrays
    """
    for variables, group in zip(_variable_groups(model), values, strict=True):
        assign_values(variables, group)


def _variable_groups(model: Any) -> tuple[list[Any], ...]:
    return (model.trainable_variables, model.non_trainable_variables,
            model.optimizer.variables, model.metrics_variables)


#: Backends the engine trains on: JAX compiles programs of many lanes; torch runs
#: each lane in a loop outside ``Model.fit`` (:mod:`kerasnip.runtime.loop`).
BACKENDS = ("jax", "torch")


def available() -> bool:
    """Whether the engine may train anything here: it is on, and Keras runs on one of
    :data:`BACKENDS`."""
    import keras

    return config.engine_enabled() and keras.backend.backend() in BACKENDS


def unsupported(model: Any, fit_kwargs: dict[str, Any]) -> str | None:
    """Why the engine cannot train ``model`` with these fit arguments (None when it can).

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    fit_kwargs : dict
        The arguments ``keras.Model.fit`` would get.

    Returns
    -------
    str or None
    """
    import keras

    if not config.engine_enabled():
        return "KERASNIP_ENGINE=0"
    backend = keras.backend.backend()
    if backend not in BACKENDS:
        return f"the {backend} backend"
    if keras.distribution.distribution() is not None:
        return "a keras.distribution"
    # On JAX the steps must be compiled as fit compiles them; on torch, run eagerly as fit
    # runs them (torch.compile would be its own numerics).
    if model.run_eagerly or model.jit_compile is not (backend == "jax"):
        return "run_eagerly or jit_compile"
    if any(getattr(type(model), step) is not getattr(keras.Model, step)
           for step in ("train_step", "test_step")):
        return "a custom train_step or test_step"
    optimizer = getattr(model, "optimizer", None)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        return "no Keras optimizer"
    if optimizer.use_ema or optimizer.gradient_accumulation_steps:
        return "optimizer EMA or gradient accumulation"
    if backend == "jax" and not padding_preserves_training(model):
        return "padding would change training (batch normalization, loss reduction)"
    extra = set(fit_kwargs) - _SUPPORTED_FIT_ARGS
    if extra:
        return f"fit arguments {sorted(extra)}"
    if fit_kwargs.get("verbose", 0) or fit_kwargs.get("initial_epoch", 0):
        return "verbose or initial_epoch"
    if int(fit_kwargs.get("epochs", 1)) < 1:
        return "no epochs"
    if fit_kwargs.get("validation_freq", 1) != 1:
        return "validation_freq"
    if fit_kwargs.get("shuffle", True) not in (True, False):
        return f"shuffle={fit_kwargs['shuffle']!r}"
    return None


def program_key(model: Any, fit_kwargs: dict[str, Any]) -> str:
    """What lanes of one program must share: everything about the model and its fit
    but its values, the rates of its variable-rate dropout layers, its optimizer's
    learning rate (which are lane values, see :class:`Lane`) and, in a model
    :func:`widenable`, the widths of its hidden ``Dense`` layers.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    fit_kwargs : dict
        Its fit arguments.

    Returns
    -------
    str
        Equal for models that can share one program (:func:`carrier` picks the
        model to compile it from).
    """
    import keras

    if keras.backend.backend() != "jax":
        return f"model {id(model)}"  # a loop per lane: each trains on its own model
    variable = {id(layer) for layer in variable_dropout_layers(all_layers(model))}
    hidden = {id(layer) for layer in _dense_layers(model)[:-1]} if widenable(model) else set()
    layers = []
    for layer in all_layers(model, include_self=False):
        layer_config = {k: v for k, v in layer.get_config().items() if k != "name"}
        if id(layer) in variable:
            del layer_config["rate"]
        if id(layer) in hidden:
            del layer_config["units"]
        layers.append((type(layer).__module__, type(layer).__qualname__, layer_config))
    # Widened lanes keep only their variables' ranks (and dtypes) in common.
    layout = [[(len(v.shape) if hidden else tuple(v.shape), str(v.dtype)) for v in group]
              for group in _variable_groups(model)]
    return repr((layers, _compile_config(model), layout, sorted(fit_kwargs.items())))


def widenable(model: Any) -> bool:
    """Whether lanes of narrower hidden ``Dense`` layers can train inside a wider model.

    A lane's weights are zero-padded to the wider model's shapes. In a
    ``Sequential`` model whose layers from the first ``Dense`` layer to the last
    are ``Dense``, ``Dropout`` and ``Activation`` layers with activations that map
    0 to 0, a padded unit outputs 0 whatever its inputs, so every gradient of its
    weights is 0 and they stay 0 under any optimizer: the real units train as in
    the narrower model. Only dropout's masks differ (drawn for the wider shape).
    """
    import keras

    if type(model) is not keras.Sequential:
        return False
    dense = _dense_layers(model)
    if len(dense) < 2:
        return False
    layers = model.layers
    for layer in layers[layers.index(dense[0]):layers.index(dense[-1])]:
        if type(layer) in (keras.layers.Dense, keras.layers.Activation):
            if not _keeps_zero(layer.activation):
                return False
        elif type(layer) is not keras.layers.Dropout:
            return False
    return True


def _keeps_zero(activation: Any) -> bool:
    values = np.asarray(activation(np.zeros((1, 3), np.float32)))
    return bool(np.all(values == 0))


def _dense_layers(model: Any) -> list[Any]:
    """The plain ``Dense`` layers of a ``Sequential`` model, in order (the last is the
    output layer of a :func:`widenable` one)."""
    import keras

    return [layer for layer in model.layers if type(layer) is keras.layers.Dense]


def carrier(models: Sequence[Any]) -> tuple[int, list[int]]:
    """The model a program of lanes with equal :func:`program_key` is compiled from: the
    one with the most weights, and the positions of the models whose every variable
    fits in its (their lanes can train in it).

    Parameters
    ----------
    models : sequence of keras.Model

    Returns
    -------
    index : int
    members : list of int
        Positions in ``models``, ``index`` among them.
    """
    layouts = [_shapes(model) for model in models]
    index = max(range(len(models)), key=lambda i: sum(
        int(np.prod(shape)) for group in layouts[i] for shape in group))
    return index, [i for i, layout in enumerate(layouts) if _fits_in(layout, layouts[index])]


def _shapes(model: Any) -> list[list[tuple[int, ...]]]:
    return [[tuple(v.shape) for v in group] for group in _variable_groups(model)]


def _fits_in(small: list[list[tuple[int, ...]]], large: list[list[tuple[int, ...]]]) -> bool:
    return all(len(a) == len(b) and all(x <= y for x, y in zip(a, b, strict=True))
               for group_a, group_b in zip(small, large, strict=True)
               for a, b in zip(group_a, group_b, strict=True))


def _widen(values: tuple[list[np.ndarray], ...], shapes: list[list[tuple[int, ...]]]
           ) -> tuple[list[np.ndarray], ...]:
    """Values zero-padded at the end of each axis to ``shapes``."""
    return tuple([v if v.shape == shape else np.pad(v, [(0, t - n) for n, t in
                                                         zip(v.shape, shape, strict=True)])
                  for v, shape in zip(group, group_shapes, strict=True)]
                 for group, group_shapes in zip(values, shapes, strict=True))


def _narrow(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return value if value.shape == shape else value[tuple(slice(0, n) for n in shape)]


def _compile_config(model: Any) -> Any:
    """The model's compile settings but its optimizer's name and float learning rate
    (unique when they cannot be serialized: such a model shares no program)."""
    try:
        compiled = model.get_compile_config()
        optimizer = compiled["optimizer"]["config"]
    except Exception:
        return f"model {id(model)}"
    optimizer.pop("name", None)
    if isinstance(optimizer.get("learning_rate"), float):
        del optimizer["learning_rate"]  # a variable of the optimizer: a lane value
    return compiled


def variable_rates(model: Any) -> list[float]:
    """The rates of the model's dropout layers that a lane may set (see :class:`Lane`)."""
    return [float(layer.rate) for layer in variable_dropout_layers(all_layers(model))]


# --------------------------------------------------------------------------- data


@dataclass
class _Stacked:
    """Every lane's data padded to common shapes and stacked on a leading axis."""

    arrays: dict[str, Any]
    steps: np.ndarray
    val_steps: np.ndarray | None
    n_rows: int
    n_val_rows: int
    batch: int
    val_batch: int


def batch_sizes(lanes: Sequence[Lane], fit_kwargs: dict[str, Any]) -> tuple[int, int]:
    """The training and validation batch sizes of a program: ``fit_batch_size`` (and
    ``validation_batch_size``), or fewer when no lane has that many rows.

    A lane smaller than a batch trains on one batch of its own rows in Keras; its
    program pads it only to the largest such lane, not to a whole batch, which
    gives the same loss and gradients (the padding rows weigh 0) for less work.
    """
    batch = int(fit_kwargs.get("batch_size") or 32)
    val_batch = int(fit_kwargs.get("validation_batch_size") or batch)
    split = fit_kwargs.get("validation_split") or 0.0
    rows = [row_count(lane.X) for lane in lanes]
    training = [int(np.floor(n * (1.0 - split))) for n in rows]
    validation = [n - t for n, t in zip(rows, training, strict=True)]
    return min(batch, max(training)), min(val_batch, max(validation) or val_batch)


def _stack(lanes: Sequence[Lane], fit_kwargs: dict[str, Any]) -> _Stacked:
    epochs = int(fit_kwargs.get("epochs", 1))
    batch, val_batch = batch_sizes(lanes, fit_kwargs)
    fit_kwargs = {**fit_kwargs, "batch_size": batch, "validation_batch_size": val_batch}
    shuffle = fit_kwargs.get("shuffle", True)
    parts, val_parts, perms = [], [], []
    for lane in lanes:
        X, y, weight, validation = padded_fit_data(
            lane.X, lane.y, lane.sample_weight, fit_kwargs, lane.seed)
        parts.append((X, y, weight))
        val_parts.append(validation)
        n = len(weight)
        # Keras reseeds NumPy when training begins and draws one permutation per epoch.
        rng = np.random.RandomState(lane.seed) if lane.seed is not None else np.random
        perms.append(np.stack([rng.permutation(n) if shuffle else np.arange(n)
                               for _ in range(epochs)]) if epochs else np.zeros((0, n), int))
    n_rows = max(len(w) for _, _, w in parts)
    arrays = {
        "train": _pad_stack(parts, n_rows),
        "perm": np.stack([np.pad(p, ((0, 0), (0, n_rows - p.shape[1]))) for p in perms]
                         ).astype(np.int32),
    }
    steps = np.array([len(w) // batch for _, _, w in parts], np.int32)
    val_steps, n_val_rows = None, 0
    held_out = [v for v in val_parts if v is not None]
    if held_out:
        n_val_rows = max(len(v[2]) for v in held_out)
        arrays["val"] = _pad_stack(held_out, n_val_rows)
        val_steps = np.array([len(v[2]) // val_batch for v in held_out], np.int32)
    return _Stacked(arrays, steps, val_steps, n_rows, n_val_rows, batch, val_batch)


def _pad_stack(parts: Sequence[tuple[Any, Any, np.ndarray]], rows: int) -> Any:
    """``(X, y, weight)`` of every lane, each padded with zero rows to ``rows`` and stacked."""
    import keras

    def pad(a: Any) -> np.ndarray:
        a = np.asarray(a)
        return np.pad(a, [(0, rows - len(a))] + [(0, 0)] * (a.ndim - 1))

    return keras.tree.map_structure(lambda *a: np.stack([pad(x) for x in a]), *parts)


# --------------------------------------------------------------------------- the program


def train(model: Any, lanes: Sequence[Lane], fit_kwargs: dict[str, Any],
          snapshot_epochs: Sequence[int] = ()) -> list[LaneResult]:
    """Train every lane as one compiled program; the model's own variables are untouched.

    Parameters
    ----------
    model : keras.Model
        The compiled model all lanes share (:func:`unsupported` returned None).
    lanes : sequence of Lane
    fit_kwargs : dict
        ``keras.Model.fit`` arguments (those :func:`unsupported` accepts).
    snapshot_epochs : sequence of int, default=()
        1-based epochs at whose end each lane's weights are kept.

    Returns
    -------
    list of LaneResult
        In the order of ``lanes``.

    Raises
    ------
    MemoryError
        When the lanes' stacked data would exceed what one program should hold.
    """
    import keras

    if keras.backend.backend() == "torch":
        return [_loop_result(model, lane, fit_kwargs, snapshot_epochs) for lane in lanes]
    import jax
    import jax.numpy as jnp

    stacked = _stack(lanes, fit_kwargs)
    size = sum(a.nbytes for a in jax.tree_util.tree_leaves(stacked.arrays))
    if size > _MAX_DATA_BYTES:
        raise MemoryError(f"{size} bytes of data for one program")
    epochs = int(fit_kwargs.get("epochs", 1))
    snapshot_epochs = sorted({int(e) for e in snapshot_epochs if 0 < int(e) <= epochs})
    slots = np.full(epochs, -1, np.int32)
    for slot, epoch in enumerate(snapshot_epochs):
        slots[epoch - 1] = slot
    rates = [lane.dropout_rates for lane in lanes]
    shapes = _shapes(model)
    start = jax.tree_util.tree_map(lambda *v: np.stack(v),
                                   *[_widen(lane.start, shapes) for lane in lanes])
    inputs = (start, stacked.arrays, stacked.steps,
              stacked.val_steps if stacked.val_steps is not None else stacked.steps,
              np.asarray(rates, np.float32).reshape(len(lanes), -1))
    program = _program(model, epochs, stacked.batch, stacked.val_batch, stacked.n_rows,
                       stacked.n_val_rows, len(snapshot_epochs))
    end, ran, logs, val_logs, snaps, snapped = jax.device_get(
        program(*inputs, jnp.asarray(slots)))
    return [_lane_result(i, lane, end, ran, logs, val_logs, snaps, snapped, snapshot_epochs)
            for i, lane in enumerate(lanes)]


def _loop_result(model: Any, lane: Lane, fit_kwargs: dict[str, Any],
                 snapshot_epochs: Sequence[int]) -> LaneResult:
    set_model_values(model, lane.start)
    history, snapshots = loop.train_lane(model, lane, fit_kwargs, snapshot_epochs)
    return LaneResult(_keras_order(history), model_values(model), snapshots)


def _keras_order(history: dict[str, list[float]]) -> dict[str, list[float]]:
    """The history's metrics in the order of ``History.history``: Keras sorts each
    epoch's logs by name."""
    return {name: history[name] for name in sorted(history)}


def _lane_result(i: int, lane: Lane, end: Any, ran: np.ndarray, logs: dict,
                 val_logs: dict | None, snaps: Any, snapped: np.ndarray,
                 snapshot_epochs: list[int]) -> LaneResult:
    """Lane ``i``'s part of the program's outputs, in its own model's shapes."""
    count = int(ran[i].sum())
    history = {name: [float(v) for v in values[i, :count]] for name, values in logs.items()}
    for name, values in (val_logs or {}).items():
        history[f"val_{name}"] = [float(v) for v in values[i, :count]]

    def own(group: int, values: list[np.ndarray], index: Any) -> list[np.ndarray]:
        return [_narrow(v[index], start.shape)
                for v, start in zip(values, lane.start[group], strict=True)]

    snapshots = {epoch: (own(0, snaps[0], (i, slot)), own(1, snaps[1], (i, slot)))
                 for slot, epoch in enumerate(snapshot_epochs) if snapped[i, slot]}
    return LaneResult(_keras_order(history),
                      tuple(own(g, group, i) for g, group in enumerate(end)), snapshots)


def _program(model: Any, epochs: int, batch: int, val_batch: int, n_rows: int,
             n_val_rows: int, n_snapshots: int) -> Any:
    """The jitted function of :func:`train` for this model and these shapes."""
    import jax
    import jax.numpy as jnp
    import keras

    steps_per_epoch, val_steps_per_epoch = n_rows // batch, n_val_rows // val_batch
    dropout = variable_dropout_layers(all_layers(model))

    def select(flag: Any, new: Any, old: Any) -> Any:
        return jax.tree_util.tree_map(lambda a, b: jnp.where(flag, a, b), new, old)

    def rows(data: Any, index: Any) -> Any:
        return keras.tree.map_structure(lambda a: jnp.take(a, index, axis=0), data)

    def validate(trainable: Any, non_trainable: Any, metrics: Any, data: Any,
                 n_steps: Any) -> dict:
        def step(state: Any, i: Any) -> tuple[Any, Any]:
            index = i * val_batch + jnp.arange(val_batch)
            logs, new = model.test_step(state, rows(data, index))
            return select(i < n_steps, new, state), logs
        _, logs = jax.lax.scan(step, (trainable, non_trainable, metrics),
                               jnp.arange(val_steps_per_epoch))
        return jax.tree_util.tree_map(lambda v: v[n_steps - 1], logs)

    def engine_program(start: Any, data: Any, n_steps: Any, n_val_steps: Any, rates: Any,
                       slots: Any) -> Any:
        trainable, non_trainable, optimizer, metrics0 = start
        with set_dropout_rate(dropout, [rates[j] for j in range(len(dropout))]):
            def epoch(carry: Any, xs: Any) -> tuple[Any, Any]:
                (trainable, non_trainable, optimizer, metrics, alive, snaps, snapped) = carry
                perm, slot = xs

                def step(state: Any, i: Any) -> tuple[Any, Any]:
                    index = jax.lax.dynamic_slice(perm, (i * batch,), (batch,))
                    logs, new = model.train_step(state, rows(data["train"], index))
                    return select(i < n_steps, new, state), logs

                state, logs = jax.lax.scan(
                    step, (trainable, non_trainable, optimizer, metrics0),
                    jnp.arange(steps_per_epoch))
                logs = jax.tree_util.tree_map(lambda v: v[n_steps - 1], logs)
                val_logs = None
                end_metrics = state[3]
                if "val" in data:
                    val_logs = validate(state[0], state[1], metrics0, data["val"],
                                        n_val_steps)
                new = select(alive, state[:3], (trainable, non_trainable, optimizer))
                metrics = select(alive, end_metrics, metrics)
                if n_snapshots:
                    take = alive & (slot >= 0)
                    index = jnp.maximum(slot, 0)
                    snaps = jax.tree_util.tree_map(
                        lambda buffer, value: jnp.where(take, buffer.at[index].set(value),
                                                        buffer),
                        snaps, (new[0], new[1]))
                    snapped = jnp.where(take, snapped.at[index].set(True), snapped)
                ran = alive
                alive = alive & jnp.isfinite(logs["loss"])
                return (*new, metrics, alive, snaps, snapped), (ran, logs, val_logs)

            snaps = jax.tree_util.tree_map(
                lambda v: jnp.zeros((max(n_snapshots, 1), *v.shape), v.dtype),
                (trainable, non_trainable))
            carry = (trainable, non_trainable, optimizer, metrics0, jnp.asarray(True), snaps,
                     jnp.zeros(max(n_snapshots, 1), bool))
            carry, (ran, logs, val_logs) = jax.lax.scan(epoch, carry, (data["perm"], slots))
        trainable, non_trainable, optimizer, metrics, _, snaps, snapped = carry
        return (trainable, non_trainable, optimizer, metrics), ran, logs, val_logs, snaps, snapped

    # One lane's training, vmapped over lanes; "engine_program" names it in JAX's logs.
    return jax.jit(jax.vmap(engine_program, in_axes=(0, 0, 0, 0, 0, None)))
