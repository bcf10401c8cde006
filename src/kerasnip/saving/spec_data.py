"""A spec definition as data: blocks by import path, and stand-ins that import them late.

A ``.kerasnip`` file records each block function by its import path
(``module:qualname``), never by value. Loading gives every block a
:class:`SavedBlock`, which imports the function only when a model is built.
"""

from __future__ import annotations

import inspect
import uuid
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import numpy as np

from kerasnip.definition.blocks import BlockInfo, inp_spec
from kerasnip.definition.spec import SpecDefinition
from kerasnip.errors import BlockImportError, LoadError
from kerasnip.saving import names
from kerasnip.saving.codec import NotData, decode, encode


def block_import_path(function: Any) -> str | None:
    """``"module:qualname"`` of a block function, or ``None`` when it has no such path."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not module or not qualname:
        return None
    return f"{module}:{qualname}"


def recorded_block(function: Any) -> tuple[str | None, dict[str, str] | None]:
    """How a file records a block: its import path and its ``inp_spec`` renaming.

    Parameters
    ----------
    function : callable
        A block function, an :class:`~kerasnip.inp_spec` around one, or the
        :class:`SavedBlock` of a loaded estimator.

    Returns
    -------
    path : str or None
        ``"module:qualname"``, or None for a function without one.
    mapping : dict or None
        The ``inp_spec`` renaming, if any.
    """
    if isinstance(function, SavedBlock):  # saved again after loading
        return function.import_path, function.mapping
    if isinstance(function, inp_spec):
        return block_import_path(function.block), function.mapping
    return block_import_path(function), None


def is_plain_data(value: Any) -> bool:
    """Whether ``value`` is JSON-like data: numbers, strings, None, and lists, tuples and
    string-keyed dicts of them (what a block hyperparameter read from a file may be).

    Parameters
    ----------
    value : object
        Any value.

    Returns
    -------
    bool
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, np.generic):
        return value.dtype.kind in "biuf"
    if isinstance(value, (list, tuple)):
        return all(is_plain_data(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and is_plain_data(item) for key, item in value.items())
    return False


def spec_to_data(spec: SpecDefinition) -> dict[str, Any]:
    """A spec definition as JSON data: blocks by import path, defaults encoded."""
    blocks = []
    for name, info in spec.blocks.items():
        path, mapping = recorded_block(info.function)
        defaults, dropped = encode_values(info.defaults())
        if dropped:
            warnings.warn(
                f"Block {name!r} has defaults that are not data ({dropped}); the loaded "
                "estimator shows None for them.", UserWarning, stacklevel=4,
            )
            defaults.update(dict.fromkeys(dropped))
        blocks.append({
            "name": name,
            "function": path,
            "inp_spec": mapping,
            "inputs": list(info.inputs),
            "upstream": dict(info.upstream),
            "injected": list(info.injected),
            "hyperparameters": defaults,
        })
    return {
        "model_name": spec.model_name,
        "kind": spec.kind,
        "mode": spec.mode,
        "description": spec.description,
        "token": spec.token,
        "blocks": blocks,
        "parameters": [
            {"name": p.name, "role": p.role, "block": p.block, "arg": p.arg}
            for p in spec.parameters
        ],
    }


def encode_values(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Encode each value; those that are not data are left out and reported by repr."""
    encoded: dict[str, Any] = {}
    dropped: dict[str, str] = {}
    for name, value in values.items():
        try:
            encoded[name] = encode(value)
        except NotData:
            dropped[name] = repr(value)
    return encoded, dropped


class SavedBlock:
    """A loaded estimator's block: its import path, imported only when a model is built.

    Loading never imports block modules (importing runs their code); refitting
    does, and raises :class:`BlockImportError` naming the block if it cannot.

    Parameters
    ----------
    block : str
        The block's name in the spec.
    import_path : str or None
        ``"module:qualname"`` recorded when the estimator was saved.
    mapping : dict, default=None
        The :func:`kerasnip.inp_spec` renaming the block was wrapped in.
    """

    def __init__(self, block: str, import_path: str | None,
                 mapping: Mapping[str, str] | None = None):
        self.block = block
        self.import_path = import_path
        self.mapping = None if mapping is None else dict(mapping)
        self.__name__ = (import_path or block).rpartition(".")[2].rpartition(":")[2]

    def resolve(self) -> Callable[..., Any]:
        """Import the block function (wrapped in its ``inp_spec`` if it had one)."""
        if not self.import_path:
            self._fail("it was not a module-level function, so it has no import path")
        qualname = self.import_path.partition(":")[2]
        if "<locals>" in qualname or "<lambda>" in qualname:
            self._fail("it was defined inside a function or as a lambda, so it cannot be "
                       "imported")
        try:
            # A block of kerasnip's own that has moved since the file was written
            # resolves through its stable name.
            target = names.resolve(self.import_path)
        except (ImportError, AttributeError) as exc:
            self._fail(f"importing it failed with {type(exc).__name__}: {exc}")
        return target if self.mapping is None else inp_spec(target, self.mapping)

    def _fail(self, reason: str) -> NoReturn:
        raise BlockImportError(
            f"Block {self.block!r} of this loaded estimator is {self.import_path!r}, but "
            f"{reason}. Refitting needs the block functions: make that module importable "
            "(or create the spec again and fit that). Predicting, evaluating and "
            "partial_fit work without them."
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"SavedBlock({self.block!r}, {self.import_path!r})"


def spec_from_data(data: Mapping[str, Any]) -> SpecDefinition:
    """A :class:`SpecDefinition` whose blocks are :class:`SavedBlock` stand-ins."""
    blocks = {}
    for block in data["blocks"]:
        name = block["name"]
        hyper = {}
        for arg, default in block["hyperparameters"].items():
            value = decode(default)
            if not is_plain_data(value):
                # Hyperparameters become keyword arguments of the block function.
                raise LoadError(
                    f"block {name!r}'s hyperparameter {arg!r} is a {type(value).__name__}; "
                    "a file's block hyperparameters may only be numbers, strings, None and "
                    "lists or dicts of them.")
            hyper[arg] = inspect.Parameter(arg, inspect.Parameter.KEYWORD_ONLY, default=value)
        blocks[name] = BlockInfo(
            name,
            SavedBlock(name, block["function"], block["inp_spec"]),
            tuple(block["inputs"]),
            dict(block["upstream"]),
            tuple(block["injected"]),
            hyper,
        )
    # A fresh token: the saved one may belong to a live class with the real functions.
    return SpecDefinition(data["model_name"], data["kind"], data["mode"], blocks,
                          data["description"], token=uuid.uuid4().hex)
