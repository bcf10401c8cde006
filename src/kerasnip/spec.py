"""The spec factory: layer blocks in, a registered scikit-learn estimator class out.

``create_keras_sequential_spec`` and ``create_keras_functional_spec`` read the
blocks' signatures, lay out one flat parameter per tunable thing
(``num_{block}``, ``{block}_{arg}``, ``learn_rate``, ``compile_*``, ``fit_*``,
``random_state``, ``verbose``) and generate a class with an explicit
``__init__`` so ``help()``, IDE completion and ``get_params()`` show them all.

Generated classes pickle by *definition*, not by import path: a reducer
registered for :class:`SpecMeta` (our own metaclass, so nothing of Keras or
the standard library is patched) serialises the blocks with cloudpickle, which
stores functions from ``__main__`` or a notebook by value. A loky or Dask
worker therefore rebuilds the class without being able to import it.
"""

from __future__ import annotations

import copyreg
import inspect
import textwrap
import uuid
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cloudpickle

from kerasnip._utils import did_you_mean, format_choices
from kerasnip.blocks import INJECTED_ARGS, BlockError, BlockInfo, inspect_sequential_block
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
        from kerasnip.graph import analyse_graph

        # Each output of a multi-output model is classification or regression by its
        # own y column, so its injected values are only known (and checked) at fit.
        graph = analyse_graph(spec.blocks)
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


def check_parameter_names(cls: type, names: Mapping[str, Any]) -> None:
    """Raise ``TypeError`` naming close matches for any unknown parameter."""
    spec = getattr(cls, "kerasnip_spec", None)
    if spec is None:  # a library base class: nothing generated to check against
        return
    valid = [p.name for p in spec.parameters]
    unknown = [name for name in names if name not in valid]
    if unknown:
        hints = " ".join(f"{n!r}:{_unknown_hint(spec, n, valid)}" for n in unknown)
        raise TypeError(
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


# Weak, so classes replaced in the registry (and their blocks) can be freed;
# it only makes unpickling in the defining process return the very same class.
_CLASSES_BY_TOKEN: weakref.WeakValueDictionary[str, type] = weakref.WeakValueDictionary()
_REGISTRY: dict[str, type] = {}


def _reduce_spec_class(cls: SpecMeta) -> Any:
    spec = cls.__dict__.get("kerasnip_spec")
    if spec is None:  # a library base class such as KerasClassifier: by reference
        return cls.__qualname__
    return _rebuild_spec_class, (cloudpickle.dumps(spec),)


def _rebuild_spec_class(payload: bytes) -> type:
    spec: SpecDefinition = cloudpickle.loads(payload)
    existing = _CLASSES_BY_TOKEN.get(spec.token)
    if existing is not None:
        return existing
    cls = _make_class(spec)
    # Loading an old pickle must not replace a spec the user has since redefined.
    _REGISTRY.setdefault(spec.model_name, cls)
    return cls


copyreg.pickle(SpecMeta, _reduce_spec_class)


# --------------------------------------------------------------------------- factory


def create_keras_sequential_spec(
    model_name: str,
    layer_blocks: Mapping[str, Callable[..., Any]],
    mode: str,
    *,
    description: str | None = None,
) -> type:
    """Create an estimator class from sequential layer blocks.

    Parameters
    ----------
    model_name : str
        Name of the generated class and its key in the spec registry.
    layer_blocks : dict of str to callable
        Ordered blocks ``block(model, **hyperparameters) -> model``. The first
        block receives ``model=None`` and returns a new ``keras.Sequential``;
        each later block is applied ``num_{block}`` times.
    mode : {"classification", "regression"}
        Which scikit-learn estimator type to generate.
    description : str, optional
        A line for the generated docstring.

    Returns
    -------
    type
        A subclass of :class:`kerasnip.KerasClassifier` or
        :class:`kerasnip.KerasRegressor` with one keyword parameter per
        tunable setting.

    Examples
    --------
    >>> mlp = create_keras_sequential_spec(
    ...     "mlp", {"input": input_block, "hidden": dense_block, "output": output_block},
    ...     mode="classification")                                # doctest: +SKIP
    >>> mlp(num_hidden=2, hidden_units=64, fit_epochs=20).fit(X, y)  # doctest: +SKIP
    """
    blocks = _check_blocks(layer_blocks)
    infos = {name: inspect_sequential_block(name, fn) for name, fn in blocks.items()}
    return _create_spec(model_name, "sequential", mode, infos, description)


def create_keras_functional_spec(
    model_name: str,
    layer_blocks: Mapping[str, Callable[..., Any]],
    mode: str,
    *,
    description: str | None = None,
) -> type:
    """Create an estimator class from functional (graph) layer blocks.

    Parameters
    ----------
    model_name : str
        Name of the generated class and its key in the spec registry.
    layer_blocks : dict of str to callable
        Blocks ``block(<upstream tensors>, **hyperparameters) -> tensor`` in a
        topological order. An argument named after an earlier block is an
        edge; use :func:`kerasnip.inp_spec` to rename arguments. Blocks with
        no upstream argument are inputs and receive ``input_shape``; the block
        named ``output`` (or the blocks named after y's columns) end the graph.
    mode : {"classification", "regression"}
        Which scikit-learn estimator type to generate.
    description : str, optional
        A line for the generated docstring.

    Returns
    -------
    type
        A generated estimator class, as for :func:`create_keras_sequential_spec`.
    """
    from kerasnip.graph import inspect_functional_blocks

    blocks = _check_blocks(layer_blocks)
    infos = inspect_functional_blocks(blocks)
    return _create_spec(model_name, "functional", mode, infos, description)


def _check_blocks(layer_blocks: Mapping[str, Callable[..., Any]]) -> dict[str, Callable]:
    if not isinstance(layer_blocks, Mapping) or not layer_blocks:
        raise BlockError(
            "layer_blocks must be a non-empty dict of {block_name: block_function}, "
            f"got {type(layer_blocks).__name__}."
        )
    return dict(layer_blocks)


def _create_spec(
    model_name: str,
    kind: str,
    mode: str,
    blocks: dict[str, BlockInfo],
    description: str | None,
) -> type:
    if not isinstance(model_name, str) or not model_name.isidentifier():
        raise ValueError(
            f"model_name must be a Python identifier (it names the class), got {model_name!r}."
        )
    if mode not in MODES:
        raise ValueError(f"Unknown mode {mode!r}.{did_you_mean(str(mode), MODES)} "
                         f"Choose one of {list(MODES)}.")
    spec = SpecDefinition(model_name, kind, mode, blocks, description)
    _check_unique(spec)
    _check_injected(spec)
    cls = _make_class(spec)
    if model_name in _REGISTRY:
        warnings.warn(
            f"A kerasnip spec named {model_name!r} already exists; replacing it.",
            UserWarning,
            stacklevel=3,
        )
    _REGISTRY[model_name] = cls
    return cls


def _make_class(spec: SpecDefinition) -> type:
    from kerasnip.estimator import KerasClassifier, KerasRegressor

    base = KerasClassifier if spec.mode == "classification" else KerasRegressor
    if spec.kind == "functional":
        from kerasnip.multi_io import FunctionalClassifier, FunctionalRegressor

        base = FunctionalClassifier if spec.mode == "classification" else FunctionalRegressor
    params = spec.parameters
    defaults = {p.name: p.default for p in params}
    arguments = ", ".join(f"{p.name}=_defaults[{p.name!r}]" for p in params)
    body = "\n".join(f"    self.{p.name} = {p.name}" for p in params)
    source = f"def __init__(self, *, {arguments}):\n{body}\n"
    namespace: dict[str, Any] = {"_defaults": defaults}
    exec(compile(source, f"<kerasnip spec {spec.model_name}>", "exec"), namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{spec.model_name}.__init__"
    init_signature = inspect.signature(init)
    cls = SpecMeta(
        spec.model_name,
        (base,),
        {
            "__init__": init,
            "__doc__": _docstring(spec),
            "__module__": "kerasnip.specs",
            "__qualname__": spec.model_name,
            "kerasnip_spec": spec,
            # SpecMeta.__call__ takes (*args, **kwargs); without this, help(cls) and
            # inspect.signature(cls) would show that instead of the parameters.
            "__signature__": init_signature.replace(
                parameters=list(init_signature.parameters.values())[1:]
            ),
        },
    )
    _CLASSES_BY_TOKEN[spec.token] = cls
    return cls


def _docstring(spec: SpecDefinition) -> str:
    kind = "Sequential" if spec.kind == "sequential" else "Functional"
    lines = [
        f"{kind} Keras {spec.mode} model generated by kerasnip from layer blocks "
        f"{list(spec.blocks)}.",
        "",
    ]
    if spec.description:
        lines += [spec.description, ""]
    # A plain paragraph, not a section: numpydoc (used by scikit-learn's HTML repr)
    # warns about sections it does not know.
    lines += ["Blocks:", ""]
    for name, info in spec.blocks.items():
        fn = getattr(info.function, "__name__", repr(info.function))
        hyper = ", ".join(f"{a}={p.default!r}" for a, p in info.hyperparameters.items())
        injected = f"; injected: {', '.join(info.injected)}" if info.injected else ""
        lines.append(f"{name} : {fn}({hyper or 'no hyperparameters'}){injected}")
    lines += ["", "Parameters", "----------"]
    for p in spec.parameters:
        lines.append(f"{p.name} : default={p.default!r}")
        lines.append(textwrap.indent(_describe(p), "    "))
    lines += [
        "",
        "Notes",
        "-----",
        f"The arguments {', '.join(INJECTED_ARGS)} are filled from the data when a block "
        "declares them. All parameters are keyword-only and tunable.",
    ]
    return "\n".join(lines)


def _describe(p: ParamInfo) -> str:
    if p.role == "num":
        return f"How many times block {p.block!r} is applied (0 removes it)."
    if p.role == "block":
        return f"Argument {p.arg!r} of block {p.block!r} (every repeat)."
    if p.role == "learn_rate":
        return "Learning rate for an optimizer given by name; None keeps its own default."
    if p.role == "compile":
        return f"Passed to keras.Model.compile({p.arg}=...); None uses kerasnip's default."
    if p.role == "fit":
        return f"Passed to keras.Model.fit({p.arg}=...); None uses Keras's default."
    if p.role == "random_state":
        return "Seed for weights, shuffling and dropout; same seed, same predictions."
    return "Keras progress output during fit (0 silent, 1 progress bar, 2 one line per epoch)."


# --------------------------------------------------------------------------- registry


def model_exists(name: str) -> bool:
    """Whether a spec named ``name`` is registered.

    Parameters
    ----------
    name : str
        The ``model_name`` given to a spec factory.

    Returns
    -------
    bool
    """
    return name in _REGISTRY


def get_spec(name: str) -> type:
    """The registered estimator class called ``name``.

    Parameters
    ----------
    name : str
        The ``model_name`` given to a spec factory.

    Returns
    -------
    type
        The generated estimator class.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"No kerasnip spec named {name!r}.{did_you_mean(name, _REGISTRY)} "
            f"Registered: {format_choices(_REGISTRY) or 'none'}."
        ) from None


def remove_keras_spec(name: str) -> bool:
    """Unregister the spec called ``name``.

    Parameters
    ----------
    name : str
        The ``model_name`` given to a spec factory.

    Returns
    -------
    bool
        True if a spec was removed, False if none had that name.
    """
    return _REGISTRY.pop(name, None) is not None


def registered_spec(name: str) -> type:
    """Look up by name for ``kerasnip.specs`` attribute access (used by cloudpickle)."""
    return _REGISTRY[name]
