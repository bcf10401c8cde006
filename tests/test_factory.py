"""The spec factory: generated signature, docstring, registry, injection and repeats;
classes that pickle by definition; scikit-learn's text and HTML representations of them."""

import copy
import inspect
import pickle
import pydoc
import re
import warnings

import keras
import numpy as np
import pytest
import sklearn
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import kerasnip
import kerasnip.specs
from kerasnip.keras_args import compile_arguments, fit_arguments
from tests.blocks import (
    CLASSIFIER_BLOCKS,
    dense_block,
    input_block,
    softmax_output,
)
from tests.helpers import PICKLERS, round_trip, run_script


def _dense_units(model):
    return [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def test_signature_lists_every_generated_parameter(clf_spec):
    params = inspect.signature(clf_spec).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    # the first block creates the model, so it has no repeat count
    assert "num_input" not in params
    assert params["num_hidden"].default == 1
    assert params["num_output"].default == 1
    # block hyperparameters default to the block function's own defaults
    assert params["hidden_units"].default == 16
    assert params["hidden_rate"].default == 0.0
    # injected arguments are never parameters
    assert not any(name.endswith(("input_shape", "num_classes")) for name in params)
    assert params["learn_rate"].default is None
    assert params["random_state"].default is None
    assert params["verbose"].default == 0
    for arg in ("optimizer", "loss", "metrics", "loss_weights"):
        assert params[f"compile_{arg}"].default is None
    for arg in ("epochs", "batch_size", "callbacks", "class_weight", "validation_split",
                "shuffle", "validation_data"):
        assert params[f"fit_{arg}"].default is None
    # data and verbosity of keras.Model.fit are not parameters
    for arg in ("x", "y", "sample_weight", "verbose"):
        assert f"fit_{arg}" not in params


def test_compile_and_fit_parameters_follow_installed_keras(clf_spec):
    params = inspect.signature(clf_spec).parameters
    keras_compile = set(inspect.signature(keras.Model.compile).parameters) - {"self", "kwargs"}
    keras_fit = set(inspect.signature(keras.Model.fit).parameters) - {
        "self", "x", "y", "sample_weight", "verbose"}
    assert {f"compile_{a}" for a in keras_compile} <= set(params)
    assert {f"fit_{a}" for a in keras_fit} <= set(params)
    assert set(compile_arguments()) == keras_compile
    assert set(fit_arguments()) == keras_fit


def test_get_params_matches_signature_and_init_stores_values(clf_spec):
    est = clf_spec(num_hidden=3, hidden_units=7, fit_epochs=2)
    params = est.get_params()
    assert list(params) == sorted(inspect.signature(clf_spec).parameters)
    assert params["num_hidden"] == 3 and params["hidden_units"] == 7
    assert params["fit_epochs"] == 2 and params["compile_loss"] is None


def test_positional_arguments_are_rejected(clf_spec):
    with pytest.raises(TypeError, match="keyword arguments only"):
        clf_spec(2)


def test_generated_class_bases_and_name(clf_spec, reg_spec):
    assert clf_spec.__name__ == "test_clf"
    assert issubclass(clf_spec, kerasnip.KerasClassifier) and is_classifier(clf_spec())
    assert issubclass(reg_spec, kerasnip.KerasRegressor) and is_regressor(reg_spec())
    # scikit-learn's mixins must come before BaseEstimator in the MRO
    mro = [c.__name__ for c in clf_spec.__mro__]
    assert mro.index("ClassifierMixin") < mro.index("BaseEstimator")


def test_docstring_describes_blocks_parameters_and_injection(clf_spec):
    doc = clf_spec.__doc__
    assert "dense_block(units=16, rate=0.0)" in doc
    assert "softmax_output(no hyperparameters); injected: num_classes" in doc
    assert "input_block(no hyperparameters); injected: input_shape" in doc
    assert "num_hidden : default=1" in doc
    assert "hidden_units : default=16" in doc
    assert "learn_rate : default=None" in doc
    assert "Parameters\n----------" in doc
    # help() shows the real keyword-only signature, not the metaclass's (*args, **kwargs)
    rendered = pydoc.render_doc(clf_spec, renderer=pydoc.plaintext)
    assert "test_clf(*, num_hidden=1, num_output=1, hidden_units=16" in rendered


def test_description_goes_into_docstring():
    cls = kerasnip.create_keras_sequential_spec(
        "described_spec", CLASSIFIER_BLOCKS, "classification", description="An MLP for digits."
    )
    try:
        assert "An MLP for digits." in cls.__doc__
    finally:
        kerasnip.remove_keras_spec("described_spec")


def test_clone_and_set_params(clf_spec):
    est = clf_spec(hidden_units=5, fit_epochs=1)
    copy = clone(est)
    assert copy is not est and type(copy) is clf_spec
    assert copy.get_params() == est.get_params()
    assert est.set_params(hidden_units=9, num_hidden=0) is est
    assert est.hidden_units == 9 and est.num_hidden == 0
    assert copy.hidden_units == 5


def test_clone_of_fitted_estimator_is_unfitted(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    copy = clone(est)
    assert not hasattr(copy, "model_") and copy.get_params() == est.get_params()


def test_mistyped_parameter_at_construction_suggests_the_right_name(clf_spec):
    with pytest.raises(TypeError, match=r"'hiden_units'.*Did you mean 'hidden_units'"):
        clf_spec(hiden_units=32)


def test_mistyped_parameter_at_set_params_suggests_the_right_name(clf_spec):
    est = clf_spec()
    # ValueError, as scikit-learn's set_params raises; the constructor keeps TypeError.
    with pytest.raises(ValueError, match=r"Did you mean 'fit_epochs'"):
        est.set_params(fit_epoch=3)
    with pytest.raises(ValueError, match="no close match"):
        est.set_params(zzz=1)
    with pytest.raises(TypeError, match=r"Did you mean 'fit_epochs'"):
        clf_spec(fit_epoch=3)


def test_registry_round_trip():
    name = "registry_round_trip"
    cls = kerasnip.create_keras_sequential_spec(name, CLASSIFIER_BLOCKS, "classification")
    assert kerasnip.model_exists(name)
    assert kerasnip.get_spec(name) is cls
    # generated classes resolve by module and name while registered
    assert getattr(kerasnip.specs, name) is cls
    assert kerasnip.remove_keras_spec(name) is True
    assert not kerasnip.model_exists(name)
    assert kerasnip.remove_keras_spec(name) is False
    with pytest.raises(AttributeError, match="no kerasnip spec"):
        getattr(kerasnip.specs, name)


def test_recreating_a_spec_replaces_it_with_a_warning():
    name = "replaced_spec"
    first = kerasnip.create_keras_sequential_spec(name, CLASSIFIER_BLOCKS, "classification")
    try:
        with pytest.warns(UserWarning, match="already exists; replacing it"):
            second = kerasnip.create_keras_sequential_spec(
                name, {"input": input_block, "output": softmax_output}, "classification"
            )
        assert kerasnip.get_spec(name) is second and second is not first
        assert "num_hidden" not in inspect.signature(second).parameters
    finally:
        kerasnip.remove_keras_spec(name)


def test_get_spec_unknown_name_suggests_close_match(clf_spec):
    with pytest.raises(KeyError, match="Did you mean 'test_clf'"):
        kerasnip.get_spec("test_clff")


def test_injected_arguments_reach_the_blocks(digits):
    seen = {}

    def recording_input(model, input_shape):
        seen["input_shape"] = input_shape
        return keras.Sequential([keras.Input(shape=input_shape)])

    def recording_output(model, num_classes):
        seen["num_classes"] = num_classes
        model.add(keras.layers.Dense(num_classes, activation="softmax"))
        return model

    cls = kerasnip.create_keras_sequential_spec(
        "recording_spec", {"input": recording_input, "out": recording_output}, "classification"
    )
    try:
        X, y = digits
        cls(fit_epochs=1).fit(X, y)
        assert seen == {"input_shape": (64,), "num_classes": 4}
    finally:
        kerasnip.remove_keras_spec("recording_spec")


def test_num_outputs_is_injected_for_multi_column_regression(reg_spec, regression_data):
    X, y = regression_data
    Y = np.column_stack([y, -y])
    est = reg_spec(fit_epochs=1, random_state=0).fit(X, Y)
    assert _dense_units(est.model_)[-1] == 2
    assert est.predict(X).shape == (len(X), 2)
    single = reg_spec(fit_epochs=1, random_state=0).fit(X, y)
    assert _dense_units(single.model_)[-1] == 1 and single.predict(X).shape == (len(X),)


@pytest.mark.parametrize(("num_hidden", "expected"), [(0, [4]), (1, [6, 4]), (3, [6, 6, 6, 4])])
def test_num_block_repeats_or_removes_a_block(clf_spec, digits, num_hidden, expected):
    X, y = digits
    est = clf_spec(num_hidden=num_hidden, hidden_units=6, fit_epochs=1, random_state=0)
    est.fit(X, y)
    assert _dense_units(est.model_) == expected
    assert est.model_.input_shape == (None, 64)


def test_hyperparameters_apply_to_every_repeat(digits):
    cls = kerasnip.create_keras_sequential_spec(
        "every_repeat",
        {"input": input_block, "hidden": dense_block, "output": softmax_output},
        "classification",
    )
    try:
        X, y = digits
        est = cls(num_hidden=2, hidden_units=3, hidden_rate=0.25, fit_epochs=1).fit(X, y)
        dropouts = [layer.rate for layer in est.model_.layers
                    if isinstance(layer, keras.layers.Dropout)]
        assert dropouts == [0.25, 0.25] and _dense_units(est.model_) == [3, 3, 4]
    finally:
        kerasnip.remove_keras_spec("every_repeat")


@pytest.mark.parametrize(("mode", "arg"), [("regression", "num_classes"),
                                          ("classification", "num_outputs")])
def test_block_requiring_an_argument_its_mode_does_not_inject(mode, arg):
    odd = eval(f"lambda model, {arg}: model")  # a block whose only argument is `arg`
    with pytest.raises(kerasnip.BlockError, match=f"requires '{arg}'.*does not inject"):
        kerasnip.create_keras_sequential_spec(
            "wrong_mode_block", {"input": input_block, "odd": odd}, mode
        )
    assert not kerasnip.model_exists("wrong_mode_block")


def test_injected_argument_with_default_keeps_it_when_not_injected(regression_data):
    def output(model, num_classes=1):
        model.add(keras.layers.Dense(num_classes))
        return model

    cls = kerasnip.create_keras_sequential_spec(
        "default_injected", {"input": input_block, "output": output}, "regression"
    )
    try:
        X, y = regression_data
        est = cls(fit_epochs=1).fit(X, y)
        assert _dense_units(est.model_) == [1]
        assert "output_num_classes" not in est.get_params()
    finally:
        kerasnip.remove_keras_spec("default_injected")


@pytest.fixture(scope="module")
def fitted_clf(clf_spec, digits):
    X, y = digits
    labels = np.array(["zero", "one", "two", "three"])[y]
    return clf_spec(fit_epochs=2, random_state=0).fit(X, labels)


@pytest.fixture(scope="module")
def fitted_reg(reg_spec, regression_data):
    X, y = regression_data
    return reg_spec(fit_epochs=2, random_state=0).fit(X, y)


@pytest.mark.parametrize("how", PICKLERS)
def test_class_round_trip_returns_the_same_class(clf_spec, how):
    assert round_trip(clf_spec, how) is clf_spec
    assert round_trip(kerasnip.KerasClassifier, how) is kerasnip.KerasClassifier


@pytest.mark.smoke
@pytest.mark.parametrize("how", PICKLERS)
def test_fitted_classifier_round_trip(fitted_clf, digits, how):
    X, _ = digits
    loaded = round_trip(fitted_clf, how)
    assert type(loaded) is type(fitted_clf)
    assert isinstance(loaded.model_, keras.Model)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted_clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), fitted_clf.predict(X))
    assert loaded.classes_.tolist() == fitted_clf.classes_.tolist()
    assert loaded.history_.equals(fitted_clf.history_)
    assert loaded.get_params() == fitted_clf.get_params()


@pytest.mark.smoke
@pytest.mark.parametrize("how", PICKLERS)
def test_fitted_regressor_round_trip(fitted_reg, regression_data, how):
    X, _ = regression_data
    loaded = round_trip(fitted_reg, how)
    np.testing.assert_array_equal(loaded.predict(X), fitted_reg.predict(X))
    assert loaded.n_features_in_ == 5


def test_pickling_leaves_the_live_estimator_alone(fitted_clf, digits):
    X, _ = digits
    before = fitted_clf.predict_proba(X)
    model = fitted_clf.model_
    pickle.dumps(fitted_clf)
    assert fitted_clf.model_ is model
    np.testing.assert_array_equal(fitted_clf.predict_proba(X), before)


def test_loaded_estimator_keeps_training(fitted_clf, digits):
    X, y = digits
    labels = np.array(["zero", "one", "two", "three"])[y]
    loaded = pickle.loads(pickle.dumps(fitted_clf))
    loaded.partial_fit(X, labels)
    assert loaded.history_["epoch"].tolist() == [1, 2, 3]
    # the optimizer state travelled with the model: one more epoch moves the weights
    assert not np.array_equal(loaded.predict_proba(X), fitted_clf.predict_proba(X))


def test_unfitted_estimator_and_deepcopy(clf_spec, fitted_clf, digits):
    est = clf_spec(hidden_units=3)
    assert pickle.loads(pickle.dumps(est)).get_params() == est.get_params()
    X, _ = digits
    np.testing.assert_array_equal(copy.deepcopy(fitted_clf).predict_proba(X),
                                  fitted_clf.predict_proba(X))


def test_instance_of_a_replaced_spec_still_pickles(digits):
    def hidden(model, units=3):
        model.add(keras.layers.Dense(units, activation="relu"))
        return model

    def start(model, input_shape):
        return keras.Sequential([keras.Input(shape=input_shape)])

    def out(model, num_classes):
        model.add(keras.layers.Dense(num_classes, activation="softmax"))
        return model

    blocks = {"start": start, "hidden": hidden, "out": out}
    old = kerasnip.create_keras_sequential_spec("replaced_pickle", blocks, "classification")
    X, y = digits
    est = old(fit_epochs=1, random_state=0).fit(X, y)
    try:
        with pytest.warns(UserWarning, match="replacing"):
            kerasnip.create_keras_sequential_spec(
                "replaced_pickle", {"start": start, "out": out}, "classification")
        for how in PICKLERS:
            loaded = round_trip(est, how)
            assert "num_hidden" in loaded.get_params()
            np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
        # the registry keeps the newer definition
        assert "num_hidden" not in kerasnip.get_spec("replaced_pickle")().get_params()
    finally:
        kerasnip.remove_keras_spec("replaced_pickle")


@pytest.mark.smoke
def test_fitted_estimator_predicts_identically_in_a_fresh_process(fitted_clf, digits, tmp_path):
    X, _ = digits
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "proba.npy", fitted_clf.predict_proba(X))
    with open(tmp_path / "est.pkl", "wb") as fh:
        pickle.dump(fitted_clf, fh)
    out = run_script(
        """
        import pickle, sys
        from pathlib import Path
        import numpy as np
        folder = Path(sys.argv[1])
        est = pickle.loads((folder / "est.pkl").read_bytes())
        X = np.load(folder / "X.npy")
        np.testing.assert_array_equal(est.predict_proba(X), np.load(folder / "proba.npy"))
        print(type(est).__name__, est.classes_.tolist())
        """,
        str(tmp_path),
    )
    assert "test_clf ['one', 'three', 'two', 'zero']" in out


MAIN_SCRIPT = """
import pickle, sys
from pathlib import Path
import cloudpickle, joblib, keras, numpy as np, kerasnip

def start(model, input_shape):
    return keras.Sequential([keras.Input(shape=input_shape)])

def hidden(model, units=8, rate=0.1):
    model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.Dropout(rate))
    return model

def out(model, num_classes):
    model.add(keras.layers.Dense(num_classes, activation="softmax"))
    return model

spec = kerasnip.create_keras_sequential_spec(
    "main_mlp", {"start": start, "hidden": hidden, "out": out}, "classification")
rng = np.random.default_rng(0)
X = rng.normal(size=(48, 5)).astype("float32")
y = np.where(X[:, 0] > 0, "pos", "neg")
est = spec(num_hidden=2, fit_epochs=3, random_state=3).fit(X, y)
folder = Path(sys.argv[1])
np.save(folder / "X.npy", X)
np.save(folder / "proba.npy", est.predict_proba(X))
(folder / "est.pkl").write_bytes(pickle.dumps(est))
(folder / "est.cloudpickle").write_bytes(cloudpickle.dumps(est))
joblib.dump(est, folder / "est.joblib")
(folder / "class.pkl").write_bytes(pickle.dumps(spec))
"""


LOAD_SCRIPT = """
import pickle, sys
from pathlib import Path
import __main__, cloudpickle, joblib, numpy as np
assert not hasattr(__main__, "hidden")  # the blocks are not defined here
folder = Path(sys.argv[1])
X, expected = np.load(folder / "X.npy"), np.load(folder / "proba.npy")
for est in (pickle.loads((folder / "est.pkl").read_bytes()),
            cloudpickle.loads((folder / "est.cloudpickle").read_bytes()),
            joblib.load(folder / "est.joblib")):
    np.testing.assert_array_equal(est.predict_proba(X), expected)
    assert est.predict(X).tolist() == [["neg", "pos"][i] for i in expected.argmax(axis=1)]
cls = pickle.loads((folder / "class.pkl").read_bytes())
# the class came with its blocks: it can build and train a new model here
refit = cls(num_hidden=1, hidden_units=4, fit_epochs=1).fit(X, np.where(X[:, 1] > 0, 1, 0))
import kerasnip
print(cls.__name__, kerasnip.model_exists("main_mlp"), len(refit.model_.layers))
"""


def test_blocks_defined_in_main_load_in_a_process_without_them(tmp_path):
    run_script(MAIN_SCRIPT, str(tmp_path))
    out = run_script(LOAD_SCRIPT, str(tmp_path))
    # Dense + Dropout for one hidden repeat, then the output Dense
    assert out.split() == ["main_mlp", "True", "3"]


def test_locally_defined_spec_fits_in_loky_workers(digits):
    from joblib import Parallel, delayed

    def start(model, input_shape):
        return keras.Sequential([keras.Input(shape=input_shape)])

    def out(model, num_classes):
        model.add(keras.layers.Dense(num_classes, activation="softmax"))
        return model

    local = kerasnip.create_keras_sequential_spec(
        "local_loky", {"start": start, "out": out}, "classification")
    try:
        X, y = digits
        fitted = Parallel(n_jobs=2, backend="loky")(
            delayed(lambda est: est.fit(X, y))(local(fit_epochs=1, random_state=seed))
            for seed in (0, 1)
        )
        here = local(fit_epochs=1, random_state=0).fit(X, y)
        assert [type(est).__name__ for est in fitted] == ["local_loky", "local_loky"]
        # same seed in a worker and here: same model
        np.testing.assert_allclose(fitted[0].predict_proba(X), here.predict_proba(X), atol=1e-6)
        assert not np.allclose(fitted[1].predict_proba(X), here.predict_proba(X))
    finally:
        kerasnip.remove_keras_spec("local_loky")


def test_repr_of_defaults_is_just_the_class(clf_spec):
    assert repr(clf_spec()) == "test_clf()"


def test_repr_shows_only_parameters_changed_from_defaults(clf_spec):
    est = clf_spec(fit_epochs=3, hidden_units=32, compile_optimizer="rmsprop")
    assert repr(est) == "test_clf(compile_optimizer='rmsprop', fit_epochs=3, hidden_units=32)"


def test_parameter_set_to_its_default_is_not_shown(clf_spec):
    # hidden_units defaults to the block's own default (16), num_hidden to 1
    assert repr(clf_spec(hidden_units=16, num_hidden=1, verbose=0)) == "test_clf()"
    assert repr(clf_spec(num_hidden=0)) == "test_clf(num_hidden=0)"


def test_repr_shows_tune_markers(clf_spec):
    est = clf_spec(hidden_units=kerasnip.tune(), num_hidden=kerasnip.tune("depth"))
    assert repr(est) == "test_clf(hidden_units=tune(), num_hidden=tune('depth'))"


def test_repr_shows_callbacks_and_lists(clf_spec):
    stop = keras.callbacks.EarlyStopping(patience=2)
    est = clf_spec(fit_callbacks=[stop], compile_metrics=["accuracy"])
    text = repr(est)
    assert text.startswith("test_clf(compile_metrics=['accuracy'],")
    assert "fit_callbacks=[<keras.src.callbacks.early_stopping.EarlyStopping object" in text


def test_repr_after_set_params_and_fit(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).set_params(hidden_units=4)
    before = repr(est)
    assert before == "test_clf(fit_epochs=1, hidden_units=4, random_state=0)"
    assert repr(est.fit(X, y)) == before  # fitting changes no parameter


def test_print_changed_only_false_lists_every_parameter(clf_spec):
    with sklearn.config_context(print_changed_only=False):
        text = repr(clf_spec(fit_epochs=3))
    names = re.findall(r"(\w+)=", text)
    assert names == sorted(clf_spec().get_params())
    assert "fit_epochs=3" in text and "hidden_units=16" in text


def test_long_reprs_are_wrapped_like_scikit_learn(clf_spec):
    est = clf_spec(fit_epochs=3, hidden_units=32, hidden_rate=0.25, compile_optimizer="rmsprop",
                   compile_loss="categorical_crossentropy", fit_batch_size=64, random_state=1)
    lines = repr(est).splitlines()
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    assert lines[1].startswith("         ")  # continuation indented under the open paren


def _html_without_warnings(obj):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return obj._repr_html_()


def test_html_repr_of_an_estimator(clf_spec):
    html = _html_without_warnings(clf_spec(fit_epochs=3, hidden_units=kerasnip.tune()))
    assert "test_clf" in html
    assert "sk-top-container" in html
    # the text fallback is the changed-only repr
    assert "test_clf(fit_epochs=3, hidden_units=tune())" in html
    # scikit-learn's parameter table lists every parameter and marks the user-set ones
    user_set = re.findall(r'<tr class="user-set">.*?<td class="param">(\w+)</td>', html, re.S)
    assert sorted(user_set) == ["fit_epochs", "hidden_units"]
    assert html.count('<td class="param">') == len(clf_spec().get_params())
    assert "Not fitted" in html


def test_html_repr_of_a_fitted_estimator(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    html = _html_without_warnings(est)
    assert "Fitted attributes" in html
    for attribute in ("classes_", "history_", "model_", "n_features_in_"):
        assert attribute in html
    assert "Not fitted" not in html
    bundle = est._repr_mimebundle_()
    assert bundle["text/plain"] == repr(est)
    assert bundle["text/html"].count('id="sk-container-id') == 1


def test_html_diagram_inside_a_pipeline(clf_spec):
    pipe = make_pipeline(StandardScaler(), clf_spec(fit_epochs=3))
    html = _html_without_warnings(pipe)
    labels = re.findall(r'sk-toggleable__label[^>]*><div><div>(\w+)</div>', html)
    assert labels == ["Pipeline", "StandardScaler", "test_clf"]
    assert "test_clf(fit_epochs=3)" in repr(pipe)


def test_repr_of_a_loaded_estimator_matches(reg_spec, regression_data, tmp_path, monkeypatch):
    from kerasnip import factory

    X, y = regression_data
    est = reg_spec(fit_epochs=1, random_state=0, hidden_units=5).fit(X, y)
    est.save(tmp_path / "m.kerasnip")
    monkeypatch.setattr(factory, "_CLASSES_BY_TOKEN", {})
    loaded = kerasnip.load(tmp_path / "m.kerasnip")
    assert type(loaded) is not type(est)
    assert repr(loaded) == repr(est) == "test_reg(fit_epochs=1, hidden_units=5, random_state=0)"
    assert "test_reg" in _html_without_warnings(loaded)


@pytest.mark.parametrize("value", [None, 0.0, "relu"])
def test_changed_only_uses_real_defaults_from_the_signature(value):
    def block(model, activation=None):
        return model

    from tests.blocks import input_block, softmax_output

    spec = kerasnip.create_keras_sequential_spec(
        "repr_defaults", {"input": input_block, "act": block, "output": softmax_output},
        "classification")
    try:
        text = repr(spec(act_activation=value))
        assert (text == "repr_defaults()") == (value is None)
        if value is not None:
            assert text == f"repr_defaults(act_activation={value!r})"
    finally:
        kerasnip.remove_keras_spec("repr_defaults")


def test_functional_specs_get_the_base_their_graph_needs():
    from kerasnip.estimators.functional import (
        FunctionalRegressor,
        MultiOutputClassifier,
        MultiOutputEstimator,
    )
    from tests.functional_blocks import FORK_JOIN_BLOCKS, TWO_HEAD_BLOCKS

    heads = kerasnip.create_keras_functional_spec("factory_heads", TWO_HEAD_BLOCKS,
                                                  "classification")
    fork = kerasnip.create_keras_functional_spec("factory_fork", FORK_JOIN_BLOCKS, "regression")
    assert issubclass(heads, MultiOutputClassifier)
    assert issubclass(fork, FunctionalRegressor) and not issubclass(fork, MultiOutputEstimator)
    assert "predict_proba" in dir(heads()) and "predict_proba" not in dir(fork())
