"""Stable names for the classes and functions that saved files and pickles refer to.

A ``.kerasnip`` file names kerasnip's own data classes, and a pickle names
every class and function it holds by ``module.qualname``. Those names are a
promise to every file already written: moving a class inside the package must
not break them. :data:`STABLE_NAMES` maps each such name to where the object
lives now; the file format writes and reads the stable names, and
:func:`install_legacy_modules` lets pickles written before a move find their
modules (it serves the old module names that no longer exist, and only
those).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

#: Stable name (``module:qualname`` as files and pickles of kerasnip 0.1 name it)
#: -> where the object lives now. Add a line here when such an object moves.
STABLE_NAMES = {
    # Fitted state kept in .kerasnip files (codec dataclasses) and in pickles.
    "kerasnip.data:ClassEncoder": "kerasnip.encoding.targets:ClassEncoder",
    "kerasnip.multi_io:Head": "kerasnip.encoding.targets:Head",
    "kerasnip.intervals:HeadPosterior": "kerasnip.intervals:HeadPosterior",
    "kerasnip.intervals:LaplaceApproximation": "kerasnip.intervals:LaplaceApproximation",
    # What a pickled generated class is rebuilt from.
    "kerasnip.spec:_rebuild_spec_class": "kerasnip.factory:_rebuild_spec_class",
    "kerasnip.spec:SpecDefinition": "kerasnip.definition.spec:SpecDefinition",
    "kerasnip.spec:ParamInfo": "kerasnip.definition.spec:ParamInfo",
    "kerasnip.blocks:BlockInfo": "kerasnip.definition.blocks:BlockInfo",
    "kerasnip.blocks:inp_spec": "kerasnip.definition.blocks:inp_spec",
    "kerasnip.persistence:SavedBlock": "kerasnip.saving.spec_data:SavedBlock",
    "kerasnip.tuning.markers:tune": "kerasnip.markers:tune",
    # The demo's blocks, which files record by import path.
    "kerasnip.demo_functional:input_block": "kerasnip.demo.functional:input_block",
    "kerasnip.demo_functional:path_block": "kerasnip.demo.functional:path_block",
    "kerasnip.demo_functional:concat_block": "kerasnip.demo.functional:concat_block",
    "kerasnip.demo_functional:output_block": "kerasnip.demo.functional:output_block",
    # The library's base classes, pickled by reference.
    "kerasnip.estimator:KerasEstimator": "kerasnip.estimators.base:KerasEstimator",
    "kerasnip.estimator:KerasClassifier": "kerasnip.estimators.sequential:KerasClassifier",
    "kerasnip.estimator:KerasRegressor": "kerasnip.estimators.sequential:KerasRegressor",
    "kerasnip.multi_io:FunctionalClassifier":
        "kerasnip.estimators.functional:FunctionalClassifier",
    "kerasnip.multi_io:FunctionalRegressor":
        "kerasnip.estimators.functional:FunctionalRegressor",
}

_CURRENT = {current: stable for stable, current in STABLE_NAMES.items()}


def resolve(name: str) -> Any:
    """The object a stable (or current) ``module:qualname`` refers to.

    Parameters
    ----------
    name : str
        A key of :data:`STABLE_NAMES`, or a current location.

    Returns
    -------
    object
    """
    module, _, qualname = STABLE_NAMES.get(name, name).partition(":")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def stable_name(cls: type) -> str:
    """The stable name of a class that files refer to (its current location otherwise).

    Parameters
    ----------
    cls : type
        A class.

    Returns
    -------
    str
        ``module:qualname``.
    """
    current = f"{cls.__module__}:{cls.__qualname__}"
    return _CURRENT.get(current, current)


_LEGACY_MODULES = frozenset(name.partition(":")[0] for name in STABLE_NAMES) - frozenset(
    name.partition(":")[0] for name in STABLE_NAMES.values())


class _LegacyModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves a module that has moved away as a stand-in whose attributes are the
    objects' new homes. Consulted after the normal finders, so it never hides a
    real module."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in _LEGACY_MODULES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(spec.name, f"Moved: the stable names of {spec.name}.")

        def __getattr__(attribute: str) -> Any:
            stable = f"{spec.name}:{attribute}"
            if stable not in STABLE_NAMES:
                raise AttributeError(f"module {spec.name!r} (moved) has no {attribute!r}")
            return resolve(stable)

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: attributes resolve on access."""


def install_legacy_modules() -> None:
    """Let pickles written before a module moved import its old name (once per process)."""
    if not any(isinstance(finder, _LegacyModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(_LegacyModuleFinder())
