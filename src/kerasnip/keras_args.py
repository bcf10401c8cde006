"""Discover the ``compile_*`` and ``fit_*`` parameters from the installed Keras.

Reading the signatures of ``keras.Model.compile`` and ``keras.Model.fit`` at
spec creation means a new Keras argument becomes a kerasnip parameter without
a kerasnip release.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

# Data arguments are supplied by ``fit`` itself; ``verbose`` is the
# estimator's own top-level parameter.
_FIT_EXCLUDED = frozenset({"self", "x", "y", "sample_weight", "verbose"})
_COMPILE_EXCLUDED = frozenset({"self"})


def _arguments(method: Callable[..., Any], excluded: frozenset[str]) -> tuple[str, ...]:
    return tuple(
        name
        for name, p in inspect.signature(method).parameters.items()
        if name not in excluded and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )


@functools.cache
def compile_arguments() -> tuple[str, ...]:
    """Argument names of ``keras.Model.compile`` (``optimizer``, ``loss``, ...)."""
    import keras

    return _arguments(keras.Model.compile, _COMPILE_EXCLUDED)


@functools.cache
def fit_arguments() -> tuple[str, ...]:
    """Argument names of ``keras.Model.fit`` other than the data and ``verbose``."""
    import keras

    return _arguments(keras.Model.fit, _FIT_EXCLUDED)
