"""The ``.kerasnip`` file: one zip of a JSON manifest and the ``.keras`` model.

Two ways to keep a fitted estimator:

* ``est.save(path)`` and :func:`kerasnip.load` write and read **one zip file of data
  only**: nothing in it is unpickled and Keras loads the model in safe mode,
  so loading a file from someone else runs no code of theirs. The loaded
  estimator predicts, evaluates, continues training (``partial_fit``) and
  plots without the block functions being importable; a fresh ``fit`` needs
  them and imports them then (never at load time), which is why loading asks
  that each be trusted (:mod:`kerasnip.loading`).
* ``pickle``, ``joblib`` and ``cloudpickle`` go through
  ``KerasEstimator.__getstate__``, which stores the model as ``.keras`` bytes
  (:func:`~kerasnip.saving.keras_bytes.model_to_bytes`). Like any pickle, only
  load those from a trusted source.

Layout of a saved file (format version 1)::

    kerasnip.json   the manifest: format name and version, the kerasnip, Keras
                    and backend versions, the spec as data (model name, kind,
                    mode, each block's import path ``module:qualname`` and
                    hyperparameters), the parameters, the fitted state
                    (classes with their dtype, shapes, the history, a cached
                    interval posterior; never the training data), the
                    registered optimizers/losses/metrics the model needs and
                    the SHA-256 of the model member
    model.keras     the Keras model: architecture, weights, compile settings
                    and optimizer state

Values are written as JSON by :mod:`kerasnip.saving.codec`, the spec by
:mod:`kerasnip.saving.spec_data`. This module writes and reads the zip itself;
:func:`kerasnip.load` (:mod:`kerasnip.loading`) turns what it reads back into an
estimator.

Parameters that are not data (callback objects, optimizer instances) are left
out with a warning and come back as their defaults. Block functions are
recorded by import path; ``lambda``s and functions defined inside other
functions have none, so such an estimator loads and predicts but cannot be
refitted from the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from typing import IO, Any, cast

from sklearn.utils.validation import check_is_fitted

from kerasnip import registry
from kerasnip._utils import atomic_output
from kerasnip._version import __version__
from kerasnip.errors import LoadError
from kerasnip.saving.codec import NotData, encode, missing_registered_message
from kerasnip.saving.keras_bytes import custom_objects, keras_name, keras_object, model_to_bytes
from kerasnip.saving.spec_data import encode_values, spec_to_data

FORMAT_NAME = "kerasnip-estimator"
FORMAT_VERSION = 1
MANIFEST_MEMBER = "kerasnip.json"
MODEL_MEMBER = "model.keras"

# compile_* parameters whose names may refer to the custom registries, by registry.
_REGISTRY_PARAMS = {
    "compile_optimizer": "optimizer",
    "compile_loss": "loss",
    "compile_metrics": "metric",
    "compile_weighted_metrics": "metric",
}

# The training data kept by the last fit (for lazily computed intervals), and the random
# streams its training ended with (process state: a loaded model continues with a new seed).
_NEVER_SAVED = ("_fit_data", "_random_streams")

PathOrFile = str | os.PathLike[str] | IO[bytes]

#: How much a ``.kerasnip`` file may expand to when read: the manifest (history,
#: classes, an interval posterior: well under a megabyte for the models of the
#: README) and the model, whose weights are at most a few hundred megabytes in
#: practice. A member larger than this, or compressed more than MAX_RATIO times
#: (a decompression bomb; JSON and float weights compress a few times at most),
#: is refused before it is read.
MAX_MANIFEST_BYTES = 64 * 2**20
MAX_MODEL_BYTES = 4 * 2**30
MAX_RATIO = 100
#: A member smaller than this is read whatever its compression ratio.
_RATIO_FLOOR_BYTES = 2**20
#: Members of the .kerasnip zip and of the .keras zip inside it (2 and 3 when
#: written by kerasnip and Keras).
MAX_MEMBERS = 64


# --------------------------------------------------------------------------- registries


def _registered_names_used(params: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The registered names the ``compile_*`` parameters refer to: kind -> {name: Keras name}."""
    tables = registry.tables()
    used: dict[str, dict[str, str]] = {}

    def visit(kind: str, value: Any) -> None:
        if isinstance(value, (list, tuple)):
            for item in value:
                visit(kind, item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(kind, item)
        elif isinstance(value, str) and value in tables[kind]:
            used.setdefault(kind, {})[value] = keras_name(tables[kind][value])
        elif (entry := registry.registered_entry(value)) is not None:
            used.setdefault(entry[0], {})[entry[1]] = keras_name(value)

    for param, kind in _REGISTRY_PARAMS.items():
        visit(kind, params.get(param))
    return used


def objects_for(needed: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """Custom objects for the saved model, or :class:`LoadError` naming what is missing."""
    tables = registry.tables()
    missing = {
        kind: [name for name in names if name not in tables.get(kind, {})]
        for kind, names in needed.items()
    }
    missing = {kind: names for kind, names in missing.items() if names}
    if missing:
        raise LoadError(missing_registered_message(missing))
    objects = custom_objects()
    # The same name may now be registered with a function of another __name__;
    # the model's config still says the old one.
    for kind, names in needed.items():
        for name, recorded in names.items():
            objects[recorded] = keras_object(tables[kind][name])
    return objects


# --------------------------------------------------------------------------- save


def save_estimator(est: Any, path: PathOrFile) -> None:
    """Write a fitted estimator to one zip file (see the module docstring for its layout).

    Parameters that are not data (callback objects, optimizer instances, a
    ``RandomState``) are left out with a warning: the saved model keeps its
    compile settings and weights, and the loaded estimator shows the
    parameter's default. Written to a temporary file first, so an
    interrupted save never leaves a damaged file at ``path``.

    Parameters
    ----------
    est : fitted kerasnip estimator
        The estimator to save.
    path : str, path-like or binary file object
        Where to write (``.kerasnip`` is a good extension).
    """
    import keras

    check_is_fitted(est, "model_")
    values = est.get_params(deep=False)
    params, dropped = encode_values(values)
    if dropped:
        warnings.warn(
            f"Parameter(s) {sorted(dropped)} of {type(est).__name__} are not data and are not "
            f"saved ({dropped}); the saved model keeps its compile settings and weights, and "
            "the loaded estimator has their defaults (set them again before refitting).",
            UserWarning, stacklevel=3,
        )
    fitted = _encode_state(est, values)
    model = model_to_bytes(est.model_)
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kerasnip_version": __version__,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "estimator": type(est).__name__,
        "spec": spec_to_data(type(est)._spec()),
        "params": params,
        "dropped_params": dropped,
        "fitted": fitted,
        "registered": _registered_names_used(values),
        "members": {MODEL_MEMBER: {"sha256": hashlib.sha256(model).hexdigest(),
                                   "size": len(model)}},
    }
    payload = json.dumps(manifest, indent=1).encode("utf-8")
    with _output(path) as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST_MEMBER, payload)
        archive.writestr(MODEL_MEMBER, model)


def _encode_state(est: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """The fitted state (everything in ``vars(est)`` but the parameters and the model).

    Public fitted attributes must be data; private state is kept when it is
    data and skipped otherwise (caches such as a Keras sub-model). Training
    data is never saved.
    """
    state = {}
    for name, value in vars(est).items():
        if name in params or name in ("model_", *_NEVER_SAVED):
            continue
        try:
            state[name] = encode(value)
        except NotData as exc:
            if name.startswith("_"):
                continue
            raise TypeError(
                f"Fitted attribute {name!r} of {type(est).__name__} holds a {exc}, which the "
                "kerasnip file format cannot store; pickle the estimator instead."
            ) from None
    return state


@contextlib.contextmanager
def _output(path: PathOrFile) -> Iterator[IO[bytes]]:
    """A caller's file object as it is (theirs to close), or a path written atomically."""
    if hasattr(path, "write"):
        yield cast(IO[bytes], path)
        return
    with atomic_output(path) as stream:
        yield stream


# --------------------------------------------------------------------------- read


def _is_pickle(path: PathOrFile) -> bool:
    """Whether the file starts like a pickle (protocol 2 or later), as joblib files do."""
    if hasattr(path, "read"):
        stream = cast(IO[bytes], path)
        start = stream.tell()
        head = stream.read(2)
        stream.seek(start)
    else:
        with open(path, "rb") as stream:
            head = stream.read(2)
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def read_archive(path: PathOrFile) -> tuple[dict[str, Any], bytes]:
    # A pickle of an estimator holds the model's .keras zip, which zipfile finds
    # inside it; say what the file is instead of calling it a Keras model.
    if _is_pickle(path):
        raise LoadError("it is a pickle (from pickle, joblib or cloudpickle), not a file "
                        "written by est.save; load it with joblib.load or pickle.load, and "
                        "only if you trust its source.")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(_checked_members(archive, "the file"))
            if MANIFEST_MEMBER not in names:
                hint = (" It looks like a Keras model: load it with keras.saving.load_model."
                        if "config.json" in names else "")
                raise LoadError(f"it is a zip file but not a kerasnip estimator (no "
                                f"{MANIFEST_MEMBER}).{hint}")
            manifest = _parse_manifest(_read_member(archive, MANIFEST_MEMBER,
                                                    MAX_MANIFEST_BYTES))
            if MODEL_MEMBER not in names:
                raise LoadError(f"the file has no {MODEL_MEMBER}; it is incomplete.")
            model = _read_member(archive, MODEL_MEMBER, MAX_MODEL_BYTES)
        expected = manifest.get("members", {}).get(MODEL_MEMBER, {}).get("sha256")
        if expected != hashlib.sha256(model).hexdigest():
            raise LoadError(f"{MODEL_MEMBER} does not match its checksum; the file is "
                            "corrupted.")
        # Keras reads the .keras zip whole; its members get the same bounds first.
        with zipfile.ZipFile(io.BytesIO(model)) as keras_archive:
            _checked_members(keras_archive, MODEL_MEMBER)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error,
            NotImplementedError) as exc:
        raise LoadError(
            f"it is not a kerasnip file, or it is truncated or corrupted ({exc})."
        ) from exc
    return manifest, model


def _checked_members(archive: zipfile.ZipFile, where: str) -> list[str]:
    """The member names, once their number, sizes and compression ratios are bounded."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise LoadError(f"{where} holds {len(members)} members, more than the {MAX_MEMBERS} a "
                        "kerasnip file has; it is not one.")
    for info in members:
        if info.file_size > MAX_MODEL_BYTES:
            raise LoadError(
                f"{where}'s member {info.filename!r} would expand to {info.file_size:,} bytes, "
                f"more than the {MAX_MODEL_BYTES:,} a kerasnip file may hold.")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise LoadError(
                f"{where}'s member {info.filename!r} is compressed {ratio:,.0f} times (it would "
                f"expand to {info.file_size:,} bytes); a kerasnip file is compressed at most "
                f"{MAX_RATIO} times, so this looks like a decompression bomb and is not read.")
    return [info.filename for info in members]


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, refused when it declares, or turns out to hold, more than ``limit``."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise LoadError(f"its {name} would expand to {info.file_size:,} bytes, more than the "
                        f"{limit:,} a kerasnip file's {name} may hold.")
    with archive.open(info) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise LoadError(f"its {name} holds more than the {limit:,} bytes it may.")
    return data


def _parse_manifest(payload: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise LoadError(f"its {MANIFEST_MEMBER} is not valid JSON ({exc}); the file is "
                        "corrupted.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise LoadError(f"its {MANIFEST_MEMBER} does not describe a kerasnip estimator.")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise LoadError(f"its format version {version!r} is not valid.")
    if version > FORMAT_VERSION:
        raise LoadError(
            f"it was written in kerasnip file format version {version} (by kerasnip "
            f"{manifest.get('kerasnip_version', '?')}), newer than the version "
            f"{FORMAT_VERSION} this kerasnip reads; upgrade kerasnip to load it."
        )
    return manifest


def read_manifest(path: PathOrFile) -> dict[str, Any]:
    """The manifest of a saved estimator, as JSON data, without loading its model.

    Parameters
    ----------
    path : str, path-like or binary file object
        A file written by :meth:`KerasEstimator.save`.

    Returns
    -------
    dict
        Format version, library versions, spec, parameters (tagged JSON) and
        fitted attributes.
    """
    return read_archive(path)[0]
