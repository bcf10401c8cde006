"""Functional specs: blocks as graph nodes, graph validation, and model building.

A functional block is ``block(<upstream tensors>, **hyperparameters) -> tensor``.
An argument named after another block is an edge from that block; blocks
with no upstream argument are the model's inputs and receive ``input_shape``.
The block named ``output`` ends the graph; a graph without one has one output
per block that feeds nothing (a multi-output model, whose y has one column
per such block).

Everything that can be checked without data is checked when the spec is
created, so a miswired graph fails at ``create_keras_functional_spec`` with
the block names in the message rather than deep inside Keras at fit time.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kerasnip._utils import did_you_mean
from kerasnip.blocks import (
    INJECTED_ARGS,
    BlockError,
    BlockInfo,
    block_signature,
    check_block_name,
    split_parameters,
)
from kerasnip.build import BuildError, call_block
from kerasnip.spec import SpecDefinition

OUTPUT_BLOCK = "output"


@dataclass(frozen=True)
class Graph:
    """The wiring of a functional spec, derived from its blocks.

    Attributes
    ----------
    order : tuple of str
        The blocks that take part in the model, upstream first.
    inputs : tuple of str
        Input blocks (no upstream argument), in block order. They name the
        entries of a multi-input X.
    outputs : tuple of str
        Output blocks, in block order. They name the columns of a
        multi-output y.
    unused : tuple of str
        Blocks that reach no output; they are left out of the model.
    """

    order: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    unused: tuple[str, ...] = ()

    @property
    def multi_input(self) -> bool:
        """Whether the model takes several inputs (X is a dict or array-column DataFrame)."""
        return len(self.inputs) > 1

    @property
    def multi_output(self) -> bool:
        """Whether the model has several outputs (y is a dict or DataFrame, one per output)."""
        return len(self.outputs) > 1


# --------------------------------------------------------------------------- introspection


def inspect_functional_block(name: str, function: object, block_names: list[str]) -> BlockInfo:
    """Introspect one functional block: its upstream edges, injected args and hyperparameters.

    Parameters
    ----------
    name : str
        The block's key in ``layer_blocks``.
    function : callable
        The block function (possibly wrapped by :func:`kerasnip.inp_spec`).
    block_names : list of str
        All block names of the spec; an argument with one of these names is an edge.

    Returns
    -------
    BlockInfo
        ``inputs`` lists the upstream arguments in call order and ``upstream``
        maps each to its block.
    """
    check_block_name(name)
    signature = block_signature(name, function)
    inputs: list[str] = []
    for arg, param in signature.parameters.items():
        if arg in block_names:
            if param.kind is param.POSITIONAL_ONLY:
                raise BlockError(
                    f"Argument {arg!r} of block {name!r} is positional-only; kerasnip passes "
                    "upstream tensors by name, so make it a regular argument."
                )
            inputs.append(arg)
        elif (
            param.default is inspect.Parameter.empty
            and arg not in INJECTED_ARGS
            and param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
        ):
            hint = did_you_mean(arg, block_names)
            raise BlockError(
                f"Argument {arg!r} of block {name!r} names no block and has no default.{hint} "
                "An argument is an edge when it is named "
                f"after an upstream block (blocks: {block_names}); wire a differently named "
                f"argument with kerasnip.inp_spec(fn, {{{arg!r}: 'upstream_block'}}), or give "
                "it a default to make it a hyperparameter."
            )
    injected, hyper = split_parameters(name, signature, tuple(inputs))
    if not inputs and "input_shape" not in injected:
        raise BlockError(
            f"Block {name!r} has no upstream argument (none of its arguments is named after "
            f"another block of {block_names}) and takes no `input_shape`, so it is neither "
            "connected nor a model input. Name an argument after its upstream block (or use "
            "kerasnip.inp_spec), or give an input block an `input_shape` argument and return "
            "keras.Input(shape=input_shape)."
        )
    return BlockInfo(name, function, tuple(inputs), {a: a for a in inputs}, injected, hyper)


def inspect_functional_blocks(blocks: Mapping[str, Callable[..., Any]]) -> dict[str, BlockInfo]:
    """Introspect and validate the blocks of a functional spec.

    Parameters
    ----------
    blocks : dict of str to callable
        The ``layer_blocks`` given to :func:`kerasnip.create_keras_functional_spec`,
        upstream blocks first.

    Returns
    -------
    dict of str to BlockInfo

    Raises
    ------
    BlockError
        For an argument that names no block and has no default, a cycle, a block
        listed before one of its upstream blocks, or a graph without an output.

    Warns
    -----
    UserWarning
        For blocks that reach no output (they are left out of the model).
    """
    names = list(blocks)
    infos = {name: inspect_functional_block(name, fn, names) for name, fn in blocks.items()}
    graph = analyse_graph(infos)
    if graph.unused:
        warnings.warn(
            f"Block(s) {list(graph.unused)} feed nothing that reaches the output(s) "
            f"{list(graph.outputs)} and will not be part of the model. Connect them to a "
            f"downstream block, remove them, or (for several outputs) drop the block named "
            f"{OUTPUT_BLOCK!r} so that every block feeding nothing becomes an output.",
            UserWarning,
            stacklevel=3,  # the user's create_keras_functional_spec call
        )
    return infos


# --------------------------------------------------------------------------- graph analysis


def analyse_graph(blocks: Mapping[str, BlockInfo]) -> Graph:
    """Check that ``blocks`` form a usable DAG and find its inputs and outputs.

    Parameters
    ----------
    blocks : dict of str to BlockInfo
        Introspected functional blocks, in the user's order.

    Returns
    -------
    Graph
    """
    names = list(blocks)
    upstream = {name: list(info.upstream.values()) for name, info in blocks.items()}
    _check_acyclic(upstream)
    position = {name: i for i, name in enumerate(names)}
    for name in names:
        later = [up for up in upstream[name] if position[up] > position[name]]
        if later:
            raise BlockError(
                f"Block {name!r} uses {later}, which {'is' if len(later) == 1 else 'are'} "
                "listed after it. List layer_blocks upstream first (a topological order), "
                f"e.g. {_topological_order(upstream)}."
            )
    feeds = {name: [b for b in names if name in upstream[b]] for name in names}
    sinks = [name for name in names if not feeds[name]]
    if OUTPUT_BLOCK in blocks:
        outputs = [OUTPUT_BLOCK]
    elif len(sinks) > 1:
        outputs = sinks
    else:
        raise BlockError(
            f"The graph has no output block. Name the block that produces the model's output "
            f"{OUTPUT_BLOCK!r} (e.g. rename {sinks[0]!r}), or, for a model with several "
            "outputs, end it with several blocks that feed nothing, each named after its "
            "column in y."
        )
    live = _ancestors(outputs, upstream)
    order = tuple(name for name in names if name in live)
    return Graph(
        order=order,
        inputs=tuple(name for name in order if not upstream[name]),
        outputs=tuple(outputs),
        unused=tuple(name for name in names if name not in live),
    )


def graph_of(spec: SpecDefinition) -> Graph:
    """The :class:`Graph` of a functional spec.

    Parameters
    ----------
    spec : SpecDefinition
        A spec created by :func:`kerasnip.create_keras_functional_spec`.

    Returns
    -------
    Graph
    """
    if spec.kind != "functional":
        raise TypeError(f"Spec {spec.model_name!r} is {spec.kind}, not functional.")
    return analyse_graph(spec.blocks)


def _check_acyclic(upstream: Mapping[str, list[str]]) -> None:
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = [*path[path.index(name):], name]
            raise BlockError(
                f"The blocks form a cycle: {' -> '.join(reversed(cycle))}. A functional model "
                "is a directed acyclic graph; every block must depend only on blocks "
                "upstream of it."
            )
        if name in done:
            return
        for up in upstream[name]:
            visit(up, [*path, name])
        done.add(name)

    for name in upstream:
        visit(name, [])


def _topological_order(upstream: Mapping[str, list[str]]) -> list[str]:
    """A topological order that keeps the user's order wherever it can."""
    order: list[str] = []
    remaining = list(upstream)
    while remaining:
        ready = next(n for n in remaining if all(up in order for up in upstream[n]))
        order.append(ready)
        remaining.remove(ready)
    return order


def _ancestors(names: list[str], upstream: Mapping[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(upstream[name])
    return seen


# --------------------------------------------------------------------------- build


def build_functional(spec: SpecDefinition, params: Mapping[str, Any],
                     meta: Mapping[str, Any]) -> Any:
    """Build a functional ``keras.Model`` by calling the blocks along the graph.

    Parameters
    ----------
    spec : SpecDefinition
        A functional spec.
    params : dict
        The estimator's ``num_*`` and ``{block}_{arg}`` parameters. A
        single-input block is applied ``num_{block}`` times, each time on its
        own output; 0 passes its input through unchanged.
    meta : dict
        Injected values. ``input_shape`` is a tuple, or for a multi-input model a
        dict keyed by input block (each input block gets its own shape; other
        blocks that ask for it get the whole dict). ``num_classes`` and
        ``num_outputs`` are ints, or dicts keyed by output block for a
        multi-output model.

    Returns
    -------
    keras.Model
        Its inputs are a tensor (one input) or a list in ``Graph.inputs``
        order; its outputs a tensor (one output) or a dict keyed by output block.
    """
    import keras

    graph = graph_of(spec)
    tensors: dict[str, Any] = {}
    for name in graph.order:
        info = spec.blocks[name]
        hyper = {arg: params[f"{name}_{arg}"] for arg in info.hyperparameters}
        injected = _injected_for(info, graph, meta)
        if not info.inputs:
            tensors[name] = _check_input_tensor(name, call_block(info, {}, hyper, injected))
            continue
        upstream = {arg: tensors[up] for arg, up in info.upstream.items()}
        if spec.repeatable(name):
            (arg,) = info.inputs
            tensor = upstream[arg]
            for _ in range(params[f"num_{name}"]):
                tensor = _check_tensor(name, call_block(info, {arg: tensor}, hyper, injected))
        else:
            tensor = _check_tensor(name, call_block(info, upstream, hyper, injected))
        tensors[name] = tensor
    inputs = [tensors[name] for name in graph.inputs]
    outputs = {name: tensors[name] for name in graph.outputs}
    try:
        return keras.Model(
            inputs=inputs if graph.multi_input else inputs[0],
            outputs=outputs if graph.multi_output else outputs[graph.outputs[0]],
            name=spec.model_name,
        )
    except Exception as exc:
        raise BuildError(
            f"Keras could not assemble the functional model from blocks {list(graph.order)}: "
            f"{type(exc).__name__}: {exc}. Check that layer names given inside blocks are "
            "unique (a repeated block creates its layers once per repeat)."
        ) from exc


def _injected_for(info: BlockInfo, graph: Graph, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The injected values one block gets: per-input shapes and per-output sizes."""
    values: dict[str, Any] = {}
    for arg in info.injected:
        value = meta.get(arg)
        if isinstance(value, Mapping) and (arg != "input_shape" or info.name in graph.inputs):
            value = value.get(info.name)
        if value is None:
            param = inspect.signature(info.function).parameters[arg]
            if param.default is not inspect.Parameter.empty:
                continue
            raise BuildError(_missing_injection(info.name, arg, graph, meta))
        values[arg] = value
    return values


def _missing_injection(name: str, arg: str, graph: Graph, meta: Mapping[str, Any]) -> str:
    if arg == "input_shape":
        return f"Input block {name!r} got no input shape; X must provide input {name!r}."
    kind = "classification" if arg == "num_classes" else "regression"
    if graph.multi_output and name in graph.outputs:
        other = "num_outputs" if arg == "num_classes" else "num_classes"
        return (
            f"Output block {name!r} takes `{arg}`, a {kind} size, but its target in y makes "
            f"it a {'regression' if kind == 'classification' else 'classification'} head "
            f"(which gets `{other}`). Floats make a regression head; strings, bools and "
            "categoricals a classification head; integers follow the spec's mode. Convert "
            f"y[{name!r}], or change the block."
        )
    if graph.multi_output:
        return (
            f"Block {name!r} takes `{arg}`, which only {kind} output blocks "
            f"({list(graph.outputs)}) receive in a multi-output model. Use a fixed size or a "
            f"hyperparameter for {name!r}, or move `{arg}` to the output block."
        )
    return (
        f"Block {name!r} takes `{arg}`, but this is not a {kind} model. Give `{arg}` a "
        "default, or use the matching mode."
    )


def _check_tensor(name: str, value: Any) -> Any:
    import keras

    if isinstance(value, keras.KerasTensor):
        return value
    hint = ""
    # A keras.Model is also a Layer, so it is checked first.
    if isinstance(value, keras.Model):
        hint = (" Functional blocks return tensors, not models: return the output tensor "
                "of the block's layers.")
    elif isinstance(value, keras.layers.Layer):
        hint = (f" It returned the layer itself; call it on the input, e.g. "
                f"`keras.layers.{type(value).__name__}(...)(tensor)`.")
    raise BuildError(
        f"Block {name!r} returned {type(value).__name__}, not a Keras tensor.{hint}"
    )


def _check_input_tensor(name: str, value: Any) -> Any:
    import keras

    tensor = _check_tensor(name, value)
    history = getattr(tensor, "_keras_history", None)
    if history is None or not isinstance(history.operation, keras.layers.InputLayer):
        raise BuildError(
            f"Input block {name!r} must return `keras.Input(shape=input_shape)` itself; put "
            "further layers in a block downstream of it."
        )
    return tensor
