"""The estimator template of API.md section 3 (fit, partial_fit, parameters, seeds,
callbacks), with small real Keras fits."""

import contextlib
import gc
import random

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

import kerasnip
from kerasnip.errors import NotTunedError

LETTERS = np.array(["a", "b", "c", "d"])


def test_numpy_scalar_hyperparameters_reach_blocks_as_python_numbers(clf_spec, digits):
    # As a grid read from a NumPy array or DataFrame gives them; Dense refuses np.int64.
    X, y = digits
    est = clf_spec(hidden_units=np.int64(5), hidden_rate=np.float32(0.25), fit_epochs=1,
                   num_hidden=np.int64(2)).fit(X, y)
    dense = [layer for layer in est.model_.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [5, 5, 4]
    dropout = [layer for layer in est.model_.layers if isinstance(layer, keras.layers.Dropout)]
    assert [type(layer.rate) for layer in dropout] == [float, float]


def test_history_is_one_row_per_epoch(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=3, fit_validation_split=0.25, random_state=0).fit(X, y)
    history = est.history_
    assert isinstance(history, pd.DataFrame)
    assert history["epoch"].tolist() == [1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.columns)
    assert np.isfinite(history["loss"]).all()


def test_partial_fit_adds_one_epoch_to_the_current_model(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=2, random_state=0).fit(X, y)
    model = est.model_
    before = est.predict_proba(X)
    est.partial_fit(X, y)
    assert est.model_ is model
    assert est.history_["epoch"].tolist() == [1, 2, 3]
    assert not np.array_equal(est.predict_proba(X), before)


def test_partial_fit_from_scratch_with_classes(clf_spec, digits):
    X, y = digits
    est = clf_spec(random_state=0)
    first = y < 2
    est.partial_fit(X[first], y[first], classes=[0, 1, 2, 3])
    assert est.classes_.tolist() == [0, 1, 2, 3] and est.predict_proba(X).shape == (80, 4)
    est.partial_fit(X[~first], y[~first])
    assert est.history_["epoch"].tolist() == [1, 2]
    # without classes=..., labels missing from the first batch are unknown later
    fresh = clf_spec(random_state=0).partial_fit(X[first], y[first])
    with pytest.raises(ValueError, match=r"labels not seen in fit: \[2, 3\].*classes=\.\.\."):
        fresh.partial_fit(X[~first], y[~first])


def test_partial_fit_epochs_shuffle_differently_but_reproducibly(clf_spec, digits):
    X, y = digits

    def two_partial_fits():
        est = clf_spec(fit_batch_size=8, random_state=5)
        est.partial_fit(X, y)
        est.partial_fit(X, y)
        return est.predict_proba(X)

    np.testing.assert_array_equal(two_partial_fits(), two_partial_fits())


@pytest.mark.parametrize(("optimizer", "cls"), [(None, "Adam"), ("sgd", "SGD"),
                                                ("RMSprop", "RMSprop")])
def test_learn_rate_is_applied_to_named_optimizers(clf_spec, digits, optimizer, cls):
    X, y = digits
    est = clf_spec(compile_optimizer=optimizer, learn_rate=0.0125, fit_epochs=1).fit(X, y)
    assert type(est.model_.optimizer).__name__ == cls
    assert float(est.model_.optimizer.learning_rate) == pytest.approx(0.0125)


def test_unset_learn_rate_keeps_the_optimizers_default(clf_spec, digits):
    X, y = digits
    est = clf_spec(compile_optimizer="sgd", fit_epochs=1).fit(X, y)
    assert float(est.model_.optimizer.learning_rate) == pytest.approx(0.01)


def test_learn_rate_with_an_optimizer_instance_is_an_error(clf_spec, digits):
    X, y = digits
    est = clf_spec(compile_optimizer=keras.optimizers.SGD(0.1), learn_rate=0.5, fit_epochs=1)
    with pytest.raises(ValueError, match="learn_rate is set but compile_optimizer is an"):
        est.fit(X, y)


@pytest.mark.parametrize("bad", [0, -1.0, "fast"])
def test_bad_learn_rate(clf_spec, digits, bad):
    X, y = digits
    with pytest.raises(ValueError, match="learn_rate must be a positive number"):
        clf_spec(learn_rate=bad).fit(X, y)


class EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


def test_callbacks_are_copied_for_every_fit(clf_spec, digits):
    X, y = digits
    counter = EpochCounter()
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    est = clf_spec(fit_epochs=5, fit_callbacks=[counter, stopper], random_state=0)
    for _ in range(2):
        est.fit(X, y)
        # the huge min_delta means no epoch "improves": stop after the second epoch
        assert est.history_["epoch"].tolist() == [1, 2]
    # the user's own instances were never trained with
    assert counter.epochs == 0 and stopper.stopped_epoch == 0
    assert est.fit_callbacks[0] is counter


def test_single_callback_without_a_list(clf_spec, digits):
    X, y = digits
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    est = clf_spec(fit_epochs=5, fit_callbacks=stopper).fit(X, y)
    assert len(est.history_) == 2


def test_validation_data_is_prepared_like_training_data(clf_spec, digits):
    X, y = digits
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(64)])
    labels = LETTERS[y]
    est = clf_spec(fit_epochs=2, fit_validation_data=(frame[:20], labels[:20]), random_state=0)
    est.fit(frame, labels)
    assert {"val_loss", "val_accuracy"} <= set(est.history_.columns)
    unweighted = est.history_["val_loss"].to_numpy()
    # the same fit with validation weights of 2: the same training, twice the val_loss
    est.set_params(fit_validation_data=(frame[:20], labels[:20], np.full(20, 2.0)))
    np.testing.assert_allclose(est.fit(frame, labels).history_["val_loss"], 2 * unweighted,
                               rtol=1e-5)
    with pytest.raises(ValueError, match=r"fit_validation_data must be a tuple \(X_val, y_val\)"):
        est.set_params(fit_validation_data=frame[:20]).fit(frame, labels)
    with pytest.raises(ValueError, match="labels not seen in fit"):
        est.set_params(fit_validation_data=(frame[:2], ["a", "zebra"])).fit(frame, labels)


@pytest.mark.smoke
def test_same_seed_same_predictions_different_seed_different(clf_spec, digits):
    X, y = digits
    params = dict(hidden_rate=0.3, fit_epochs=2, fit_batch_size=16,
                  fit_validation_split=0.2)
    first = clf_spec(random_state=11, **params).fit(X, y).predict_proba(X)
    # another fit in between must not change what seed 11 gives
    clf_spec(random_state=12, **params).fit(X, y)
    again = clf_spec(random_state=11, **params).fit(X, y).predict_proba(X)
    other = clf_spec(random_state=12, **params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.smoke
def test_seeded_fit_leaves_global_random_state_alone(clf_spec, digits):
    X, y = digits
    random.seed(123)
    np.random.seed(123)
    py_state, np_state = random.getstate(), np.random.get_state()
    torch = pytest.importorskip("torch") if keras.backend.backend() == "torch" else None
    torch_state = None if torch is None else torch.random.get_rng_state()
    clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]
    if torch is not None:  # Keras seeds torch's global generator too
        assert torch.equal(torch.random.get_rng_state(), torch_state)


def test_random_state_forms(clf_spec, digits):
    X, y = digits
    # a RandomState is drawn from once per fit; huge ints are folded into range
    rs = np.random.RandomState(0)
    est = clf_spec(fit_epochs=1, random_state=rs).fit(X, y)
    assert 0 <= est.seed_ < 2**31
    big = clf_spec(fit_epochs=1, random_state=2**40 + 7).fit(X, y)
    assert big.seed_ == (2**40 + 7) % 2**31
    with pytest.raises(ValueError, match="random_state must be None, an int or a numpy"):
        clf_spec(random_state="seed").fit(X, y)


def test_fitting_another_model_leaves_a_fitted_one_intact(clf_spec, reg_spec, digits,
                                                          regression_data):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    before = est.predict_proba(X)
    Xr, yr = regression_data
    reg_spec(num_hidden=2, fit_epochs=1).fit(Xr, yr)  # clears the Keras session
    clf_spec(hidden_units=5, fit_epochs=1).fit(X, y)
    np.testing.assert_array_equal(est.predict_proba(X), before)
    est.partial_fit(X, y)  # and it can still train
    assert len(est.history_) == 2


def _live_keras_objects():
    gc.collect()
    return sum(isinstance(o, (keras.layers.Layer, keras.Variable)) for o in gc.get_objects())


def test_live_keras_objects_do_not_grow_over_many_fits(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0)
    counts = []
    for i in range(30):
        est.fit(X, y)
        if i in (4, 29):
            counts.append(_live_keras_objects())
    # one model's layers and variables stay alive, not thirty
    assert counts[1] <= counts[0]


def test_predict_before_fit(clf_spec, reg_spec, digits):
    X, _ = digits
    for est in (clf_spec(), reg_spec()):
        for method in ("predict", "predict_proba", "score"):
            if hasattr(est, method):
                with pytest.raises(NotFittedError, match="not fitted yet"):
                    getattr(est, method)(X, *([np.zeros(len(X))] if method == "score" else []))


def test_tune_marker_left_at_fit(clf_spec, digits):
    X, y = digits
    est = clf_spec(hidden_units=kerasnip.tune(), learn_rate=kerasnip.tune("lr"))
    with pytest.raises(NotTunedError, match=r"\['hidden_units', 'learn_rate'\].*tune\(\)"):
        est.fit(X, y)


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True, None])
def test_num_block_must_be_a_non_negative_int(clf_spec, digits, bad):
    X, y = digits
    with pytest.raises(ValueError, match=r"num_hidden must be a non-negative integer.*0 removes"):
        clf_spec(num_hidden=bad).fit(X, y)


@pytest.mark.parametrize(("param", "value", "message"), [
    ("fit_epochs", "3", "fit_epochs must be a non-negative integer"),
    ("fit_epochs", -1, "fit_epochs must be a non-negative integer"),
    ("fit_batch_size", 0, "fit_batch_size must be a positive integer"),
    ("fit_batch_size", 8.0, "fit_batch_size must be a positive integer"),
    ("fit_validation_split", 1.5, r"fraction in \[0, 1\)"),
])
def test_mistyped_fit_numbers(clf_spec, digits, param, value, message):
    X, y = digits
    with pytest.raises(ValueError, match=message):
        clf_spec(**{param: value}).fit(X, y)


def test_num_block_accepts_numpy_ints(clf_spec, digits):
    X, y = digits
    est = clf_spec(num_hidden=np.int64(2), fit_epochs=1).fit(X, y)
    assert sum(isinstance(layer, keras.layers.Dense) for layer in est.model_.layers) == 3


def test_base_classes_cannot_be_fitted(digits):
    X, y = digits
    with pytest.raises(TypeError, match="is a base class; create an estimator class"):
        kerasnip.KerasClassifier().fit(X, y)


def test_dataframe_with_text_column_names_it_and_suggests_an_encoder(clf_spec, digits):
    X, y = digits
    frame = pd.DataFrame(X[:, :3], columns=["a", "b", "c"]).assign(colour="red")
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \['colour'\].*OneHotEncoder"):
        clf_spec(fit_epochs=1).fit(frame, y)


@pytest.mark.smoke
@pytest.mark.parametrize("whole", [False, True])
def test_partial_fit_continues_a_fit_exactly(clf_spec, digits, whole):
    """fit(m epochs) + partial_fit(k epochs) is fit(m + k epochs): same optimizer state,
    shuffles and dropout masks (rate > 0), also when padded to whole batches."""
    X, y = digits
    params = dict(hidden_units=16, hidden_rate=0.3, fit_batch_size=16, random_state=3,
                  fit_validation_split=0.2, compile_optimizer="adam")
    context = kerasnip.whole_batches if whole else contextlib.nullcontext
    with context():
        straight = clf_spec(fit_epochs=5, **params).fit(X, y)
        stepped = clf_spec(fit_epochs=2, **params).fit(X, y)
        stepped.partial_fit(X, y, epochs=2).partial_fit(X, y, epochs=1)
    assert stepped.history_["epoch"].tolist() == [1, 2, 3, 4, 5]
    for a, b in zip(straight.model_.get_weights(), stepped.model_.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(straight.history_["val_loss"], stepped.history_["val_loss"],
                               rtol=1e-5)


def test_partial_fit_refuses_a_bad_epoch_count(clf_spec, digits):
    X, y = digits
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        clf_spec(random_state=0).partial_fit(X, y, epochs=0)


def test_an_unpickled_estimator_continues_like_the_original(clf_spec, digits):
    """Pickles keep what a .keras file does not: the dropout layers' seed state and the
    random streams, so training continues with the same masks and shuffles."""
    import pickle

    X, y = digits
    params = dict(hidden_units=16, hidden_rate=0.3, fit_batch_size=16, random_state=3)
    straight = clf_spec(fit_epochs=3, **params).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf_spec(fit_epochs=2, **params).fit(X, y)))
    copy.partial_fit(X, y)
    for a, b in zip(straight.model_.get_weights(), copy.model_.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
