"""Block introspection: what a layer-block function takes, and what kerasnip injects.

A block is a plain function. Its first argument (sequential specs) or its
upstream arguments (functional specs) carry the model or tensors; the
arguments named in :data:`INJECTED_ARGS` are filled in from the data; every
other argument is a hyperparameter and must have a default.
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kerasnip._utils import did_you_mean
from kerasnip.errors import BlockError

INJECTED_ARGS = ("input_shape", "num_classes", "num_outputs")
# Block names that would make generated parameter names ambiguous with the
# spec's own ``compile_*``, ``fit_*``, ``learn_rate``, ``random_state`` and
# ``verbose`` parameters.
RESERVED_BLOCK_NAMES = ("compile", "fit", "learn", "random", "verbose", "num")


@dataclass(frozen=True)
class BlockInfo:
    """What kerasnip knows about one layer block.

    Attributes
    ----------
    name : str
        The block's key in ``layer_blocks``.
    function : callable
        The block function itself.
    inputs : tuple of str
        Arguments that receive the model (sequential) or upstream tensors
        (functional), in call order.
    upstream : dict
        Functional specs only: input argument -> upstream block name.
    injected : tuple of str
        Arguments filled from the data (``input_shape``, ``num_classes``, ...).
    hyperparameters : dict
        Argument name -> :class:`inspect.Parameter` (default and annotation).
    """

    name: str
    function: Callable
    inputs: tuple[str, ...]
    upstream: dict[str, str] = field(default_factory=dict)
    injected: tuple[str, ...] = ()
    hyperparameters: dict[str, inspect.Parameter] = field(default_factory=dict)

    def defaults(self) -> dict[str, Any]:
        """Hyperparameter name -> the block's own default."""
        return {arg: p.default for arg, p in self.hyperparameters.items()}


def check_block_name(name: object) -> str:
    """Validate a block name: a Python identifier that is not reserved."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise BlockError(
            f"Block name {name!r} is not a valid Python identifier; block names become "
            "parameter names (e.g. 'num_hidden', 'hidden_units'), so use letters, digits "
            "and underscores, not starting with a digit."
        )
    if name in RESERVED_BLOCK_NAMES:
        raise BlockError(
            f"Block name {name!r} is reserved: it would clash with kerasnip's own "
            f"parameters ({', '.join(n + '_*' for n in RESERVED_BLOCK_NAMES)}). "
            "Rename the block."
        )
    return name


def block_signature(name: str, function: object) -> inspect.Signature:
    """The signature of a block (string annotations evaluated), with a clear error for
    non-callables."""
    if not callable(function):
        raise BlockError(
            f"Block {name!r} must be a function (or other callable), got "
            f"{type(function).__name__}: {function!r}."
        )
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as exc:
        raise BlockError(f"Cannot read the signature of block {name!r}: {exc}") from exc
    try:
        # ``from __future__ import annotations`` leaves annotations as source text;
        # evaluated where the block was defined, a range such as ``kerasnip.Int(8, 32)``
        # becomes the object tuning reads.
        return inspect.signature(function, eval_str=True)
    except Exception:  # an annotation that does not evaluate here: keep it as text
        return signature


def split_parameters(
    name: str, signature: inspect.Signature, inputs: tuple[str, ...]
) -> tuple[tuple[str, ...], dict[str, inspect.Parameter]]:
    """Split a block's non-input arguments into injected ones and hyperparameters."""
    injected: list[str] = []
    hyper: dict[str, inspect.Parameter] = {}
    for arg, param in signature.parameters.items():
        if arg in inputs:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            stars = "*" if param.kind is param.VAR_POSITIONAL else "**"
            raise BlockError(
                f"Block {name!r} takes {stars}{arg}; list each hyperparameter as a "
                "named argument with a default so kerasnip can expose and tune it."
            )
        if arg in INJECTED_ARGS:
            injected.append(arg)
            continue
        if param.default is inspect.Parameter.empty:
            raise BlockError(
                f"Argument {arg!r} of block {name!r} has no default. Every block argument "
                f"other than its input(s) {list(inputs)} and the injected "
                f"{list(INJECTED_ARGS)} is a hyperparameter and needs a default, "
                f"e.g. `def {getattr(signature, '__name__', name)}(..., {arg}=...)`."
            )
        hyper[arg] = param
    return tuple(injected), hyper


def inspect_sequential_block(name: str, function: Callable[..., Any]) -> BlockInfo:
    """Introspect a sequential block ``block(model, **hyperparameters) -> model``."""
    check_block_name(name)
    signature = block_signature(name, function)
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    # A first argument with a real default (units=32) is a hyperparameter, so the
    # block forgot the model; `model=None` is fine.
    if (not positional or positional[0].name in INJECTED_ARGS
            or (positional[0].default is not None
                and positional[0].default is not inspect.Parameter.empty)):
        raise BlockError(
            f"Sequential block {name!r} must take the model as its first argument, "
            f"e.g. `def {name}(model, units=32): ...` (the first block gets model=None "
            "and creates the keras.Sequential)."
        )
    model_arg = positional[0].name
    injected, hyper = split_parameters(name, signature, (model_arg,))
    return BlockInfo(name, function, (model_arg,), {}, injected, hyper)


def inspect_functional_block(name: str, function: Callable[..., Any],
                             block_names: list[str]) -> BlockInfo:
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


class inp_spec:  # lowercase like the R function users know
    """Rename a functional block's input arguments to wire it to upstream blocks.

    Parameters
    ----------
    block : callable
        A functional layer block.
    mapping : str or dict
        A string renames the block's first argument to that upstream block
        name; a dict maps ``{argument: upstream_block}`` for several inputs.

    Examples
    --------
    The block reads its input from the block called ``input_a``; its
    hyperparameters are unchanged:

    >>> import inspect
    >>> import keras
    >>> def dense(tensor, units=16):
    ...     return keras.layers.Dense(units)(tensor)
    >>> path_a = kerasnip.inp_spec(dense, "input_a")
    >>> path_a
    inp_spec(dense, {'tensor': 'input_a'})
    >>> inspect.signature(path_a)
    <Signature (input_a, units=16)>

    A join of two upstream blocks:

    >>> def concat(x, y):
    ...     return keras.layers.Concatenate()([x, y])
    >>> inspect.signature(kerasnip.inp_spec(concat, {"x": "path_a", "y": "path_b"}))
    <Signature (path_a, path_b)>
    """

    def __init__(self, block: Callable, mapping: str | Mapping[str, str]):
        signature = block_signature(getattr(block, "__name__", "block"), block)
        params = list(signature.parameters)
        if isinstance(mapping, str):
            if not params:
                raise BlockError("inp_spec() needs a block that takes at least one argument.")
            mapping = {params[0]: mapping}
        if not isinstance(mapping, Mapping):
            raise BlockError(
                f"inp_spec() takes an upstream block name (str) or a dict "
                f"{{argument: upstream_block}}, got {type(mapping).__name__}: {mapping!r}."
            )
        mapping = dict(mapping)
        unknown = [arg for arg in mapping if arg not in params]
        if unknown:
            hints = "".join(did_you_mean(arg, params) for arg in unknown)
            if all(mapping[arg] in params for arg in unknown):
                # R's inp_spec takes c(upstream = "argument"); ours is the other way round.
                hints += " The map is {argument: upstream_block}; it looks swapped."
            raise BlockError(
                f"inp_spec() maps argument(s) {unknown} that block "
                f"{getattr(block, '__name__', block)!r} does not have; its arguments are "
                f"{params}.{hints}"
            )
        renamed = [mapping.get(p, p) for p in params]
        clashes = sorted({n for n in renamed if renamed.count(n) > 1 or not isinstance(n, str)},
                         key=str)
        if clashes:
            raise BlockError(
                f"inp_spec() would give block {getattr(block, '__name__', block)!r} the "
                f"argument names {renamed}; {clashes} must be distinct strings (upstream "
                "block names that no other argument of the block already uses)."
            )
        self.block = block
        self.mapping = mapping
        self.__name__ = getattr(block, "__name__", "block")
        self.__doc__ = getattr(block, "__doc__", None)
        self.__signature__ = signature.replace(
            parameters=[
                p.replace(name=mapping.get(p.name, p.name)) for p in signature.parameters.values()
            ]
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        reverse = {new: old for old, new in self.mapping.items()}
        return self.block(*args, **{reverse.get(k, k): v for k, v in kwargs.items()})

    def __repr__(self) -> str:
        return f"inp_spec({self.__name__}, {self.mapping!r})"
