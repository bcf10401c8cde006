"""Model building: apply the blocks with the estimator's parameters, then compile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerasnip._utils import python_scalar
from kerasnip.blocks import BlockInfo
from kerasnip.persistence import BlockImportError
from kerasnip.spec import SpecDefinition


class BuildError(RuntimeError):
    """A block raised or returned something unusable while building the model."""


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


def build_model(spec: SpecDefinition, params: Mapping[str, Any], meta: Mapping[str, Any]) -> Any:
    """Build the (uncompiled) Keras model for ``spec`` with ``params`` and ``meta``."""
    if spec.kind == "sequential":
        return build_sequential(spec, params, meta)
    from kerasnip.graph import build_functional

    return build_functional(spec, params, meta)
