"""est.save / kerasnip.load (one safe zip file); pickle-family round trips in a fresh process."""

import inspect
import io
import json
import os
import pickle
import sys
import zipfile

import cloudpickle
import joblib
import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import kerasnip
from kerasnip import factory, registry
from kerasnip.errors import LoadError
from kerasnip.saving import spec_data
from kerasnip.saving.archive import FORMAT_VERSION, read_manifest
from tests.helpers import assert_same_predictions, manifest_with, rewrite_archive, run_script


@pytest.fixture(scope="module")
def fitted_clf(clf_spec, digits):
    X, y = digits
    labels = np.array(["zero", "one", "two", "three"])[y]
    est = clf_spec(fit_epochs=2, random_state=0, hidden_units=8, fit_validation_split=0.25)
    return est.fit(X, labels), X, labels


@pytest.fixture(scope="module")
def fitted_reg(reg_spec, regression_data):
    X, y = regression_data
    return reg_spec(fit_epochs=2, random_state=0).fit(X, y), X, y


@pytest.fixture
def without_live_classes(monkeypatch):
    """Make load() rebuild the class from the file, as in a process that never had it."""
    monkeypatch.setattr(factory, "_CLASSES_BY_TOKEN", {})


# --------------------------------------------------------------------------- same process


@pytest.mark.smoke
def test_save_load_same_process_keeps_everything(fitted_clf, tmp_path):
    est, X, _ = fitted_clf
    path = tmp_path / "clf.kerasnip"
    assert est.save(path) is None
    loaded = kerasnip.load(path)
    assert type(loaded) is type(est)  # the live class is reused
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    assert loaded.get_params() == est.get_params()
    pd.testing.assert_frame_equal(loaded.history_, est.history_)
    assert loaded.input_shape_ == est.input_shape_ == (64,)
    assert loaded.target_format_ == est.target_format_
    assert loaded.fit_time_ == est.fit_time_
    assert repr(loaded) == repr(est)


def test_loaded_model_keeps_compile_and_optimizer_state(fitted_clf, tmp_path):
    est, X, y = fitted_clf
    est.save(tmp_path / "clf.kerasnip")
    loaded = kerasnip.load(tmp_path / "clf.kerasnip")
    assert loaded.model_.compiled
    assert type(loaded.model_.optimizer) is type(est.model_.optimizer)
    assert int(loaded.model_.optimizer.iterations) == int(est.model_.optimizer.iterations) > 0
    expected = kerasnip.keras_evaluate(est, X, y)
    assert kerasnip.keras_evaluate(loaded, X, y) == pytest.approx(expected)


LABELS = {
    "ints": np.array([3, 5, 7, 9] * 6),
    "strings": np.array(["cat", "dog", "emu", "fox"] * 6),
    "bools": np.array([True, False] * 12),
    "categorical": pd.Series(pd.Categorical(["lo", "mid", "hi"] * 8,
                                            categories=["lo", "mid", "hi"])),
    "object strings": np.array(["x", "y", "z"] * 8, dtype=object),
}


@pytest.mark.parametrize("kind", list(LABELS))
def test_labels_round_trip_with_their_type(clf_spec, kind, tmp_path, without_live_classes):
    y = LABELS[kind]
    X = np.random.default_rng(0).random((24, 3)).astype("float32")
    est = clf_spec(fit_epochs=1, random_state=0, hidden_units=4).fit(X, y)
    est.save(tmp_path / "m.kerasnip")
    loaded = kerasnip.load(tmp_path / "m.kerasnip")
    assert loaded.classes_.dtype == est.classes_.dtype
    assert loaded.classes_.tolist() == est.classes_.tolist()
    assert [type(c) for c in loaded.classes_] == [type(c) for c in est.classes_]
    predicted = loaded.predict(X)
    np.testing.assert_array_equal(predicted, est.predict(X))
    assert predicted.dtype == est.predict(X).dtype


def test_regressor_with_dataframe_and_multicolumn_y(reg_spec, tmp_path, without_live_classes):
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    y = np.column_stack([X.sum(axis=1), X["a"] - X["b"]]).astype("float32")
    est = reg_spec(fit_epochs=2, random_state=0).fit(X, y)
    est.save(tmp_path / "reg.kerasnip")
    loaded = kerasnip.load(tmp_path / "reg.kerasnip")
    assert type(loaded) is not type(est) and type(loaded).__name__ == "test_reg"
    assert loaded.n_outputs_ == 2 and loaded.y_ndim_ == 2
    assert loaded.feature_names_in_.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(X[["c", "b", "a"]].rename(columns={"c": "z"}))


def test_file_objects_work(fitted_reg):
    est, X, _ = fitted_reg
    buffer = io.BytesIO()
    est.save(buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(kerasnip.load(buffer).predict(X), est.predict(X))


def test_saving_an_unfitted_estimator_raises(clf_spec, tmp_path):
    with pytest.raises(NotFittedError):
        clf_spec().save(tmp_path / "x.kerasnip")
    assert not list(tmp_path.iterdir())  # no stray file


def test_manifest_records_the_spec_as_data(fitted_clf, tmp_path):
    est, _, _ = fitted_clf
    est.save(tmp_path / "clf.kerasnip")
    manifest = read_manifest(tmp_path / "clf.kerasnip")
    assert manifest["format"] == "kerasnip-estimator"
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["keras_version"] == keras.__version__
    spec = manifest["spec"]
    assert (spec["model_name"], spec["kind"], spec["mode"]) == (
        "test_clf", "sequential", "classification")
    blocks = {b["name"]: b for b in spec["blocks"]}
    assert blocks["hidden"]["function"] == "tests.blocks:dense_block"
    assert blocks["hidden"]["hyperparameters"] == {"units": 16, "rate": 0.0}
    assert blocks["output"]["injected"] == ["num_classes"]
    assert "hidden_units" in [p["name"] for p in spec["parameters"]]
    assert manifest["params"]["hidden_units"] == 8
    # The archive holds exactly the manifest and the model, and nothing is pickled.
    with zipfile.ZipFile(tmp_path / "clf.kerasnip") as archive:
        assert sorted(archive.namelist()) == ["kerasnip.json", "model.keras"]


def test_values_keep_their_types(clf_spec, digits, tmp_path, without_live_classes):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=np.int64(3), learn_rate=np.float32(0.01),
                   compile_metrics=("accuracy",), fit_batch_size=16,
                   fit_class_weight={0: 1.0, 1: 2.0, 2: 1.0, 3: 1.0}).fit(X, y)
    est.save(tmp_path / "m.kerasnip")
    params = kerasnip.load(tmp_path / "m.kerasnip").get_params()
    assert type(params["random_state"]) is np.int64 and params["random_state"] == 3
    assert type(params["learn_rate"]) is np.float32 and params["learn_rate"] == np.float32(0.01)
    assert params["compile_metrics"] == ("accuracy",)
    assert params["fit_class_weight"] == {0: 1.0, 1: 2.0, 2: 1.0, 3: 1.0}
    assert list(params["fit_class_weight"]) == [0, 1, 2, 3]  # int keys, not "0"


def test_parameters_that_are_not_data_are_dropped_with_a_warning(reg_spec, regression_data,
                                                                 tmp_path):
    X, y = regression_data
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=3)
    est = reg_spec(fit_epochs=2, random_state=0, fit_callbacks=[stop]).fit(X, y)
    with pytest.warns(UserWarning, match=r"fit_callbacks.*not data"):
        est.save(tmp_path / "m.kerasnip")
    assert "EarlyStopping" in read_manifest(tmp_path / "m.kerasnip")["dropped_params"][
        "fit_callbacks"]
    loaded = kerasnip.load(tmp_path / "m.kerasnip")
    assert loaded.fit_callbacks is None
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_fitted_attribute_that_is_not_data_is_an_error(fitted_reg, tmp_path):
    est, _, _ = fitted_reg
    odd = clone(est)
    odd.__dict__.update(est.__dict__)
    odd.extra_ = object()
    with pytest.raises(TypeError, match=r"extra_.*pickle the estimator instead"):
        odd.save(tmp_path / "m.kerasnip")
    assert not (tmp_path / "m.kerasnip").exists()


@pytest.mark.smoke
def test_loaded_estimator_refits_when_blocks_import(fitted_reg, tmp_path, without_live_classes):
    est, X, y = fitted_reg
    est.save(tmp_path / "m.kerasnip")
    loaded = kerasnip.load(tmp_path / "m.kerasnip")
    assert type(loaded) is not type(est)
    block = loaded.kerasnip_spec.blocks["hidden"].function
    assert isinstance(block, spec_data.SavedBlock)
    # Same parameters, same seed: the rebuilt class trains exactly the same model.
    np.testing.assert_array_equal(clone(loaded).fit(X, y).predict(X), est.predict(X))
    # and a loaded estimator can be saved again and pickled
    loaded.save(tmp_path / "again.kerasnip")
    again = kerasnip.load(tmp_path / "again.kerasnip")
    assert read_manifest(tmp_path / "again.kerasnip")["spec"]["blocks"][1]["function"] == (
        "tests.blocks:dense_block")
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    np.testing.assert_array_equal(cloudpickle.loads(cloudpickle.dumps(loaded)).predict(X),
                                  est.predict(X))


def test_partial_fit_continues_a_loaded_model(fitted_reg, tmp_path, without_live_classes):
    est, X, y = fitted_reg
    est.save(tmp_path / "m.kerasnip")
    loaded = kerasnip.load(tmp_path / "m.kerasnip")
    before = loaded.predict(X)
    loaded.partial_fit(X, y)
    assert loaded.history_["epoch"].tolist() == [1, 2, 3]
    assert not np.array_equal(loaded.predict(X), before)
    np.testing.assert_array_equal(est.predict(X), before)  # the original is untouched


# --------------------------------------------------------------------------- registered objects


def _abs_loss(y_true, y_pred):
    return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)


def _renamed_abs_loss(y_true, y_pred):
    return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)


def _max_error(y_true, y_pred):
    return keras.ops.max(keras.ops.abs(y_true - y_pred), axis=-1)


class _HalfSquare(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return 0.5 * keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)


@pytest.fixture
def registered(monkeypatch):
    """Registered custom objects, removed again after the test."""
    monkeypatch.setattr(registry, "_LOSSES", dict(registry._LOSSES))
    monkeypatch.setattr(registry, "_METRICS", dict(registry._METRICS))
    kerasnip.register_keras_loss("abs_test_loss", _abs_loss)
    kerasnip.register_keras_loss("half_square_test", _HalfSquare())
    kerasnip.register_keras_metric("max_test_error", _max_error)


@pytest.mark.parametrize("loss", ["abs_test_loss", "half_square_test"])
def test_registered_loss_and_metric_reload(reg_spec, regression_data, tmp_path, registered,
                                           loss):
    X, y = regression_data
    est = reg_spec(fit_epochs=2, random_state=0, compile_loss=loss,
                   compile_metrics=["max_test_error"]).fit(X, y)
    path = tmp_path / "m.kerasnip"
    est.save(path)
    assert read_manifest(path)["registered"]["metric"] == {"max_test_error": "_max_error"}

    # Not registered any more: a clear error naming what to register.
    del registry._METRICS["max_test_error"]
    with pytest.raises(LoadError, match=r"register_keras_metric\('max_test_error'"):
        kerasnip.load(path)

    # The same name registered again (even with a function of another name) reloads.
    kerasnip.register_keras_metric("max_test_error", lambda t, p: _max_error(t, p))
    registry._METRICS["max_test_error"].__name__ = "max_again"
    loaded = kerasnip.load(path)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    # Keras names the metric after the function now registered; the values agree.
    expected = list(kerasnip.keras_evaluate(est, X, y).values())
    assert list(kerasnip.keras_evaluate(loaded, X, y).values()) == pytest.approx(expected)


def test_registered_loss_missing_at_load_is_a_clear_error(reg_spec, regression_data, tmp_path,
                                                          registered):
    X, y = regression_data
    est = reg_spec(fit_epochs=1, random_state=0, compile_loss="abs_test_loss").fit(X, y)
    est.save(tmp_path / "m.kerasnip")
    del registry._LOSSES["abs_test_loss"]
    with pytest.raises(LoadError, match=r"register_keras_loss\('abs_test_loss'"):
        kerasnip.load(tmp_path / "m.kerasnip")
    kerasnip.register_keras_loss("abs_test_loss", _renamed_abs_loss)
    np.testing.assert_array_equal(kerasnip.load(tmp_path / "m.kerasnip").predict(X),
                                  est.predict(X))


def test_registered_object_given_directly_is_saved_by_name(reg_spec, regression_data, tmp_path,
                                                           registered, without_live_classes):
    X, y = regression_data
    est = reg_spec(fit_epochs=1, random_state=0, compile_loss=_abs_loss).fit(X, y)
    est.save(tmp_path / "m.kerasnip")
    assert kerasnip.load(tmp_path / "m.kerasnip").compile_loss is _abs_loss


# --------------------------------------------------------------------------- damaged files


@pytest.fixture(scope="module")
def saved_bytes(fitted_reg, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "m.kerasnip"
    fitted_reg[0].save(path)
    return path.read_bytes()


def _flip_byte(payload: bytes, position: int) -> bytes:
    data = bytearray(payload)
    data[position] ^= 0xFF
    return bytes(data)


def _damaged_files(payload: bytes):
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        info = archive.getinfo("model.keras")
    inside_model = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    other_model = io.BytesIO()
    with zipfile.ZipFile(other_model, "w") as archive:
        archive.writestr("metadata.json", "{}")
    foreign = io.BytesIO()
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("readme.txt", "hello")
    keras_file = io.BytesIO()
    with zipfile.ZipFile(keras_file, "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"")
    return {
        "truncated": (payload[: len(payload) // 2], "truncated or corrupted"),
        "empty": (b"", "truncated or corrupted"),
        "not a zip": (b"just some text\n" * 20, "truncated or corrupted"),
        "flipped byte": (_flip_byte(payload, inside_model), "corrupted"),
        "foreign zip": (foreign.getvalue(), "not a kerasnip estimator"),
        "keras file": (keras_file.getvalue(), "keras.saving.load_model"),
        "manifest not json": (rewrite_archive(payload, kerasnip_json=b"{not json"),
                              "not valid JSON"),
        "other format": (manifest_with(payload, format="something-else"),
                         "does not describe a kerasnip estimator"),
        "newer version": (manifest_with(payload, format_version=99),
                          "format version 99.*upgrade kerasnip"),
        "bad version": (manifest_with(payload, format_version="1"), "not valid"),
        "no model": (rewrite_archive(payload, model_keras=None), "no model.keras"),
        "swapped model": (rewrite_archive(payload, model_keras=other_model.getvalue()), "checksum"),
        "damaged manifest": (manifest_with(payload, params=["not", "a", "dict"]), "damaged"),
        "unknown tag": (manifest_with(payload, params={"x": {"__kerasnip__": "pickle"}}),
                        "Unknown value tag"),
        "foreign class": (
            manifest_with(payload, fitted={"x_": {"__kerasnip__": "dataclass",
                                                   "class": "os:system", "fields": {}}}),
            "does not load",
        ),
    }


DAMAGE = ["truncated", "empty", "not a zip", "flipped byte", "foreign zip", "keras file",
          "manifest not json", "other format", "newer version", "bad version", "no model",
          "swapped model", "damaged manifest", "unknown tag", "foreign class"]


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_files_raise_load_error(saved_bytes, tmp_path, damage):
    payload, message = _damaged_files(saved_bytes)[damage]
    path = tmp_path / "damaged.kerasnip"
    path.write_bytes(payload)
    with pytest.raises(LoadError, match=message):
        kerasnip.load(path)


def test_load_error_is_a_value_error_and_missing_file_is_file_not_found(tmp_path):
    assert issubclass(LoadError, ValueError)
    with pytest.raises(FileNotFoundError):
        kerasnip.load(tmp_path / "nothing-here.kerasnip")


@pytest.mark.parametrize("dump", [lambda obj, path: path.write_bytes(pickle.dumps(obj)),
                                  joblib.dump], ids=["pickle", "joblib"])
def test_loading_a_pickle_says_it_is_a_pickle(fitted_reg, tmp_path, dump):
    # The pickle embeds the model's .keras zip, which zipfile would find.
    path = tmp_path / "model.pkl"
    dump(fitted_reg[0], path)
    with pytest.raises(LoadError, match=r"it is a pickle.*joblib\.load or pickle\.load"):
        kerasnip.load(path)
    with open(path, "rb") as stream, pytest.raises(LoadError, match="it is a pickle"):
        kerasnip.load(stream)


def test_saving_into_a_missing_folder_names_the_folder(fitted_reg, tmp_path):
    target = tmp_path / "no-such-folder" / "m.kerasnip"
    with pytest.raises(FileNotFoundError, match=r"the folder .*no-such-folder' does not exist"):
        fitted_reg[0].save(target)


def test_saved_file_has_the_mode_open_would_give_it(fitted_reg, tmp_path):
    mask = os.umask(0o027)
    try:
        fitted_reg[0].save(tmp_path / "m.kerasnip")
    finally:
        os.umask(mask)
    assert (tmp_path / "m.kerasnip").stat().st_mode & 0o777 == 0o640


def test_interrupted_save_leaves_previous_file_intact(fitted_reg, tmp_path, monkeypatch):
    est = fitted_reg[0]
    path = tmp_path / "m.kerasnip"
    est.save(path)
    before = path.read_bytes()
    original = zipfile.ZipFile.writestr

    def fail_on_model(self, name, data, *args, **kwargs):
        if str(name) == "model.keras":
            raise OSError("disk full")
        return original(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail_on_model)
    with pytest.raises(OSError, match="disk full"):
        est.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.kerasnip"]  # no temporary left


def test_saved_block_explains_unimportable_paths():
    local = spec_data.SavedBlock("hidden", "mymod:make.<locals>.block")
    with pytest.raises(kerasnip.BlockImportError, match="defined inside a function"):
        local()
    missing_attr = spec_data.SavedBlock("hidden", "tests.blocks:no_such_block")
    with pytest.raises(kerasnip.BlockImportError, match=r"AttributeError.*no_such_block"):
        missing_attr()
    wrapped = spec_data.SavedBlock("path", "tests.blocks:dense_block", {"model": "trunk"})
    assert next(iter(inspect.signature(wrapped.resolve()).parameters)) == "trunk"


# --------------------------------------------------------------------------- functional specs


@pytest.fixture(scope="module")
def functional_models():
    """A two-input classifier and a two-headed (class + regression) model, fitted."""
    from tests import functional_blocks as fb

    made = {}
    for name, blocks, mode, (X, y) in [
        ("persist_two_input", fb.TWO_INPUT_BLOCKS, "classification", fb.two_input_data(40)),
        ("persist_two_head", fb.TWO_HEAD_BLOCKS, "classification", fb.two_head_data(40)),
    ]:
        spec = kerasnip.create_keras_functional_spec(name, blocks, mode)
        made[name] = (spec(fit_epochs=2, random_state=0).fit(X, y), X, y)
    yield made
    for name in made:
        kerasnip.remove_keras_spec(name)


@pytest.mark.parametrize("name", ["persist_two_input", "persist_two_head"])
def test_functional_round_trip(functional_models, name, tmp_path, without_live_classes):
    est, X, y = functional_models[name]
    est.save(tmp_path / "f.kerasnip")
    loaded = kerasnip.load(tmp_path / "f.kerasnip")
    assert type(loaded) is not type(est) and loaded.kerasnip_spec.kind == "functional"
    assert_same_predictions(loaded.predict(X), est.predict(X))
    assert_same_predictions(loaded.predict_proba(X), est.predict_proba(X))
    pd.testing.assert_frame_equal(kerasnip.predict_table(loaded, X),
                                  kerasnip.predict_table(est, X))
    assert kerasnip.keras_evaluate(loaded, X, y) == pytest.approx(
        kerasnip.keras_evaluate(est, X, y))
    # The graph (inp_spec wiring included) is rebuilt from the file: refitting with
    # the same seed trains the very same model.
    assert_same_predictions(clone(loaded).fit(X, y).predict(X), est.predict(X))


def test_functional_manifest_keeps_inp_spec_wiring(functional_models, tmp_path):
    est = functional_models["persist_two_input"][0]
    est.save(tmp_path / "f.kerasnip")
    blocks = {b["name"]: b for b in read_manifest(tmp_path / "f.kerasnip")["spec"]["blocks"]}
    assert blocks["joined"]["function"] == "kerasnip.demo.functional:concat_block"
    assert blocks["joined"]["inp_spec"] == {"input_a": "conv", "input_b": "dense"}
    assert blocks["joined"]["upstream"] == {"conv": "conv", "dense": "dense"}
    assert blocks["image"]["inputs"] == []


class _SlowSGD(keras.optimizers.SGD):
    """A custom optimizer class, known to Keras only through kerasnip's registry."""


def test_registered_optimizer_class_reloads(reg_spec, regression_data, tmp_path, monkeypatch,
                                            without_live_classes):
    monkeypatch.setattr(registry, "_OPTIMIZERS", dict(registry._OPTIMIZERS))
    kerasnip.register_keras_optimizer("slow_sgd_test", _SlowSGD)
    X, y = regression_data
    est = reg_spec(fit_epochs=1, random_state=0, compile_optimizer="slow_sgd_test",
                   learn_rate=0.01).fit(X, y)
    est.save(tmp_path / "m.kerasnip")
    loaded = kerasnip.load(tmp_path / "m.kerasnip")
    assert type(loaded.model_.optimizer) is _SlowSGD
    assert float(loaded.model_.optimizer.learning_rate) == pytest.approx(0.01)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    del registry._OPTIMIZERS["slow_sgd_test"]
    with pytest.raises(LoadError, match=r"register_keras_optimizer\('slow_sgd_test'"):
        kerasnip.load(tmp_path / "m.kerasnip")


# --------------------------------------------------------------------------- fresh process

# One fresh interpreter loads everything (starting one costs seconds): the sequential and
# functional models in every format, and a model whose blocks it cannot import.
FRESH_SCRIPT = """
    import json, pickle, sys
    from pathlib import Path
    import cloudpickle, joblib, numpy as np
    import kerasnip

    folder = Path(sys.argv[1])
    untrusted = {}

    def load_trusting(path):
        # A fresh process has none of the specs: every block function needs trusting.
        untrusted[path.stem] = kerasnip.get_untrusted_blocks(path)
        return kerasnip.load(path, trusted=untrusted[path.stem])

    readers = {
        "kerasnip": load_trusting,
        "pickle": lambda p: pickle.loads(p.read_bytes()),
        "joblib": joblib.load,
        "cloudpickle": lambda p: cloudpickle.loads(p.read_bytes()),
    }
    for name in sys.argv[2:]:
        X = pickle.loads((folder / f"X_{name}.pkl").read_bytes())  # test data, not a model
        for how, read in readers.items():
            est = read(folder / f"{name}.{how}")
            out = {"predict": est.predict(X)}
            if hasattr(est, "predict_proba"):
                out["proba"] = est.predict_proba(X)
            (folder / f"out_{name}_{how}.pkl").write_bytes(pickle.dumps(out))

    try:
        import gone_blocks_for_kerasnip_test  # noqa: F401
        raise SystemExit("the blocks module must not be importable here")
    except ModuleNotFoundError:
        pass
    try:
        kerasnip.load(folder / "gone.kerasnip")
        untrusted_error = None
    except kerasnip.LoadError as exc:
        untrusted_error = str(exc)
    gone = "gone_blocks_for_kerasnip_test"
    est = kerasnip.load(folder / "gone.kerasnip",
                        trusted=[f"{gone}:start", f"{gone}:dense", f"{gone}:head"])
    X, y = np.load(folder / "gone_X.npy"), np.load(folder / "gone_y.npy")
    np.save(folder / "gone_proba.npy", est.predict_proba(X))
    report = {
        "untrusted": untrusted,
        "untrusted_error": untrusted_error,
        "evaluate": kerasnip.keras_evaluate(est, X, y),
        "table": list(kerasnip.predict_table(est, X, type="prob").columns),
        "tidy_rows": len(kerasnip.tidy(est)),
        "repr": repr(est),
        "plot_axes": len(kerasnip.plot_history(est, folder / "gone_history.png").axes),
    }
    est.partial_fit(X, y)
    report["epochs_after_partial_fit"] = int(est.history_["epoch"].iloc[-1])
    try:
        est.fit(X, y)
    except Exception as exc:
        report["refit_error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(report))
"""

GONE_BLOCKS = '''
import keras


def start(model, input_shape):
    return keras.Sequential([keras.Input(shape=input_shape)])


def dense(model, units=8):
    model.add(keras.layers.Dense(units, activation="relu"))
    return model


def head(model, num_classes):
    model.add(keras.layers.Dense(num_classes, activation="softmax"))
    return model
'''



@pytest.fixture(scope="module")
def gone_model(tmp_path_factory):
    """A classifier whose blocks live in a module the fresh process cannot import."""
    blocks_dir = tmp_path_factory.mktemp("blocks")
    (blocks_dir / "gone_blocks_for_kerasnip_test.py").write_text(GONE_BLOCKS)
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(blocks_dir))
        import gone_blocks_for_kerasnip_test as gone

        spec = kerasnip.create_keras_sequential_spec(
            "gone_spec", {"start": gone.start, "dense": gone.dense, "head": gone.head},
            "classification")
        try:
            X = np.random.default_rng(0).random((30, 4)).astype("float32")
            y = np.array(["a", "b", "c"] * 10)
            yield spec(fit_epochs=2, random_state=0, dense_units=6).fit(X, y), X, y
        finally:
            kerasnip.remove_keras_spec("gone_spec")
            sys.modules.pop("gone_blocks_for_kerasnip_test", None)


@pytest.fixture(scope="module")
def fresh_process(fitted_clf, fitted_reg, functional_models, gone_model, tmp_path_factory):
    """Save every model, load them all in one fresh interpreter; its folder and report."""
    folder = tmp_path_factory.mktemp("fresh")
    models = {"clf": fitted_clf, "reg": fitted_reg, **functional_models}
    for name, (est, X, _) in models.items():
        (folder / f"X_{name}.pkl").write_bytes(pickle.dumps(X))
        est.save(folder / f"{name}.kerasnip")
        (folder / f"{name}.pickle").write_bytes(pickle.dumps(est))
        joblib.dump(est, folder / f"{name}.joblib")
        (folder / f"{name}.cloudpickle").write_bytes(cloudpickle.dumps(est))
    est, X, y = gone_model
    est.save(folder / "gone.kerasnip")
    np.save(folder / "gone_X.npy", X)
    np.save(folder / "gone_y.npy", y)
    output = run_script(FRESH_SCRIPT, str(folder), *models)
    return folder, json.loads(output.strip().splitlines()[-1])


def _check_fresh_predictions(folder, name, est, X):
    expected = {"predict": est.predict(X)}
    if hasattr(est, "predict_proba"):
        expected["proba"] = est.predict_proba(X)
    for how in ("kerasnip", "pickle", "joblib", "cloudpickle"):
        got = pickle.loads((folder / f"out_{name}_{how}.pkl").read_bytes())
        assert sorted(got) == sorted(expected), how
        for key, value in expected.items():
            assert_same_predictions(got[key], value)


@pytest.mark.parametrize("which", ["clf", "reg"])
def test_sequential_round_trips_in_a_fresh_process(fresh_process, fitted_clf, fitted_reg, which):
    est, X, _ = fitted_clf if which == "clf" else fitted_reg
    _check_fresh_predictions(fresh_process[0], which, est, X)


@pytest.mark.parametrize("name", ["persist_two_input", "persist_two_head"])
def test_functional_round_trips_in_a_fresh_process(fresh_process, functional_models, name):
    est, X, _ = functional_models[name]
    _check_fresh_predictions(fresh_process[0], name, est, X)


def test_fresh_process_predicts_without_the_blocks(fresh_process, gone_model):
    folder, report = fresh_process
    est, X, y = gone_model
    np.testing.assert_array_equal(np.load(folder / "gone_proba.npy"), est.predict_proba(X))
    assert report["evaluate"] == pytest.approx(kerasnip.keras_evaluate(est, X, y))
    assert report["table"] == [".pred_a", ".pred_b", ".pred_c"]
    assert report["tidy_rows"] == 2
    assert report["repr"] == "gone_spec(dense_units=6, fit_epochs=2, random_state=0)"
    assert report["plot_axes"] >= 2 and (folder / "gone_history.png").stat().st_size > 0
    assert report["epochs_after_partial_fit"] == 3


def test_a_fresh_process_trusts_no_block_function_until_told(fresh_process):
    report = fresh_process[1]
    assert report["untrusted"]["clf"] == ["tests.blocks:dense_block", "tests.blocks:input_block",
                                          "tests.blocks:softmax_output"]
    assert "tests.functional_blocks:regression_output" in report["untrusted"]["persist_two_head"]
    assert "does not trust" in report["untrusted_error"]
    assert "gone_blocks_for_kerasnip_test:start" in report["untrusted_error"]


def test_fresh_process_refit_names_the_block_that_cannot_be_imported(fresh_process):
    error = fresh_process[1]["refit_error"]
    assert error.startswith("BlockImportError")
    assert "gone_blocks_for_kerasnip_test:start" in error
    assert "No module named 'gone_blocks_for_kerasnip_test'" in error


def test_lambda_layers_need_safe_mode_off(regression_data, tmp_path, monkeypatch):
    from tests.blocks import input_block, linear_output

    def doubled(model):
        model.add(keras.layers.Lambda(lambda x: x * 2.0))
        return model

    spec = kerasnip.create_keras_sequential_spec(
        "persist_lambda", {"input": input_block, "twice": doubled, "output": linear_output},
        "regression")
    try:
        X, y = regression_data
        est = spec(fit_epochs=1, random_state=0).fit(X, y)
        est.save(tmp_path / "m.kerasnip")
    finally:
        kerasnip.remove_keras_spec("persist_lambda")
    monkeypatch.setattr(factory, "_CLASSES_BY_TOKEN", {})  # as in a new process
    # Keras's safe mode refuses to run the lambda's code from the file ...
    with pytest.raises(LoadError, match="safe_mode=False"):
        kerasnip.load(tmp_path / "m.kerasnip")
    # ... unless the user trusts it; a block defined in a function cannot be refitted.
    loaded = kerasnip.load(tmp_path / "m.kerasnip", safe_mode=False)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    with pytest.raises(kerasnip.BlockImportError, match="defined inside a function"):
        clone(loaded).fit(X, y)


def test_cached_interval_posterior_is_saved(reg_spec, regression_data, tmp_path,
                                            without_live_classes):
    X, y = regression_data
    est = reg_spec(fit_epochs=1, random_state=0).fit(X, y)
    expected = kerasnip.predict_table(est, X, type="pred_int", seed=1)  # caches laplace_
    est.save(tmp_path / "m.kerasnip")
    loaded = kerasnip.load(tmp_path / "m.kerasnip")
    assert not hasattr(loaded, "_fit_data")  # the training data is never saved
    pd.testing.assert_frame_equal(kerasnip.predict_table(loaded, X, type="pred_int", seed=1),
                                  expected)


def test_block_default_that_is_not_data_loads_as_none(regression_data, tmp_path, monkeypatch):
    from tests.blocks import input_block, linear_output

    def activated(model, activation=keras.activations.relu):
        model.add(keras.layers.Activation(activation))
        return model

    spec = kerasnip.create_keras_sequential_spec(
        "persist_callable_default",
        {"input": input_block, "act": activated, "output": linear_output}, "regression")
    try:
        X, y = regression_data
        est = spec(fit_epochs=1, random_state=0).fit(X, y)
        with pytest.warns(UserWarning, match="not data"):
            est.save(tmp_path / "m.kerasnip")
    finally:
        kerasnip.remove_keras_spec("persist_callable_default")
    monkeypatch.setattr(factory, "_CLASSES_BY_TOKEN", {})
    loaded = kerasnip.load(tmp_path / "m.kerasnip")
    assert loaded.get_params()["act_activation"] is None
    assert repr(loaded) == "persist_callable_default(fit_epochs=1, random_state=0)"
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


# --------------------------------------------------------------------------- bounded reads


def _zip_by_hand(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of ``(name, raw deflate data, crc32, uncompressed size)`` members, written
    without compressing anything (so a test can make a gigabyte bomb in a moment)."""
    import struct

    local, central = b"", b""
    for name, data, crc, size in members:
        encoded = name.encode()
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data),
                             size, len(encoded), 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                               len(data), size, len(encoded), 0, 0, 0, 0, 0, len(local))
        central += encoded
        local += header + encoded + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                      len(local), 0)
    return local + central + end


def _deflated(chunk: bytes, repeats: int) -> tuple[bytes, int, int]:
    """Raw deflate data of ``chunk`` repeated, its CRC and its size: each full flush
    resets the compressor, so one chunk's compressed bytes repeat."""
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    return block * repeats + compressor.flush(), crc, len(chunk) * repeats


@pytest.fixture(scope="module")
def manifest_bomb():
    """A 1 MB file whose kerasnip.json expands to 1 GiB of spaces."""
    import zlib

    data, crc, size = _deflated(b" " * 2**20, 1024)
    model = b"not read"
    return _zip_by_hand([("kerasnip.json", data, crc, size),
                         ("model.keras", zlib.compress(model)[2:-4], zlib.crc32(model),
                          len(model))])


def test_a_decompression_bomb_is_refused_before_it_is_read(manifest_bomb):
    import tracemalloc

    assert len(manifest_bomb) < 1.1 * 2**20
    with zipfile.ZipFile(io.BytesIO(manifest_bomb)) as archive:  # a well-formed zip
        assert archive.getinfo("kerasnip.json").file_size == 2**30
    tracemalloc.start()
    try:
        with pytest.raises(LoadError, match=r"compressed 1,0\d\d times.*decompression bomb"):
            kerasnip.load(io.BytesIO(manifest_bomb))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20  # it was 3.3 GB before the check


def test_members_are_bounded_by_size_and_count(fitted_reg, monkeypatch):
    from kerasnip.saving import archive

    buffer = io.BytesIO()
    fitted_reg[0].save(buffer)
    monkeypatch.setattr(archive, "MAX_MANIFEST_BYTES", 100)
    with pytest.raises(LoadError, match=r"kerasnip.json would expand to [\d,]+ bytes, more than"):
        kerasnip.load(io.BytesIO(buffer.getvalue()))
    monkeypatch.undo()
    crowded = io.BytesIO()
    with zipfile.ZipFile(crowded, "w") as target:
        for i in range(archive.MAX_MEMBERS + 1):
            target.writestr(f"member{i}", b"")
    with pytest.raises(LoadError, match=r"holds 65 members, more than the 64"):
        kerasnip.load(io.BytesIO(crowded.getvalue()))


def test_a_bomb_inside_the_keras_model_is_refused_before_keras_reads_it(fitted_reg):
    import hashlib

    data, crc, size = _deflated(b"\0" * 2**20, 256)
    inner = _zip_by_hand([("config.json", data, crc, size)])
    buffer = io.BytesIO()
    fitted_reg[0].save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source:
        manifest = json.loads(source.read("kerasnip.json"))
    manifest["members"]["model.keras"] = {"sha256": hashlib.sha256(inner).hexdigest(),
                                          "size": len(inner)}
    tampered = io.BytesIO()
    with zipfile.ZipFile(tampered, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("kerasnip.json", json.dumps(manifest))
        target.writestr("model.keras", inner)
    with pytest.raises(LoadError, match=r"model.keras's member 'config.json' is compressed"):
        kerasnip.load(io.BytesIO(tampered.getvalue()))
