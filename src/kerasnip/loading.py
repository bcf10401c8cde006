"""``kerasnip.load``: a ``.kerasnip`` file back into a fitted estimator.

Nothing in the file is unpickled and no module it names is imported; the
Keras model is loaded in Keras's safe mode. The estimator's class is the live
one it was saved from when this process still has it, else one the factory
rebuilds from the saved spec, whose blocks import their functions only when a
model is built (:class:`~kerasnip.saving.spec_data.SavedBlock`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from kerasnip import factory
from kerasnip.errors import LoadError
from kerasnip.saving.archive import PathOrFile, objects_for, read_archive
from kerasnip.saving.codec import decode
from kerasnip.saving.keras_bytes import model_from_bytes
from kerasnip.saving.spec_data import spec_from_data


def load(path: PathOrFile, *, safe_mode: bool = True) -> Any:
    """Load an estimator written by :meth:`KerasEstimator.save`.

    Nothing in the file is unpickled and no module it names is imported; the
    Keras model is loaded in Keras's safe mode. The block functions are not
    needed to predict, evaluate, ``partial_fit`` or plot; a new ``fit``
    imports them by the paths recorded at save time.

    Parameters
    ----------
    path : str, path-like or binary file object
        The saved file.
    safe_mode : bool, default=True
        Keras's safe mode. Turn it off only for a file you trust whose model
        has ``Lambda`` layers (their Python code would then run).

    Returns
    -------
    estimator
        The fitted estimator, of the class it was saved from when that class
        still exists in this process, else of a class rebuilt from the file.

    Raises
    ------
    LoadError
        The file is truncated, corrupted or not a kerasnip file, comes from a
        newer format version, or needs registered optimizers/losses/metrics
        that are not registered.

    Examples
    --------
    >>> est.save("mlp.kerasnip")                  # doctest: +SKIP
    >>> kerasnip.load("mlp.kerasnip").predict(X)  # doctest: +SKIP
    """
    source = getattr(path, "name", path)
    try:
        manifest, model_bytes = read_archive(path)
        objects = objects_for(manifest.get("registered", {}))
    except LoadError as exc:
        raise LoadError(f"Cannot load {source!r}: {exc}") from exc.__cause__
    try:
        model = model_from_bytes(model_bytes, safe_mode=safe_mode, objects=objects)
    except Exception as exc:
        raise LoadError(
            f"Cannot load the Keras model in {source!r}: {type(exc).__name__}: "
            f"{str(exc).rstrip('.')}. "
            "If it uses custom layers, losses or metrics, register them (kerasnip."
            "register_keras_loss / register_keras_metric, or "
            "keras.saving.register_keras_serializable) before loading."
        ) from exc
    try:
        return _restore(manifest, model)
    except LoadError as exc:
        raise LoadError(f"Cannot load {source!r}: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LoadError(
            f"Cannot load {source!r}: its manifest is damaged ({type(exc).__name__}: {exc})."
        ) from exc


def _restore(manifest: Mapping[str, Any], model: Any) -> Any:
    cls = _estimator_class(manifest["spec"])
    params = decode(manifest["params"])
    valid = {p.name for p in cls.kerasnip_spec.parameters}
    # compile_*/fit_* follow the installed Keras: one saved under another version
    # may name an argument this Keras lacks.
    unknown = {name: value for name, value in params.items() if name not in valid}
    if any(value is not None for value in unknown.values()):
        warnings.warn(
            f"Parameter(s) {sorted(unknown)} of the saved estimator are not arguments of the "
            "installed Keras and are ignored.", UserWarning, stacklevel=3,
        )
    est = cls(**{name: value for name, value in params.items() if name in valid})
    for name, value in decode(manifest["fitted"]).items():
        setattr(est, name, value)
    est.model_ = model
    return est


def _estimator_class(data: Mapping[str, Any]) -> type:
    """The live class the estimator was saved from if this process still has it, else a
    class rebuilt from the saved spec."""
    names = [p["name"] for p in data["parameters"]]
    live = factory.live_class(data["token"])
    if live is not None and [p.name for p in live.kerasnip_spec.parameters] == names:
        return live
    return factory.make_class(spec_from_data(data))
