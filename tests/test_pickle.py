"""Pickling generated classes and fitted estimators (pickle, joblib, cloudpickle, new processes)."""

import copy
import pickle

import keras
import numpy as np
import pytest

import kerasnip
from tests.helpers import PICKLERS, round_trip, run_script


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
