"""Small helpers shared by several modules: typo hints and name checks."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Return a ``" Did you mean 'x'?"`` suffix for an unknown ``name``, or ``""``."""
    matches = difflib.get_close_matches(str(name), list(choices), n=n, cutoff=0.6)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"


def format_choices(choices: Iterable[str], limit: int = 12) -> str:
    """A short, sorted, comma-separated rendering of ``choices``."""
    items = sorted(choices)
    shown = ", ".join(repr(c) for c in items[:limit])
    if len(items) > limit:
        shown += f", … ({len(items) - limit} more)"
    return shown
