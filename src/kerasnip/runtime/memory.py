"""Freeing dead Keras models without a full garbage collection at every fit.

Keras models are reference cycles that only a full collection frees, and a
full collection takes a few tenths of a second once Keras and JAX are loaded:
more than a whole small fit. kerasnip collects once resident memory has grown
by ``KERASNIP_GC_MB`` (default 32 MiB) since the last collection.
"""

from __future__ import annotations

import gc
import os
import sys

from kerasnip import config

# Resident memory after the last full collection kerasnip ran, and the multiple
# of KERASNIP_GC_MB it may grow by before the next one.
_collection = {"rss": -float("inf"), "backoff": 1}
# A collection that finds fewer unreachable objects than this (a small Keras
# model alone is thousands) freed no model: the memory grew for other reasons.
_WORTHWHILE = 1000


def _rss_mb() -> float | None:
    """Resident memory in MiB: current on Linux, the peak elsewhere, ``None`` if unknown."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def collect_garbage() -> None:
    """A full garbage collection, when memory has grown enough since the last one.

    Enough is ``KERASNIP_GC_MB``, doubled after each collection that found
    next to no garbage (up to 64 times): memory that grows because of the
    user's data, not dead models, does not make every fit pay for a
    collection.
    """
    growth = _collection["backoff"] * config.garbage_collection_mb()
    rss = _rss_mb()
    if rss is None or rss - _collection["rss"] >= growth:
        found = gc.collect()
        _collection["backoff"] = 1 if found >= _WORTHWHILE else min(2 * _collection["backoff"], 64)
        _collection["rss"] = _rss_mb() or 0.0


def clear_session() -> None:
    """Keras's ``clear_session`` without a full garbage collection at every call.

    ``keras.backend.clear_session()`` ends with ``gc.collect()``, which takes
    a few tenths of a second once Keras and JAX are loaded: more than a whole
    small fit. Old models are reference cycles that only a full collection
    frees, so one runs here once resident memory has grown by
    ``KERASNIP_GC_MB`` (32 MiB) since the last (see :func:`collect_garbage`):
    that bounds the memory dead models hold, at the cost of one collection per
    several new models.
    """
    import keras

    keras.backend.clear_session(free_memory=False)
    collect_garbage()
