"""Persistence: Keras models as ``.keras`` bytes for pickling."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any


def custom_objects() -> dict[str, Any]:
    """Registered optimizers, losses and metrics, by name, for deserialisation."""
    from kerasnip import registry

    objects: dict[str, Any] = {}
    for table in (registry.registered_optimizers(), registry.registered_losses(),
                  registry.registered_metrics()):
        for name, obj in table.items():
            objects[name] = obj
            objects[getattr(obj, "__name__", name)] = obj
    return objects


def model_to_bytes(model: Any) -> bytes:
    """Serialise a Keras model (architecture, weights, optimizer state) to ``.keras`` bytes."""
    with tempfile.TemporaryDirectory(prefix="kerasnip-") as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def model_from_bytes(payload: bytes, *, safe_mode: bool = False) -> Any:
    """Load a Keras model from ``.keras`` bytes written by :func:`model_to_bytes`.

    Pickles already execute arbitrary code on load, so ``safe_mode`` is off
    here; :func:`kerasnip.load` keeps Keras's safe mode on.
    """
    import keras

    with tempfile.TemporaryDirectory(prefix="kerasnip-") as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(payload)
        return keras.saving.load_model(path, custom_objects=custom_objects(),
                                       safe_mode=safe_mode)
