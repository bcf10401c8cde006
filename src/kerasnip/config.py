"""Process-wide settings: the default Keras backend and JAX's compilation cache.

kerasnip picks JAX as the Keras backend when the configured one is not
installed (Keras defaults to TensorFlow), because JAX trains small models
fastest on CPU. JAX's persistent compilation cache is switched on
the first time a model is fitted so a repeated architecture skips XLA
compilation across processes; set ``KERASNIP_JAX_CACHE=0`` to keep it off, or
``KERASNIP_JAX_CACHE=/some/dir`` to choose the folder. Compiled models are
reused across fits of one configuration (:mod:`kerasnip.runtime.pool`);
``KERASNIP_REUSE=0`` turns that off and ``KERASNIP_REUSE_POOL`` sizes the pool
of idle models; ``KERASNIP_GC_MB`` sets how much memory may grow between the
full garbage collections that free old models.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

_cache_configured = False


def choose_default_backend() -> None:
    """Select a Keras backend when the configured one cannot be used.

    Keras falls back to TensorFlow (and writes that into ``~/.keras/keras.json``
    on first import). When neither ``KERAS_BACKEND`` nor an installed
    configured backend is available, pick JAX, else torch, so ``import
    kerasnip`` works after ``pip install kerasnip[jax]``.
    """
    if "keras" in sys.modules or os.environ.get("KERAS_BACKEND"):
        return
    configured = _configured_backend()
    # Each Keras backend is named after the module it imports.
    if configured and importlib.util.find_spec(configured):
        return
    for candidate in ("jax", "torch", "tensorflow"):
        if importlib.util.find_spec(candidate):
            os.environ["KERAS_BACKEND"] = candidate
            return


def _configured_backend() -> str | None:
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    try:
        return json.loads((keras_home / "keras.json").read_text()).get("backend")
    except (OSError, ValueError):
        return None


def jax_cache_dir() -> Path | None:
    """The persistent compilation cache folder, or ``None`` when disabled."""
    setting = os.environ.get("KERASNIP_JAX_CACHE", "1")
    if setting.lower() in {"0", "false", "off", "no", ""}:
        return None
    if setting.lower() in {"1", "true", "on", "yes"}:
        base = os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")
        return Path(base) / "kerasnip" / "jax"
    return Path(setting)


def enable_jax_compilation_cache() -> None:
    """Turn on JAX's persistent compilation cache once per process (JAX backend only)."""
    global _cache_configured
    if _cache_configured:
        return
    _cache_configured = True
    import keras

    if keras.backend.backend() != "jax":
        return
    folder = jax_cache_dir()
    if folder is None:
        return
    import jax

    if jax.config.jax_compilation_cache_dir:  # type: ignore[attr-defined]  # set by the user
        return
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # Small models compile in well under a second; cache them anyway.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


_OFF = frozenset({"0", "false", "off", "no"})


def model_reuse_enabled() -> bool:
    """Whether refits reuse compiled models (``KERASNIP_REUSE=0`` turns it off).

    See :mod:`kerasnip.runtime.pool`.
    """
    return os.environ.get("KERASNIP_REUSE", "1").lower() not in _OFF


def engine_enabled() -> bool:
    """Whether tuning trains folds as one compiled program (``KERASNIP_ENGINE=0`` turns it off).

    See :mod:`kerasnip.runtime.engine`.
    """
    return os.environ.get("KERASNIP_ENGINE", "1").lower() not in _OFF


def model_reuse_pool_size() -> int:
    """How many idle compiled models to keep for other estimators (``KERASNIP_REUSE_POOL``)."""
    setting = os.environ.get("KERASNIP_REUSE_POOL", "4")
    try:
        size = int(setting)
    except ValueError:
        raise ValueError(
            f"KERASNIP_REUSE_POOL must be a whole number of models, got {setting!r}."
        ) from None
    return max(size, 0)


def garbage_collection_mb() -> float:
    """Resident-memory growth (MiB) that triggers a full garbage collection (``KERASNIP_GC_MB``).

    Keras frees old models only in a full collection, which takes a few tenths
    of a second; kerasnip runs one when memory has grown this much since the
    last (default 32). ``0`` collects before every new model, as
    ``keras.backend.clear_session()`` does.
    """
    setting = os.environ.get("KERASNIP_GC_MB", "32")
    try:
        value = float(setting)
    except ValueError:
        raise ValueError(f"KERASNIP_GC_MB must be a number of MiB, got {setting!r}.") from None
    return max(value, 0.0)
