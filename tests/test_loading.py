"""kerasnip.load on untrusted files: no code runs without trust, and the fitted state a
file sets is checked against its model."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

import kerasnip
from kerasnip.errors import LoadError
from tests import functional_blocks
from tests.helpers import manifest_with


def _manifest(payload: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return json.loads(archive.read("kerasnip.json"))


def _saved(est) -> bytes:
    buffer = io.BytesIO()
    est.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def fork_join_bytes():
    spec = kerasnip.create_keras_functional_spec("loading_fork", functional_blocks.FORK_JOIN_BLOCKS,
                                                 "regression")
    X, y = functional_blocks.fork_join_data(30)
    return _saved(spec(fit_epochs=1, random_state=0).fit(X, y)), X, y


def _payload(payload: bytes, sentinel) -> bytes:
    """The file with its input block replaced by os.makedirs(name=sentinel): refitting
    the loaded estimator would create the folder."""
    spec = _foreign_spec(payload)
    spec["blocks"][0].update(function="os:makedirs", inp_spec=None, injected=[],
                             hyperparameters={"name": str(sentinel)})
    return manifest_with(payload, spec=spec)


def _foreign_spec(payload: bytes) -> dict:
    """The file's spec as another process wrote it: no live class has its token, so
    loading rebuilds the class from the file's blocks."""
    return {**_manifest(payload)["spec"], "token": "0" * 32}


def test_a_file_naming_an_untrusted_function_runs_nothing(fork_join_bytes, tmp_path):
    payload, X, y = fork_join_bytes
    sentinel = tmp_path / "sentinel"
    crafted = _payload(payload, sentinel)
    with pytest.raises(LoadError, match=r"\['os:makedirs'\].*does not trust.*trusted="):
        kerasnip.load(io.BytesIO(crafted))
    assert kerasnip.get_untrusted_blocks(io.BytesIO(crafted)) == ["os:makedirs"]
    assert not sentinel.exists()
    # Trusted, the payload is live: predicting runs no block, refitting calls it.
    loaded = kerasnip.load(io.BytesIO(crafted), trusted=["os:makedirs"])
    assert loaded.predict(X).shape == (len(X),)
    assert not sentinel.exists()
    with pytest.raises(kerasnip.BuildError):
        clone(loaded).fit(X, y)
    assert sentinel.is_dir()


def test_trust_is_given_by_path_or_by_function(fork_join_bytes, tmp_path):
    crafted = _payload(fork_join_bytes[0], tmp_path / "sentinel")
    assert kerasnip.load(io.BytesIO(crafted), trusted=[os.makedirs]).predict(
        fork_join_bytes[1]).shape == (30,)
    assert not (tmp_path / "sentinel").exists()


def test_the_blocks_of_specs_made_in_this_process_are_trusted(fork_join_bytes):
    assert kerasnip.get_untrusted_blocks(io.BytesIO(fork_join_bytes[0])) == []
    assert kerasnip.load(io.BytesIO(fork_join_bytes[0])).predict(fork_join_bytes[1]).shape == (30,)


@pytest.mark.parametrize("value", [
    {"__kerasnip__": "tune", "id": ""},
    {"__kerasnip__": "dataclass", "class": "kerasnip.multi_io:Head",
     "fields": {"name": "x", "kind": "regression"}},
    {"__kerasnip__": "class_encoder", "classes": [1, 2]},
])
def test_block_hyperparameters_in_a_file_are_plain_data(fork_join_bytes, value):
    payload = fork_join_bytes[0]
    spec = _foreign_spec(payload)
    path_a = next(b for b in spec["blocks"] if b["name"] == "path_a")
    path_a["hyperparameters"]["units"] = value
    with pytest.raises(LoadError, match=r"block 'path_a'.*hyperparameter 'units'.*numbers, str"):
        kerasnip.load(io.BytesIO(manifest_with(payload, spec=spec)))
    params = {**_manifest(payload)["params"], "path_a_units": value}
    with pytest.raises(LoadError, match=r"parameter 'path_a_units'.*numbers, strings"):
        kerasnip.load(io.BytesIO(manifest_with(payload, params=params)))


# --------------------------------------------------------------------------- fitted state


@pytest.fixture(scope="module")
def classifier_bytes(clf_spec, digits):
    X, y = digits
    labels = np.array(["w", "x", "y", "z"])[y]
    return _saved(clf_spec(fit_epochs=1, random_state=0, hidden_units=4).fit(X, labels)), X


def _fitted_with(payload: bytes, **changes) -> bytes:
    fitted = {**_manifest(payload)["fitted"], **changes}
    return manifest_with(payload, fitted={k: v for k, v in fitted.items() if v is not None})


def test_a_consistent_file_loads(classifier_bytes):
    est = kerasnip.load(io.BytesIO(classifier_bytes[0]))
    assert est.classes_.tolist() == ["w", "x", "y", "z"]


def _swapped_classes(payload):
    classes = _manifest(payload)["fitted"]["classes_"]
    return {**classes, "data": classes["data"][::-1]}


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: {"predict": "str"}, r"\['predict'\], which are not fitted attributes"),
    (lambda p: {"classes_": _swapped_classes(p)}, r"classes_ \['z', 'y', 'x', 'w'\] differ"),
    (lambda p: {"target_format_": "binary"}, r"target_format_ 'binary' does not fit"),
    (lambda p: {"target_format_": "ascii"}, r"\['target_format_'\] do not have the type"),
    (lambda p: {"encoder_": None}, r"lacks the fitted attribute\(s\) \['encoder_'\]"),
    (lambda p: {"input_shape_": {"__kerasnip__": "tuple", "items": [8, 8]}},
     r"input_shape_ \(8, 8\) does not match the model's inputs \(64,\)"),
    (lambda p: {"seed_": "zero"}, r"\['seed_'\] do not have the type"),
    (lambda p: {"n_outputs_": 2}, r"not fitted attributes of test_clf"),
])
def test_a_tampered_fitted_state_is_a_load_error(classifier_bytes, change, message):
    payload = classifier_bytes[0]
    with pytest.raises(LoadError, match=message):
        kerasnip.load(io.BytesIO(_fitted_with(payload, **change(payload))))


def test_a_regressor_width_must_match_its_model(reg_spec, regression_data):
    X, y = regression_data
    payload = _saved(reg_spec(fit_epochs=1, random_state=0).fit(X, y))
    with pytest.raises(LoadError, match=r"has 1 unit\(s\) but y has 3 column\(s\)"):
        kerasnip.load(io.BytesIO(_fitted_with(payload, n_outputs_=3, y_ndim_=2)))
    with pytest.raises(LoadError, match="1-D but had 3 columns"):
        kerasnip.load(io.BytesIO(_fitted_with(payload, n_outputs_=3)))


def test_a_multi_output_file_must_keep_its_heads():
    X, y = functional_blocks.two_head_data(30)
    spec = kerasnip.create_keras_functional_spec("loading_heads",
                                                 functional_blocks.TWO_HEAD_BLOCKS,
                                                 "classification")
    payload = _saved(spec(fit_epochs=1, random_state=0).fit(X, y))
    heads = _manifest(payload)["fitted"]["heads_"]
    with pytest.raises(LoadError, match=r"heads_ \['digit'\] do not match the model's outputs"):
        kerasnip.load(io.BytesIO(_fitted_with(payload, heads_={"digit": heads["digit"]})))
    with pytest.raises(LoadError, match="do not agree"):
        kerasnip.load(io.BytesIO(_fitted_with(payload, classes_={})))


def test_a_parameter_named_after_a_method_is_a_load_error(classifier_bytes):
    payload = classifier_bytes[0]
    params = {**_manifest(payload)["params"], "predict": "str"}
    with pytest.raises(LoadError, match=r"sets parameter\(s\) \['predict'\]"):
        kerasnip.load(io.BytesIO(manifest_with(payload, params=params)))


# --------------------------------------------------------------------------- any file


_DANGEROUS = ["os:system", "subprocess:run", "builtins:exec", "os:makedirs", "pickle:loads"]
_TAGS = ["scalar", "ndarray", "tuple", "dict", "frame", "tune", "class_encoder", "dataclass",
         "registered", "pickle", "module"]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(_DANGEROUS),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=16,
)
_FIELDS = st.sampled_from(["items", "dtype", "shape", "data", "value", "class", "fields", "kind",
                           "name", "id", "classes", "columns"])
_TAGGED = st.builds(lambda tag, fields: {"__kerasnip__": tag, **fields}, st.sampled_from(_TAGS),
                    st.dictionaries(_FIELDS, _JSON, max_size=4))
_VALUES = st.one_of(_JSON, _TAGGED)


def _paths(value, prefix=()):
    """Every place in a manifest a value can be put (dict keys and list positions)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            yield from _paths(item, (*prefix, index))


def _replaced(manifest, path, value):
    """``manifest`` with ``value`` at ``path``; unchanged when an earlier replacement
    removed that place."""
    if not path:
        return value
    copy_ = json.loads(json.dumps(manifest))
    target = copy_
    try:
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        return manifest
    return copy_


def _load_bounded(payload: bytes):
    """Load ``payload``: an estimator or a LoadError, nothing imported, bounded memory."""
    import sys
    import tracemalloc

    modules = set(sys.modules)
    tracemalloc.start()
    try:
        try:
            result = kerasnip.load(io.BytesIO(payload))
        except LoadError as exc:
            result = exc
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert set(sys.modules) - modules == set(), "loading imported a module"
    assert peak < 64 * 2**20
    return result


@pytest.fixture(scope="module")
def valid_file(reg_spec, regression_data):
    X, y = regression_data
    payload = _saved(reg_spec(fit_epochs=1, random_state=0, hidden_units=4).fit(X, y))
    kerasnip.load(io.BytesIO(payload))  # what a first load imports, imported now
    return payload, _manifest(payload)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_manifest_loads_or_is_a_load_error(valid_file, data):
    payload, manifest = valid_file
    paths = list(_paths(manifest))
    for _ in range(data.draw(st.integers(1, 3))):
        manifest = _replaced(manifest, data.draw(st.sampled_from(paths)), data.draw(_VALUES))
    _load_bounded(manifest_with(payload, **manifest) if isinstance(manifest, dict)
                  else _with_member(payload, kerasnip_json=json.dumps(manifest).encode()))


def _with_member(payload, **members):
    from tests.helpers import rewrite_archive

    return rewrite_archive(payload, **members)


@settings(max_examples=60, deadline=None)
@given(members=st.lists(st.tuples(
    st.sampled_from(["kerasnip.json", "model.keras", "config.json", "../escape", "x"]),
    st.one_of(st.binary(max_size=300), _VALUES.map(lambda v: json.dumps(v).encode()))),
    max_size=4), raw=st.binary(max_size=300))
def test_any_archive_is_a_load_error(valid_file, members, raw):
    assert isinstance(_load_bounded(raw), LoadError)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members:
            archive.writestr(name, content)
    assert isinstance(_load_bounded(buffer.getvalue()), LoadError)


def test_loading_registers_a_removed_spec_again_as_unpickling_does(regression_data):
    import pickle

    from tests.blocks import REGRESSOR_BLOCKS

    spec = kerasnip.create_keras_sequential_spec("reload_me", REGRESSOR_BLOCKS, "regression")
    X, y = regression_data
    est = spec(fit_epochs=1, random_state=0).fit(X, y)
    payload, pickled = _saved(est), pickle.dumps(est)
    try:
        for read in (lambda: kerasnip.load(io.BytesIO(payload)), lambda: pickle.loads(pickled)):
            kerasnip.remove_keras_spec("reload_me")
            assert not kerasnip.model_exists("reload_me")
            loaded = read()
            assert kerasnip.model_exists("reload_me")
            assert kerasnip.get_spec("reload_me") is type(loaded)
    finally:
        kerasnip.remove_keras_spec("reload_me")


def test_an_array_value_out_of_its_dtype_range_is_a_load_error(classifier_bytes):
    """Found by the Hypothesis test above: a float too large for an int64 array."""
    payload, _ = classifier_bytes
    huge = {"__kerasnip__": "ndarray", "dtype": "<i8", "shape": [1], "data": 9.3e18}
    with pytest.raises(LoadError, match=r"manifest is damaged \(OverflowError"):
        kerasnip.load(io.BytesIO(_fitted_with(payload, n_features_in_=huge)))
