"""Saving and loading fitted estimators.

Two ways to keep a fitted estimator:

* ``est.save(path)`` and :func:`load` write and read **one zip file of data
  only**: nothing in it is unpickled and Keras loads the model in safe mode,
  so loading a file from someone else runs no code of theirs. The loaded
  estimator predicts, evaluates, continues training (``partial_fit``) and
  plots without the block functions being importable; a fresh ``fit`` needs
  them and imports them then (never at load time).
* ``pickle``, ``joblib`` and ``cloudpickle`` go through
  ``KerasEstimator.__getstate__``, which stores the model as ``.keras`` bytes
  (:func:`model_to_bytes`). Like any pickle, only load those from a trusted
  source.

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

Values are written as JSON with a few tagged forms (tuples, numpy arrays and
scalars with their dtype, DataFrames, ``tune()`` markers, registered objects,
and kerasnip's own data classes, named from a fixed list) so that what is
loaded has the same types as what was saved.

Parameters that are not data (callback objects, optimizer instances) are left
out with a warning and come back as their defaults. Block functions are
recorded by import path; ``lambda``s and functions defined inside other
functions have none, so such an estimator loads and predicts but cannot be
refitted from the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import inspect
import json
import os
import tempfile
import uuid
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from kerasnip._utils import atomic_output

FORMAT_NAME = "kerasnip-estimator"
FORMAT_VERSION = 1
MANIFEST_MEMBER = "kerasnip.json"
MODEL_MEMBER = "model.keras"

_TAG = "__kerasnip__"
# Array dtypes whose values JSON holds exactly (object arrays are encoded per item).
_ARRAY_KINDS = frozenset("biufUO")
# compile_* parameters whose names may refer to the custom registries, by registry.
_REGISTRY_PARAMS = {
    "compile_optimizer": "optimizer",
    "compile_loss": "loss",
    "compile_metrics": "metric",
    "compile_weighted_metrics": "metric",
}

# The training data kept by the last fit (for lazily computed intervals).
_NEVER_SAVED = ("_fit_data",)
# kerasnip's own dataclasses that fitted estimators hold; the file names them by
# path, and loading accepts only these paths (never an arbitrary class).
_DATACLASSES = (
    "kerasnip.multi_io:Head",
    "kerasnip.intervals:HeadPosterior",
    "kerasnip.intervals:LaplaceApproximation",
)

PathOrFile = str | os.PathLike[str] | IO[bytes]


class LoadError(ValueError):
    """A file cannot be loaded as a kerasnip estimator.

    Raised for a file that is truncated, corrupted, not written by
    :meth:`KerasEstimator.save`, written by a newer kerasnip format version,
    or whose model needs registered optimizers/losses/metrics that are not
    registered now. Nothing is half-loaded: either :func:`load` returns a
    complete estimator or it raises.
    """


class BlockImportError(ImportError):
    """A loaded estimator is refitted but one of its block functions cannot be imported."""


# --------------------------------------------------------------------------- Keras bytes


def custom_objects() -> dict[str, Any]:
    """Registered optimizers, losses and metrics, keyed as Keras configs name them.

    A function or class is known to Keras by its ``__name__``, an instance
    (e.g. a ``keras.losses.Loss`` object) by its class name, which must map to
    the class.
    """
    objects: dict[str, Any] = {}
    for table in _registry_tables().values():
        for name, obj in table.items():
            objects[name] = obj
            objects[_keras_name(obj)] = _keras_object(obj)
    return objects


def _keras_object(obj: Any) -> Any:
    """What Keras deserialises ``obj`` from: itself for functions and classes, else its class."""
    return obj if inspect.isroutine(obj) or isinstance(obj, type) else type(obj)


def _keras_name(obj: Any) -> str:
    return _keras_object(obj).__name__


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
    objects : dict, optional
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


# --------------------------------------------------------------------------- JSON codec


class _NotData(TypeError):
    """A value has no JSON form in the kerasnip file format."""


def encode(value: Any) -> Any:
    """Turn ``value`` into JSON-compatible data that :func:`decode` restores with its types.

    Raises ``TypeError`` for values that are not data (callbacks, optimizer
    instances, arbitrary objects).
    """
    from kerasnip.data import ClassEncoder
    from kerasnip.tuning.markers import tune

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind not in _ARRAY_KINDS - {"O"}:
            raise _NotData(f"numpy scalar of dtype {value.dtype}")
        return {_TAG: "scalar", "dtype": value.dtype.str, "value": value.item()}
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {_TAG: "tuple", "items": [encode(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and _TAG not in value:
            return {k: encode(v) for k, v in value.items()}
        return {_TAG: "dict", "items": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, pd.DataFrame):
        return {
            _TAG: "frame",
            "columns": [encode(c) for c in value.columns],
            "data": [_encode_array(value[c].to_numpy()) for c in value.columns],
        }
    if isinstance(value, tune):
        return {_TAG: "tune", "id": value.id}
    if isinstance(value, ClassEncoder):
        return {_TAG: "class_encoder", "classes": encode(value.classes)}
    path = f"{type(value).__module__}:{type(value).__qualname__}"
    if path in _DATACLASSES:
        # Private fields are caches (e.g. a Keras sub-model) rebuilt on demand.
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)
                  if not f.name.startswith("_")}
        return {_TAG: "dataclass", "class": path, "fields": fields}
    registered = _registered_entry(value)
    if registered is not None:
        return {_TAG: "registered", "kind": registered[0], "name": registered[1]}
    raise _NotData(f"{type(value).__module__}.{type(value).__qualname__}")


def _encode_array(array: np.ndarray) -> dict[str, Any]:
    if array.dtype.kind not in _ARRAY_KINDS:
        raise _NotData(f"numpy array of dtype {array.dtype}")
    flat = array.ravel()
    data = [encode(v) for v in flat] if array.dtype.kind == "O" else flat.tolist()
    return {_TAG: "ndarray", "dtype": array.dtype.str, "shape": list(array.shape), "data": data}


def decode(data: Any) -> Any:
    """Inverse of :func:`encode`; raises :class:`LoadError` on malformed data."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    tag = data.get(_TAG)
    if tag is None:
        return {k: decode(v) for k, v in data.items()}
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise LoadError(f"Unknown value tag {tag!r} in the file (written by a newer kerasnip?).")
    try:
        return decoder(data)
    except KeyError as exc:
        raise LoadError(f"Malformed value in the file (tag {tag!r}, missing {exc}).") from None


def _decode_scalar(data: dict[str, Any]) -> np.generic:
    return _dtype(data["dtype"]).type(data["value"])


def _decode_array(data: dict[str, Any]) -> np.ndarray:
    dtype = _dtype(data["dtype"])
    if dtype.kind == "O":
        flat = np.empty(len(data["data"]), dtype=object)
        flat[:] = [decode(v) for v in data["data"]]
    else:
        flat = np.asarray(data["data"], dtype=dtype)
    try:
        return flat.reshape(data["shape"])
    except ValueError as exc:
        raise LoadError(f"Malformed array in the file: {exc}.") from None


def _dtype(text: Any) -> np.dtype:
    try:
        dtype = np.dtype(str(text))
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in _ARRAY_KINDS:
        raise LoadError(f"Unsupported dtype {text!r} in the file.")
    return dtype


def _decode_frame(data: dict[str, Any]) -> pd.DataFrame:
    columns = [decode(c) for c in data["columns"]]
    arrays = [_decode_array(a) for a in data["data"]]
    return pd.DataFrame(dict(zip(columns, arrays, strict=True)), columns=columns)


def _decode_registered(data: dict[str, Any]) -> Any:
    kind, name = data["kind"], data["name"]
    table = _registry_tables().get(kind, {})
    if name not in table:
        raise LoadError(_missing_registered_message({kind: [name]}))
    return table[name]


def _decode_dataclass(data: dict[str, Any]) -> Any:
    path = data["class"]
    if path not in _DATACLASSES:
        raise LoadError(f"The file holds an object of class {path!r}, which kerasnip does not "
                        "load (only its own data classes).")
    module, _, name = path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    return cls(**{field: decode(value) for field, value in data["fields"].items()})


def _decode_tune(data: dict[str, Any]) -> Any:
    from kerasnip.tuning.markers import tune

    return tune(data["id"])


def _decode_class_encoder(data: dict[str, Any]) -> Any:
    from kerasnip.data import ClassEncoder

    return ClassEncoder(decode(data["classes"]))


_DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "scalar": _decode_scalar,
    "ndarray": _decode_array,
    "tuple": lambda data: tuple(decode(v) for v in data["items"]),
    "dict": lambda data: {decode(k): decode(v) for k, v in data["items"]},
    "frame": _decode_frame,
    "tune": _decode_tune,
    "class_encoder": _decode_class_encoder,
    "dataclass": _decode_dataclass,
    "registered": _decode_registered,
}


# --------------------------------------------------------------------------- registries


def _registry_tables() -> dict[str, dict[str, Any]]:
    """The registries by the kind names the file uses: optimizer, loss, metric."""
    from kerasnip import registry

    return {
        "optimizer": registry.registered_optimizers(),
        "loss": registry.registered_losses(),
        "metric": registry.registered_metrics(),
    }


def _registered_entry(value: Any) -> tuple[str, str] | None:
    """``(kind, name)`` when ``value`` is itself a registered optimizer/loss/metric."""
    for kind, table in _registry_tables().items():
        for name, obj in table.items():
            if obj is value:
                return kind, name
    return None


def _registered_names_used(params: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The registered names the ``compile_*`` parameters refer to: kind -> {name: Keras name}."""
    tables = _registry_tables()
    used: dict[str, dict[str, str]] = {}

    def visit(kind: str, value: Any) -> None:
        if isinstance(value, (list, tuple)):
            for item in value:
                visit(kind, item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(kind, item)
        elif isinstance(value, str) and value in tables[kind]:
            used.setdefault(kind, {})[value] = _keras_name(tables[kind][value])
        elif (entry := _registered_entry(value)) is not None:
            used.setdefault(entry[0], {})[entry[1]] = _keras_name(value)

    for param, kind in _REGISTRY_PARAMS.items():
        visit(kind, params.get(param))
    return used


def _missing_registered_message(missing: Mapping[str, list[str]]) -> str:
    calls = ", ".join(
        f"kerasnip.register_keras_{kind}({name!r}, ...)"
        for kind, names in missing.items() for name in names
    )
    return (
        f"The saved model uses registered {', '.join(sorted(missing))} name(s) that are not "
        f"registered now: {dict(missing)}. Register them under the same names before "
        f"loading: {calls}."
    )


def _objects_for(needed: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """Custom objects for the saved model, or :class:`LoadError` naming what is missing."""
    tables = _registry_tables()
    missing = {
        kind: [name for name in names if name not in tables.get(kind, {})]
        for kind, names in needed.items()
    }
    missing = {kind: names for kind, names in missing.items() if names}
    if missing:
        raise LoadError(_missing_registered_message(missing))
    objects = custom_objects()
    # The same name may now be registered with a function of another __name__;
    # the model's config still says the old one.
    for kind, names in needed.items():
        for name, keras_name in names.items():
            objects[keras_name] = _keras_object(tables[kind][name])
    return objects


# --------------------------------------------------------------------------- spec as data


def block_import_path(function: Any) -> str | None:
    """``"module:qualname"`` of a block function, or ``None`` when it has no such path."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not module or not qualname:
        return None
    return f"{module}:{qualname}"


def _spec_to_data(spec: Any) -> dict[str, Any]:
    from kerasnip.blocks import inp_spec

    blocks = []
    for name, info in spec.blocks.items():
        function, mapping = info.function, None
        if isinstance(function, SavedBlock):  # saved again after loading
            function, mapping = function.import_path, function.mapping
        elif isinstance(function, inp_spec):
            function, mapping = function.block, function.mapping
        path = function if isinstance(function, str) or function is None else (
            block_import_path(function))
        defaults, dropped = _encode_values(info.defaults())
        if dropped:
            warnings.warn(
                f"Block {name!r} has defaults that are not data ({dropped}); the loaded "
                "estimator shows None for them.", UserWarning, stacklevel=4,
            )
            defaults.update(dict.fromkeys(dropped))
        blocks.append({
            "name": name,
            "function": path,
            "inp_spec": mapping,
            "inputs": list(info.inputs),
            "upstream": dict(info.upstream),
            "injected": list(info.injected),
            "hyperparameters": defaults,
        })
    return {
        "model_name": spec.model_name,
        "kind": spec.kind,
        "mode": spec.mode,
        "description": spec.description,
        "token": spec.token,
        "blocks": blocks,
        "parameters": [
            {"name": p.name, "role": p.role, "block": p.block, "arg": p.arg}
            for p in spec.parameters
        ],
    }


def _encode_values(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Encode each value; those that are not data are left out and reported by repr."""
    encoded: dict[str, Any] = {}
    dropped: dict[str, str] = {}
    for name, value in values.items():
        try:
            encoded[name] = encode(value)
        except _NotData:
            dropped[name] = repr(value)
    return encoded, dropped


class SavedBlock:
    """A loaded estimator's block: its import path, imported only when a model is built.

    Loading never imports block modules (importing runs their code); refitting
    does, and raises :class:`BlockImportError` naming the block if it cannot.

    Parameters
    ----------
    block : str
        The block's name in the spec.
    import_path : str or None
        ``"module:qualname"`` recorded when the estimator was saved.
    mapping : dict, optional
        The :func:`kerasnip.inp_spec` renaming the block was wrapped in.
    """

    def __init__(self, block: str, import_path: str | None,
                 mapping: Mapping[str, str] | None = None):
        self.block = block
        self.import_path = import_path
        self.mapping = None if mapping is None else dict(mapping)
        self.__name__ = (import_path or block).rpartition(".")[2].rpartition(":")[2]

    def resolve(self) -> Callable[..., Any]:
        """Import the block function (wrapped in its ``inp_spec`` if it had one)."""
        from kerasnip.blocks import inp_spec

        if not self.import_path:
            self._fail("it was not a module-level function, so it has no import path")
        module_name, _, qualname = self.import_path.partition(":")
        if "<locals>" in qualname or "<lambda>" in qualname:
            self._fail("it was defined inside a function or as a lambda, so it cannot be "
                       "imported")
        try:
            target: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as exc:
            self._fail(f"importing it failed with {type(exc).__name__}: {exc}")
        return target if self.mapping is None else inp_spec(target, self.mapping)

    def _fail(self, reason: str) -> None:
        raise BlockImportError(
            f"Block {self.block!r} of this loaded estimator is {self.import_path!r}, but "
            f"{reason}. Refitting needs the block functions: make that module importable "
            "(or create the spec again and fit that). Predicting, evaluating and "
            "partial_fit work without them."
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"SavedBlock({self.block!r}, {self.import_path!r})"


def _spec_from_data(data: Mapping[str, Any]) -> Any:
    """A :class:`SpecDefinition` whose blocks are :class:`SavedBlock` stand-ins."""
    from kerasnip.blocks import BlockInfo
    from kerasnip.spec import SpecDefinition

    blocks = {}
    for block in data["blocks"]:
        name = block["name"]
        hyper = {
            arg: inspect.Parameter(arg, inspect.Parameter.KEYWORD_ONLY, default=decode(default))
            for arg, default in block["hyperparameters"].items()
        }
        blocks[name] = BlockInfo(
            name,
            SavedBlock(name, block["function"], block["inp_spec"]),
            tuple(block["inputs"]),
            dict(block["upstream"]),
            tuple(block["injected"]),
            hyper,
        )
    # A fresh token: the saved one may belong to a live class with the real functions.
    return SpecDefinition(data["model_name"], data["kind"], data["mode"], blocks,
                          data["description"], token=uuid.uuid4().hex)


def _estimator_class(data: Mapping[str, Any]) -> type:
    """The live class the estimator was saved from if this process still has it, else a
    class rebuilt from the saved spec."""
    from kerasnip import spec as spec_module

    names = [p["name"] for p in data["parameters"]]
    live = spec_module._CLASSES_BY_TOKEN.get(data["token"])
    if live is not None and [p.name for p in live.kerasnip_spec.parameters] == names:
        return live
    return spec_module._make_class(_spec_from_data(data))


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
    from sklearn.utils.validation import check_is_fitted

    import kerasnip

    check_is_fitted(est, "model_")
    values = est.get_params(deep=False)
    params, dropped = _encode_values(values)
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
        "kerasnip_version": kerasnip.__version__,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "estimator": type(est).__name__,
        "spec": _spec_to_data(type(est)._spec()),
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
        except _NotData as exc:
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
        yield path
        return
    with atomic_output(path) as stream:
        yield stream


# --------------------------------------------------------------------------- load


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
        manifest, model_bytes = _read_archive(path)
        objects = _objects_for(manifest.get("registered", {}))
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


def _is_pickle(path: PathOrFile) -> bool:
    """Whether the file starts like a pickle (protocol 2 or later), as joblib files do."""
    if hasattr(path, "read"):
        start = path.tell()
        head = path.read(2)
        path.seek(start)
    else:
        with open(path, "rb") as stream:
            head = stream.read(2)
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _read_archive(path: PathOrFile) -> tuple[dict[str, Any], bytes]:
    # A pickle of an estimator holds the model's .keras zip, which zipfile finds
    # inside it; say what the file is instead of calling it a Keras model.
    if _is_pickle(path):
        raise LoadError("it is a pickle (from pickle, joblib or cloudpickle), not a file "
                        "written by est.save; load it with joblib.load or pickle.load, and "
                        "only if you trust its source.")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if MANIFEST_MEMBER not in names:
                hint = (" It looks like a Keras model: load it with keras.saving.load_model."
                        if "config.json" in names else "")
                raise LoadError(f"it is a zip file but not a kerasnip estimator (no "
                                f"{MANIFEST_MEMBER}).{hint}")
            manifest = _parse_manifest(archive.read(MANIFEST_MEMBER))
            if MODEL_MEMBER not in names:
                raise LoadError(f"the file has no {MODEL_MEMBER}; it is incomplete.")
            model = archive.read(MODEL_MEMBER)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as exc:
        raise LoadError(
            f"it is not a kerasnip file, or it is truncated or corrupted ({exc})."
        ) from exc
    expected = manifest.get("members", {}).get(MODEL_MEMBER, {}).get("sha256")
    if expected != hashlib.sha256(model).hexdigest():
        raise LoadError(f"{MODEL_MEMBER} does not match its checksum; the file is corrupted.")
    return manifest, model


def _parse_manifest(payload: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
    return _read_archive(path)[0]


__all__ = [
    "BlockImportError",
    "LoadError",
    "SavedBlock",
    "custom_objects",
    "load",
    "model_from_bytes",
    "model_to_bytes",
    "read_manifest",
    "save_estimator",
]
