"""Values as JSON: what the ``.kerasnip`` manifest holds, restored with their types.

Values are written as JSON with a few tagged forms (tuples, numpy arrays and
scalars with their dtype, DataFrames, ``tune()`` markers, registered objects,
and kerasnip's own data classes, named from a fixed list of stable names) so
that what is loaded has the same types as what was saved. Decoding never
imports a module or builds an object that the file names freely.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from kerasnip import registry
from kerasnip.encoding.targets import ClassEncoder
from kerasnip.errors import LoadError
from kerasnip.markers import tune
from kerasnip.saving import names

_TAG = "__kerasnip__"
# Array dtypes whose values JSON holds exactly (object arrays are encoded per item).
_ARRAY_KINDS = frozenset("biufUO")
#: kerasnip's own dataclasses that fitted estimators hold, by stable name; loading
#: accepts only these (never an arbitrary class).
DATACLASSES = (
    "kerasnip.multi_io:Head",
    "kerasnip.intervals:HeadPosterior",
    "kerasnip.intervals:LaplaceApproximation",
)


class NotData(TypeError):
    """A value has no JSON form in the kerasnip file format."""


def encode(value: Any) -> Any:
    """Turn ``value`` into JSON-compatible data that :func:`decode` restores with its types.

    Raises ``TypeError`` for values that are not data (callbacks, optimizer
    instances, arbitrary objects).
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind not in _ARRAY_KINDS - {"O"}:
            raise NotData(f"numpy scalar of dtype {value.dtype}")
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
    path = names.stable_name(type(value))
    if path in DATACLASSES:
        # Private fields are caches (e.g. a Keras sub-model) rebuilt on demand.
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)
                  if not f.name.startswith("_")}
        return {_TAG: "dataclass", "class": path, "fields": fields}
    registered = registry.registered_entry(value)
    if registered is not None:
        return {_TAG: "registered", "kind": registered[0], "name": registered[1]}
    raise NotData(f"{type(value).__module__}.{type(value).__qualname__}")


def _encode_array(array: np.ndarray) -> dict[str, Any]:
    if array.dtype.kind not in _ARRAY_KINDS:
        raise NotData(f"numpy array of dtype {array.dtype}")
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
    table = registry.tables().get(kind, {})
    if name not in table:
        raise LoadError(missing_registered_message({kind: [name]}))
    return table[name]


def _decode_dataclass(data: dict[str, Any]) -> Any:
    path = data["class"]
    if path not in DATACLASSES:
        raise LoadError(f"The file holds an object of class {path!r}, which kerasnip does not "
                        "load (only its own data classes).")
    cls = names.resolve(path)
    return cls(**{field: decode(value) for field, value in data["fields"].items()})


def _decode_tune(data: dict[str, Any]) -> Any:
    return tune(data["id"])


def _decode_class_encoder(data: dict[str, Any]) -> Any:
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


def missing_registered_message(missing: Mapping[str, list[str]]) -> str:
    """The error for registered names a saved model needs that are not registered now.

    Parameters
    ----------
    missing : dict of str to list of str
        Kind (optimizer, loss, metric) -> the names missing.

    Returns
    -------
    str
    """
    calls = ", ".join(
        f"kerasnip.register_keras_{kind}({name!r}, ...)"
        for kind, kind_names in missing.items() for name in kind_names
    )
    return (
        f"The saved model uses registered {', '.join(sorted(missing))} name(s) that are not "
        f"registered now: {dict(missing)}. Register them under the same names before "
        f"loading: {calls}."
    )
