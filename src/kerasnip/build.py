"""Model building: the blocks applied with an estimator's parameters give a Keras model.

A sequential spec applies its blocks in order, each ``num_{block}`` times, to
one ``keras.Sequential``; a functional spec calls its blocks along the graph,
from the input blocks to the output block(s). Compiling is the estimator's
(:meth:`KerasEstimator.compile_model`).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from kerasnip._compat import producing_operation
from kerasnip._utils import python_scalar
from kerasnip.definition.blocks import BlockInfo
from kerasnip.definition.graph import Graph
from kerasnip.definition.spec import SpecDefinition
from kerasnip.errors import BlockImportError, BuildError


def call_block(info: BlockInfo, inputs: Mapping[str, Any], hyper: Mapping[str, Any],
               meta: Mapping[str, Any]) -> Any:
    """Call one block with its inputs, hyperparameters and the injected values it declares."""
    kwargs = dict(inputs)
    kwargs.update({arg: meta[arg] for arg in info.injected if arg in meta})
    # Values from a NumPy grid (np.int64 units) would be refused by Keras layers.
    kwargs.update({arg: python_scalar(value) for arg, value in hyper.items()})
    try:
        return info.function(**kwargs)
    except BlockImportError:
        raise  # a loaded estimator's block that cannot be imported says so itself
    except Exception as exc:
        shown = {k: v for k, v in kwargs.items() if k not in info.inputs}
        raise BuildError(
            f"Block {info.name!r} failed with {shown}: {type(exc).__name__}: {exc}"
        ) from exc


def build_sequential(spec: SpecDefinition, params: Mapping[str, Any],
                     meta: Mapping[str, Any]) -> Any:
    """Build a ``keras.Sequential`` by applying each block ``num_{block}`` times.

    Parameters
    ----------
    spec : SpecDefinition
        The spec whose blocks are applied in order.
    params : dict
        The estimator's parameters (``num_*`` and ``{block}_{arg}`` are read).
    meta : dict
        Injected values: ``input_shape``, ``num_classes``, ``num_outputs``.

    Returns
    -------
    keras.Model
    """
    import keras

    model = None
    for position, (name, info) in enumerate(spec.blocks.items()):
        repeats = params[f"num_{name}"] if spec.repeatable(name) else 1
        hyper = {arg: params[f"{name}_{arg}"] for arg in info.hyperparameters}
        for _ in range(repeats):
            model = call_block(info, {info.inputs[0]: model}, hyper, meta)
            if not isinstance(model, keras.Model):
                what = "create and return a keras.Sequential" if position == 0 else (
                    "return the model it was given (after adding layers)")
                raise BuildError(
                    f"Block {name!r} returned {type(model).__name__}, not a Keras model; "
                    f"it must {what}."
                )
    return model


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

    graph = spec.graph()
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
    operation, _ = producing_operation(tensor)
    if not isinstance(operation, keras.layers.InputLayer):
        raise BuildError(
            f"Input block {name!r} must return `keras.Input(shape=input_shape)` itself; put "
            "further layers in a block downstream of it."
        )
    return tensor


def build_model(spec: SpecDefinition, params: Mapping[str, Any], meta: Mapping[str, Any]) -> Any:
    """Build the (uncompiled) Keras model for ``spec`` with ``params`` and ``meta``."""
    if spec.kind == "sequential":
        return build_sequential(spec, params, meta)
    return build_functional(spec, params, meta)
