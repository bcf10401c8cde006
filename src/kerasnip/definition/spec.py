"""The spec definition: a spec's blocks, mode and the flat parameters they give.

A :class:`SpecDefinition` is pure data about the blocks: which parameters the
generated estimator has (``num_{block}``, ``{block}_{arg}``, ``learn_rate``,
``compile_*``, ``fit_*``, ``random_state``, ``verbose``), checked for clashes
and for injected values the mode cannot provide. :class:`SpecMeta`, the
metaclass of every kerasnip estimator, checks constructor arguments against
it. The factory (:mod:`kerasnip.factory`) turns a definition into a class.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kerasnip._utils import did_you_mean
from kerasnip.definition.blocks import BlockInfo
from kerasnip.definition.graph import Graph, analyse_graph
from kerasnip.errors import BlockError
from kerasnip.keras_args import compile_arguments, fit_arguments

MODES = ("classification", "regression")
KINDS = ("sequential", "functional")


@dataclass(frozen=True)
class ParamInfo:
    """One generated estimator parameter.

    Attributes
    ----------
    name : str
        The parameter name, e.g. ``"hidden_units"``.
    role : str
        ``"num"``, ``"block"``, ``"learn_rate"``, ``"compile"``, ``"fit"``,
        ``"random_state"`` or ``"verbose"``.
    default : object
        The default shown in the signature.
    block, arg : str or None
        For ``"num"``/``"block"`` parameters, the block; for ``"block"``,
        ``"compile"`` and ``"fit"``, the argument it feeds.
    annotation : object
        The block argument's annotation (used for default tuning ranges).
    """

    name: str
    role: str
    default: Any = None
    block: str | None = None
    arg: str | None = None
    annotation: Any = inspect.Parameter.empty


@dataclass
class SpecDefinition:
    """Everything needed to (re)create a generated estimator class."""

    model_name: str
    kind: str
    mode: str
    blocks: dict[str, BlockInfo]
    description: str | None = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def parameters(self) -> list[ParamInfo]:
        """The generated parameters, in signature order."""
        return _layout_parameters(self)

    def graph(self) -> Graph:
        """The wiring of a functional spec's blocks.

        Returns
        -------
        Graph
        """
        if self.kind != "functional":
            raise TypeError(f"Spec {self.model_name!r} is {self.kind}, not functional.")
        return analyse_graph(self.blocks)

    def check(self) -> None:
        """Refuse parameter names generated twice, and injected values the mode lacks.

        Raises
        ------
        BlockError
        """
        _check_unique(self)
        _check_injected(self)

    def output_blocks(self) -> tuple[str, ...]:
        """The blocks that make the model's output(s): a sequential spec's last block, a
        functional spec's output block(s).

        Returns
        -------
        tuple of str
        """
        if self.kind == "sequential":
            return (list(self.blocks)[-1],)
        return self.graph().outputs

    def repeatable(self, block: str) -> bool:
        """Whether ``num_{block}`` exists for ``block``."""
        info = self.blocks[block]
        if self.kind == "sequential":
            return block != next(iter(self.blocks))
        return len(info.inputs) == 1


def _layout_parameters(spec: SpecDefinition) -> list[ParamInfo]:
    params: list[ParamInfo] = []
    for name in spec.blocks:
        if spec.repeatable(name):
            params.append(ParamInfo(f"num_{name}", "num", 1, block=name))
    for name, info in spec.blocks.items():
        for arg, p in info.hyperparameters.items():
            params.append(
                ParamInfo(f"{name}_{arg}", "block", p.default, name, arg, p.annotation)
            )
    params.append(ParamInfo("learn_rate", "learn_rate"))
    params += [ParamInfo(f"compile_{a}", "compile", arg=a) for a in compile_arguments()]
    params += [ParamInfo(f"fit_{a}", "fit", arg=a) for a in fit_arguments()]
    params.append(ParamInfo("random_state", "random_state"))
    params.append(ParamInfo("verbose", "verbose", 0))
    return params


def _check_unique(spec: SpecDefinition) -> None:
    seen: dict[str, str] = {}
    for p in spec.parameters:
        origin = f"block {p.block!r} argument {p.arg!r}" if p.role == "block" else (
            f"the repeat count of block {p.block!r}" if p.role == "num" else "kerasnip itself"
        )
        if p.name in seen:
            raise BlockError(
                f"Parameter name {p.name!r} is generated twice: from {seen[p.name]} and from "
                f"{origin}. Rename one of the blocks or arguments."
            )
        seen[p.name] = origin


_INJECTED_BY_MODE = {
    "classification": ("input_shape", "num_classes"),
    "regression": ("input_shape", "num_outputs"),
}


def _check_injected(spec: SpecDefinition) -> None:
    """A block may only require injected values its mode provides (others need a default)."""
    available = _INJECTED_BY_MODE[spec.mode]
    heads: tuple[str, ...] = ()
    if spec.kind == "functional":
        # Each output of a multi-output model is classification or regression by its
        # own y column, so its injected values are only known (and checked) at fit.
        graph = spec.graph()
        heads = graph.outputs if graph.multi_output else ()
    for name, info in spec.blocks.items():
        if name in heads:
            continue
        parameters = inspect.signature(info.function).parameters
        for arg in info.injected:
            if arg not in available and parameters[arg].default is inspect.Parameter.empty:
                raise BlockError(
                    f"Block {name!r} requires {arg!r}, which a {spec.mode} spec does not "
                    f"inject (it injects {list(available)}). Use this block in the other "
                    f"mode, or give {arg!r} a default."
                )


# --------------------------------------------------------------------------- metaclass


class SpecMeta(type):
    """Metaclass of kerasnip estimators: typo-tolerant construction and pickling by value."""

    kerasnip_spec: SpecDefinition | None = None

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        spec = cls.__dict__.get("kerasnip_spec")
        if spec is not None:
            if args:
                raise TypeError(
                    f"{cls.__name__}() takes keyword arguments only, e.g. "
                    f"{cls.__name__}(fit_epochs=10); got {len(args)} positional argument(s)."
                )
            check_parameter_names(cls, kwargs)
        return super().__call__(*args, **kwargs)


def check_parameter_names(cls: type, names: Mapping[str, Any],
                          error: type[Exception] = TypeError) -> None:
    """Refuse unknown parameter names, naming close matches.

    Parameters
    ----------
    cls : type
        The estimator class.
    names : mapping of str
        The parameters given.
    error : type, default=TypeError
        What to raise: ``TypeError`` for the constructor, as Python does for an
        unknown keyword; ``ValueError`` for ``set_params``, as scikit-learn does.
    """
    spec = getattr(cls, "kerasnip_spec", None)
    if spec is None:  # a library base class: nothing generated to check against
        return
    valid = [p.name for p in spec.parameters]
    unknown = [name for name in names if name not in valid]
    if unknown:
        hints = " ".join(f"{n!r}:{_unknown_hint(spec, n, valid)}" for n in unknown)
        raise error(
            f"{cls.__name__} got unknown parameter(s) {unknown}. {hints} "
            f"See help({cls.__name__}) or {cls.__name__}().get_params() for all parameters."
        )


def _unknown_hint(spec: SpecDefinition, name: str, valid: list[str]) -> str:
    block = name[len("num_"):] if name.startswith("num_") else None
    if block in spec.blocks and not spec.repeatable(block):
        inputs = spec.blocks[block].inputs
        why = "it creates the model" if spec.kind == "sequential" else (
            "it is an input block" if not inputs else f"it takes several inputs {list(inputs)}")
        return f" block {block!r} cannot be repeated ({why}), so there is no {name}."
    return did_you_mean(name, valid) or " no close match."
