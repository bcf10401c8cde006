"""A Keras model as ``.keras`` bytes and back, with kerasnip's registered objects.

Used by pickling (``KerasEstimator.__getstate__``) and by the ``.kerasnip``
file format alike.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kerasnip import registry


def custom_objects() -> dict[str, Any]:
    """Registered optimizers, losses and metrics, keyed as Keras configs name them.

    A function or class is known to Keras by its ``__name__``, an instance
    (e.g. a ``keras.losses.Loss`` object) by its class name, which must map to
    the class.
    """
    objects: dict[str, Any] = {}
    for table in registry.tables().values():
        for name, obj in table.items():
            objects[name] = obj
            objects[keras_name(obj)] = keras_object(obj)
    return objects


def keras_object(obj: Any) -> Any:
    """What Keras deserialises ``obj`` from: itself for functions and classes, else its class."""
    return obj if inspect.isroutine(obj) or isinstance(obj, type) else type(obj)


def keras_name(obj: Any) -> str:
    """The name Keras's config records for ``obj``."""
    return keras_object(obj).__name__


def model_to_bytes(model: Any) -> bytes:
    """Serialise a Keras model (architecture, weights, optimizer state) to ``.keras`` bytes.

    Parameters
    ----------
    model : keras.Model
        The model to serialise.

    Returns
    -------
    bytes
        The content of a ``.keras`` file.
    """
    with tempfile.TemporaryDirectory(prefix="kerasnip-") as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def random_state_values(model: Any) -> list[Any]:
    """The values of ``model``'s random-seed state (e.g. each dropout layer's seed generator).

    A ``.keras`` file keeps the weights and the optimizer but not these, so a
    model read back would draw the dropout masks of its first steps again.
    Pickles keep them alongside the bytes, so that an unpickled model
    continues training as the original would have.

    Parameters
    ----------
    model : keras.Model

    Returns
    -------
    list of ndarray
        One value per state variable, in the order of ``model.variables``.
    """
    import keras

    weights = {id(v) for v in model.weights}
    return [keras.ops.convert_to_numpy(v) for v in model.variables if id(v) not in weights]


def set_random_state_values(model: Any, values: list[Any]) -> None:
    """Give ``model`` back the random-seed state :func:`random_state_values` read.

    Parameters
    ----------
    model : keras.Model
    values : list of ndarray
    """
    weights = {id(v) for v in model.weights}
    for variable, value in zip([v for v in model.variables if id(v) not in weights], values,
                               strict=True):
        variable.assign(value)


def model_from_bytes(payload: bytes, *, safe_mode: bool = False,
                     objects: Mapping[str, Any] | None = None) -> Any:
    """Load a Keras model from ``.keras`` bytes written by :func:`model_to_bytes`.

    Pickles already execute arbitrary code on load, so ``safe_mode`` is off
    by default here; :func:`load` keeps Keras's safe mode on.

    Parameters
    ----------
    payload : bytes
        The content of a ``.keras`` file.
    safe_mode : bool, default=False
        Keras's safe mode (refuses to deserialise Python code such as
        ``Lambda`` layers).
    objects : dict, default=None
        Custom objects by name; defaults to :func:`custom_objects`.

    Returns
    -------
    keras.Model
    """
    import keras

    with tempfile.TemporaryDirectory(prefix="kerasnip-") as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(payload)
        return keras.saving.load_model(
            path, custom_objects=custom_objects() if objects is None else dict(objects),
            safe_mode=safe_mode,
        )
