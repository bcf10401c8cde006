"""The compiled-model pool: a reused model gives the results of a fresh build, and no
state is shared."""

import copy
import gc
import pickle
import weakref

import keras
import numpy as np
import pytest

import kerasnip
from kerasnip.runtime import pool
from tests.blocks import input_block, softmax_output


@pytest.fixture(autouse=True)
def empty_pool():
    pool.clear_pool()
    yield
    pool.clear_pool()


def normalised_hidden(model, units=16, rate=0.2):
    """Dense + batch norm + dropout: weights, moving statistics and a seed generator."""
    model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.BatchNormalization())
    model.add(keras.layers.Dropout(rate))
    return model


@pytest.fixture(scope="module")
def bn_spec():
    return kerasnip.create_keras_sequential_spec(
        "test_reuse_bn",
        {"input": input_block, "hidden": normalised_hidden, "output": softmax_output},
        "classification",
    )


def fresh_fit(spec, params, X, y, monkeypatch):
    """The reference: the same fit with reuse switched off."""
    with monkeypatch.context() as patch:
        patch.setenv("KERASNIP_REUSE", "0")
        return spec(**params).fit(X, y)


def lr_halving():
    # min_delta larger than any improvement: halves the learning rate every epoch,
    # so a learning rate left over from the previous fit would show.
    return keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0,
                                             min_delta=100.0)


PARAMS = dict(fit_epochs=3, fit_batch_size=16, fit_validation_split=0.2, random_state=3)


@pytest.mark.smoke
def test_refit_reuses_the_model_and_matches_a_fresh_build(bn_spec, digits, monkeypatch):
    X, y = digits
    params = {**PARAMS, "fit_callbacks": [lr_halving()]}
    est = bn_spec(**params).fit(X[:50], y[:50])
    model = weakref.ref(est.model_)  # a weak reference: holding the model would block reuse
    est.predict(X)  # compiles the predict step too
    # Other rows and another row count: a new last-batch shape is traced on the
    # reused model, and the shuffles must follow the fresh build's.
    est.fit(X[10:], y[10:])
    assert est.model_ is model()
    fresh = fresh_fit(bn_spec, params, X[10:], y[10:], monkeypatch)
    assert fresh.model_ is not model()
    np.testing.assert_allclose(est.predict_proba(X), fresh.predict_proba(X), rtol=1e-6, atol=1e-7)
    assert est.history_.equals(fresh.history_)
    assert est.history_["learning_rate"].iloc[0] == fresh.history_["learning_rate"].iloc[0]
    for mine, theirs in zip(est.model_.variables, fresh.model_.variables, strict=True):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_refit_with_another_seed_matches_a_fresh_build(bn_spec, digits, monkeypatch):
    X, y = digits
    est = bn_spec(**PARAMS).fit(X, y)
    model = weakref.ref(est.model_)
    est.set_params(random_state=11).fit(X, y)
    assert est.model_ is model()
    fresh = fresh_fit(bn_spec, {**PARAMS, "random_state": 11}, X, y, monkeypatch)
    np.testing.assert_allclose(est.predict_proba(X), fresh.predict_proba(X), rtol=1e-6, atol=1e-7)


def test_no_state_leaks_into_the_next_fit(clf_spec, digits, monkeypatch):
    X, y = digits
    est = clf_spec(fit_epochs=4, fit_batch_size=20, random_state=0).fit(X, y)
    model = weakref.ref(est.model_)
    params = dict(fit_epochs=2, fit_batch_size=20, random_state=0)
    est.set_params(**params).fit(X[:40], y[:40])
    assert est.model_ is model()
    assert est.history_["epoch"].tolist() == [1, 2]
    # 40 rows in batches of 20 for 2 epochs: the step counter restarted at zero.
    assert int(est.model_.optimizer.iterations.numpy()) == 4
    # Metrics describe this fit only, as on a fresh model.
    fresh = fresh_fit(clf_spec, params, X[:40], y[:40], monkeypatch)
    assert est.history_["accuracy"].equals(fresh.history_["accuracy"])


def test_early_stopping_state_does_not_carry_over(clf_spec, digits, monkeypatch):
    X, y = digits
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=100.0)
    params = dict(fit_epochs=5, fit_callbacks=[stop], random_state=0)
    est = clf_spec(**params).fit(X, y)
    assert len(est.history_) == 2  # stopped at the first epoch without improvement
    model = weakref.ref(est.model_)
    est.set_params(fit_callbacks=None).fit(X, y)
    assert est.model_ is model()
    assert len(est.history_) == 5
    fresh = fresh_fit(clf_spec, {**params, "fit_callbacks": None}, X, y, monkeypatch)
    np.testing.assert_allclose(est.predict_proba(X), fresh.predict_proba(X), rtol=1e-6, atol=1e-7)


@pytest.mark.smoke
def test_a_model_held_by_the_user_is_never_reused(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=2, random_state=0).fit(X, y)
    held = est.model_
    weights = [w.copy() for w in held.get_weights()]
    est.predict(X)
    est.fit(X[:40], y[:40])
    assert est.model_ is not held
    for before, after in zip(weights, held.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    # Once the user lets go, the estimator's current model is reusable again.
    current = weakref.ref(est.model_)
    del held
    est.fit(X, y)
    assert est.model_ is current()


def test_a_shallow_copy_shares_the_model_so_neither_reuses_it(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=2, random_state=0).fit(X, y)
    twin = copy.copy(est)
    est.fit(X, y)
    assert est.model_ is not twin.model_
    twin.fit(X, y)
    assert twin.model_ is not est.model_


def test_collected_estimators_leave_their_model_to_a_clone(clf_spec, digits, monkeypatch):
    X, y = digits
    first = clf_spec(fit_epochs=2, hidden_units=24, random_state=5).fit(X[:60], y[:60])
    first.predict(X)
    pooled = weakref.ref(first.model_)
    del first
    gc.collect()
    assert pool.pool_size() == 1
    second = clf_spec(fit_epochs=2, hidden_units=24, random_state=5).fit(X[20:], y[20:])
    assert second.model_ is pooled()
    assert pool.pool_size() == 0
    fresh = fresh_fit(clf_spec, dict(fit_epochs=2, hidden_units=24, random_state=5), X[20:],
                      y[20:], monkeypatch)
    np.testing.assert_allclose(second.predict_proba(X), fresh.predict_proba(X), rtol=1e-6,
                               atol=1e-7)


def test_live_estimators_never_share_a_model(clf_spec, digits):
    X, y = digits
    estimators = [clf_spec(fit_epochs=1, random_state=0).fit(X, y) for _ in range(3)]
    assert len({id(est.model_) for est in estimators}) == 3


def test_a_model_kept_outside_its_dead_estimator_stays_out_of_the_pool(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    kept = kerasnip.extract_keras_model(est)
    del est
    gc.collect()
    assert pool.pool_size() == 0
    other = clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    assert other.model_ is not kept


def test_another_configuration_builds_and_pools_the_old_model(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, hidden_units=8, random_state=0).fit(X, y)
    small = weakref.ref(est.model_)
    est.set_params(hidden_units=12).fit(X, y)
    assert est.model_ is not small()
    assert est.model_.layers[0].units == 12
    other = clf_spec(fit_epochs=1, hidden_units=8, random_state=0).fit(X, y)
    assert other.model_ is small()


def test_other_input_shape_or_classes_builds_a_new_model(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    model = weakref.ref(est.model_)
    est.fit(X[:, :32], y)
    assert est.model_ is not model() and est.model_.input_shape == (None, 32)
    model = weakref.ref(est.model_)
    keep = np.isin(y, [0, 1, 2])
    est.fit(X[keep][:, :32], y[keep])
    assert est.model_ is not model() and est.model_.output_shape == (None, 3)


def test_a_parameter_list_changed_in_place_builds_a_new_model(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, compile_metrics=["accuracy"], random_state=0).fit(X, y)
    model = weakref.ref(est.model_)
    est.compile_metrics.append("mean_squared_error")
    est.fit(X, y)
    assert est.model_ is not model()
    assert "mean_squared_error" in est.history_.columns


def test_a_failed_fit_is_not_reused(clf_spec, digits):
    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("boom")

    X, y = digits
    est = clf_spec(fit_epochs=2, random_state=0).fit(X, y)
    model = weakref.ref(est.model_)
    with pytest.raises(RuntimeError, match="boom"):
        est.set_params(fit_callbacks=[Boom()]).fit(X, y)
    est.set_params(fit_callbacks=None).fit(X, y)
    assert est.model_ is not model()


def test_reuse_can_be_switched_off(clf_spec, digits, monkeypatch):
    X, y = digits
    monkeypatch.setenv("KERASNIP_REUSE", "0")
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    model = weakref.ref(est.model_)
    est.fit(X, y)
    assert est.model_ is not model()


def test_pool_size_setting(clf_spec, digits, monkeypatch):
    X, y = digits
    monkeypatch.setenv("KERASNIP_REUSE_POOL", "1")
    for units in (5, 6, 7):
        clf_spec(fit_epochs=1, hidden_units=units, random_state=0).fit(X, y)
    gc.collect()
    assert pool.pool_size() == 1
    monkeypatch.setenv("KERASNIP_REUSE_POOL", "many")
    with pytest.raises(ValueError, match="KERASNIP_REUSE_POOL must be a whole number"):
        clf_spec(fit_epochs=1, random_state=0).fit(X, y)


def test_regressor_refit_matches_a_fresh_build(reg_spec, regression_data, monkeypatch):
    X, y = regression_data
    params = dict(fit_epochs=3, fit_batch_size=16, random_state=2)
    est = reg_spec(**params).fit(X[:40], y[:40])
    model = weakref.ref(est.model_)
    est.fit(X[5:], y[5:])
    assert est.model_ is model()
    fresh = fresh_fit(reg_spec, params, X[5:], y[5:], monkeypatch)
    np.testing.assert_allclose(est.predict(X), fresh.predict(X), rtol=1e-6, atol=1e-6)


def test_reused_estimator_pickles(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    est.fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(restored.predict_proba(X), est.predict_proba(X), rtol=1e-6)
