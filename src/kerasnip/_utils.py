"""Small helpers shared by several modules: typo hints, NumPy scalars, crash-safe writes."""

from __future__ import annotations

import contextlib
import difflib
import os
import tempfile
from collections.abc import Iterable, Iterator
from numbers import Integral
from pathlib import Path
from typing import IO, Any

import numpy as np

#: Suffix of the temporary file a write goes to before it is renamed into place.
PARTIAL_SUFFIX = ".partial"


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Return a ``" Did you mean 'x'?"`` suffix for an unknown ``name``, or ``""``."""
    # Choices gathered from several places may repeat a name; suggest it once.
    matches = difflib.get_close_matches(str(name), list(dict.fromkeys(choices)), n=n,
                                        cutoff=0.6)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"


def python_scalar(value: Any) -> Any:
    """NumPy scalars in ``value`` (alone or in a list or tuple) as Python numbers.

    Keras layers refuse ``np.int64`` units, which grids read from arrays or
    DataFrames are made of.
    """
    if isinstance(value, np.generic):
        return value.item()
    if type(value) in (list, tuple):
        return type(value)(python_scalar(v) for v in value)
    return value


def check_integers(**bounds: tuple[Any, int]) -> None:
    """Raise ``ValueError`` for an argument that is not an integer of at least its bound.

    Parameters
    ----------
    **bounds : (value, least)
        The argument's value and smallest allowed value, by argument name.

    Examples
    --------
    >>> check_integers(burn_in=(3, 2))
    >>> check_integers(burn_in=(1, 2))
    Traceback (most recent call last):
    ...
    ValueError: burn_in must be an integer of at least 2, got 1.
    """
    for name, (value, least) in bounds.items():
        if not isinstance(value, Integral) or isinstance(value, bool) or value < least:
            raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}.")


def error_message(exc: BaseException) -> str:
    """``"ExceptionType: message"``, as tuning records a failure."""
    return f"{type(exc).__name__}: {exc}"


def format_choices(choices: Iterable[str], limit: int = 12) -> str:
    """A short, sorted, comma-separated rendering of ``choices``."""
    items = sorted(choices)
    shown = ", ".join(repr(c) for c in items[:limit])
    if len(items) > limit:
        shown += f", … ({len(items) - limit} more)"
    return shown


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a binary stream whose content replaces ``path`` only once complete.

    The bytes go to a hidden ``.{name}.*.partial`` file in the same folder,
    are flushed to disk and renamed over ``path``: a reader (or a rerun after a
    kill) sees the old file or the whole new one, never half of it, and the
    temporary name matches no pattern of the finished files.
    """
    target = Path(path)
    if not target.parent.is_dir():
        # mkstemp would name its temporary file, not the folder that is missing.
        raise FileNotFoundError(f"Cannot save to '{target}': the folder '{target.parent}' "
                                "does not exist; create it first.")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX,
                                         dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            # mkstemp makes the file private (0600); give it the mode open() would.
            os.chmod(temporary, 0o666 & ~_umask())
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
