"""The tuning engine: lanes trained in one program equal separate Keras fits."""

import keras
import numpy as np
import pytest

import kerasnip
from kerasnip.runtime import engine, pool, runner
from tests import functional_blocks
from tests.blocks import input_block, linear_output, softmax_output

pytestmark = pytest.mark.skipif(keras.backend.backend() not in engine.BACKENDS,
                                reason="the engine trains on JAX and torch")
jax_only = pytest.mark.skipif(keras.backend.backend() != "jax",
                              reason="lanes share compiled programs on JAX only")


def hidden_block(model, units=12, rate=0.0, norm=False, l2=0.0):
    regularizer = keras.regularizers.L2(l2) if l2 else None
    model.add(keras.layers.Dense(units, activation="relu", kernel_regularizer=regularizer))
    if norm:
        model.add(keras.layers.LayerNormalization())
    if rate:
        model.add(keras.layers.Dropout(rate))
    return model


CLASSIFIER = kerasnip.create_keras_sequential_spec(
    "engine_clf", {"input": input_block, "hidden": hidden_block, "output": softmax_output},
    "classification")
REGRESSOR = kerasnip.create_keras_sequential_spec(
    "engine_reg", {"input": input_block, "hidden": hidden_block, "output": linear_output},
    "regression")
kerasnip.register_keras_optimizer(
    "engine_sgd_momentum", lambda learning_rate=0.01: keras.optimizers.SGD(learning_rate,
                                                                          momentum=0.9))
FOLDS = (np.arange(0, 40), np.arange(20, 67), np.arange(30, 90))  # 2, 3 and 3 steps of 16


@pytest.fixture(autouse=True)
def empty_pool():
    pool.clear_pool()
    yield
    pool.clear_pool()


@pytest.fixture(scope="module")
def data():
    X, y = functional_blocks.digits(90, n_class=4)
    return X, y, X.sum(axis=1) / 10.0


def keras_fits(spec, params, X, y):
    """One estimator per fold, fitted by Keras as tune_grid's folds were before the engine."""
    fitted = []
    for rows in FOLDS:
        est = spec(**params)
        with runner.whole_batches():
            est.fit(X[rows], y[rows])
        fitted.append(est)
    return fitted


def lanes_of(spec, params, X, y):
    """One estimator prepared per fold as tuning does, its lanes, and the fit arguments."""
    est = spec(**params)
    lanes = []
    for rows in FOLDS:
        X_fit, y_fit, weight = est.initialize_fit(X[rows], y[rows])
        kwargs, weight = est.training_arguments(y_fit, weight)
        lanes.append(engine.make_lane(est.model_, X_fit, y_fit, weight, est._epoch_seed()))
    return est, lanes, kwargs


def assert_same_fit(est, reference, result, atol):
    assert list(result.history) == [c for c in reference.history_.columns if c != "epoch"]
    for name, values in result.history.items():
        np.testing.assert_allclose(values, reference.history_[name], rtol=1e-5, atol=atol)
    engine.set_model_values(est.model_, result.end)
    for got, want in zip(est.model_.get_weights(), reference.model_.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol)


CASES = {
    "adam, validation split, folds of 2 and 3 steps": (
        CLASSIFIER, dict(compile_optimizer="adam", fit_validation_split=0.2)),
    "rmsprop, dropout 0.3": (
        CLASSIFIER, dict(compile_optimizer="rmsprop", hidden_rate=0.3,
                         fit_validation_split=0.25)),
    "sgd momentum, layer norm, L2 penalty, no shuffling": (
        CLASSIFIER, dict(compile_optimizer="engine_sgd_momentum", learn_rate=0.05,
                         hidden_norm=True, hidden_l2=0.01, fit_shuffle=False)),
    "regression: mse loss, mae metric, two layers": (
        REGRESSOR, dict(num_hidden=2, compile_loss="mse", compile_metrics=["mae"],
                        compile_optimizer="adamw")),
    "regression: huber loss, validation split, nadam": (
        REGRESSOR, dict(compile_loss="huber", fit_validation_split=0.2,
                        compile_optimizer="nadam")),
}


@pytest.mark.smoke
@pytest.mark.parametrize("case", list(CASES))
def test_lanes_equal_separate_keras_fits(case, data):
    spec, extra = CASES[case]
    X, y_class, y_reg = data
    y = y_class if spec is CLASSIFIER else y_reg
    params = dict(fit_epochs=4, fit_batch_size=16, random_state=5, **extra)
    reference = keras_fits(spec, params, X, y)
    est, lanes, kwargs = lanes_of(spec, params, X, y)
    assert engine.unsupported(est.model_, kwargs) is None
    results = engine.train(est.model_, lanes, kwargs)
    for fitted, result in zip(reference, results, strict=True):
        assert_same_fit(est, fitted, result, atol=1e-6)


@jax_only
def test_dropout_and_learning_rates_are_lane_values(data):
    """Configurations that differ in dropout rate and learning rate share one program, and
    each lane trains as its own configuration's Keras fit."""
    X, y, _ = data
    base = dict(fit_epochs=3, fit_batch_size=16, random_state=2, compile_optimizer="rmsprop",
                fit_validation_split=0.2)
    settings = [dict(hidden_rate=0.2, learn_rate=0.001), dict(hidden_rate=0.4, learn_rate=0.01)]
    prepared = [lanes_of(CLASSIFIER, {**base, **s}, X, y) for s in settings]
    keys = {engine.program_key(est.model_, kwargs) for est, _, kwargs in prepared}
    assert len(keys) == 1
    lanes = [lane for _, config_lanes, _ in prepared for lane in config_lanes]
    assert {tuple(lane.dropout_rates) for lane in lanes} == {(0.2,), (0.4,)}
    results = engine.train(prepared[0][0].model_, lanes, prepared[0][2])
    for i, setting in enumerate(settings):
        reference = keras_fits(CLASSIFIER, {**base, **setting}, X, y)
        est = prepared[i][0]
        for j, fitted in enumerate(reference):
            assert_same_fit(est, fitted, results[i * len(FOLDS) + j], atol=1e-5)


@jax_only
def test_program_key_tells_structures_apart(data):
    X, y, _ = data
    base = dict(fit_epochs=1, fit_batch_size=16, random_state=0, hidden_rate=0.2)

    def key(**params):
        est, _, kwargs = lanes_of(CLASSIFIER, {**base, **params}, X, y)
        return engine.program_key(est.model_, kwargs)

    assert key() == key(hidden_rate=0.3, learn_rate=0.05)
    assert key() == key(hidden_units=13)  # a hidden width is a lane value too
    assert key() != key(num_hidden=2)
    assert key() != key(compile_optimizer="sgd")
    assert key() != key(fit_batch_size=8)
    assert key() != key(hidden_rate=0.0)  # no dropout layer, no seed state


def test_snapshots_equal_shorter_fits(data):
    X, y, _ = data
    params = dict(fit_epochs=5, fit_batch_size=16, random_state=3, hidden_rate=0.2)
    est, lanes, kwargs = lanes_of(CLASSIFIER, params, X, y)
    results = engine.train(est.model_, lanes, kwargs, snapshot_epochs=[2, 4])
    shorter = keras_fits(CLASSIFIER, {**params, "fit_epochs": 2}, X, y)
    for fitted, result in zip(shorter, results, strict=True):
        assert sorted(result.snapshots) == [2, 4]
        trainable, non_trainable = result.snapshots[2]
        want = fitted.model_
        for got, variable in zip(trainable + non_trainable,
                                 want.trainable_variables + want.non_trainable_variables,
                                 strict=True):
            np.testing.assert_allclose(got, variable.numpy(), rtol=1e-5, atol=1e-6)


def test_training_stops_after_a_non_finite_loss_as_keras(data):
    X, _, y = data
    y = y * 1e18  # squared errors overflow float32 in the first epoch
    params = dict(fit_epochs=4, fit_batch_size=16, random_state=0, compile_optimizer="sgd")
    est, lanes, kwargs = lanes_of(REGRESSOR, params, X, y)
    results = engine.train(est.model_, lanes, kwargs, snapshot_epochs=[3])
    reference = REGRESSOR(**params)
    with runner.whole_batches(), pytest.raises(kerasnip.TrainingError):
        reference.fit(X[FOLDS[0]], y[FOLDS[0]])
    assert len(results[0].history["loss"]) == len(reference.history_) < 4
    assert not np.isfinite(results[0].history["loss"][-1])
    assert results[0].snapshots == {}  # training ended before epoch 3


class CustomStep(keras.Sequential):
    def train_step(self, state, data):
        return super().train_step(state, data)


def custom_input(model, input_shape):
    return CustomStep([keras.Input(shape=input_shape)])


def batch_norm_block(model, units=8):
    model.add(keras.layers.Dense(units))
    model.add(keras.layers.BatchNormalization())
    return model


@pytest.mark.parametrize("blocks, params, reason", [
    ({"input": input_block, "hidden": hidden_block, "output": softmax_output},
     dict(fit_callbacks=[keras.callbacks.TerminateOnNaN()]), "fit arguments"),
    ({"input": input_block, "hidden": hidden_block, "output": softmax_output},
     dict(verbose=1), "verbose"),
    ({"input": input_block, "hidden": hidden_block, "output": softmax_output},
     dict(fit_shuffle="batch"), "shuffle"),
    ({"input": custom_input, "hidden": hidden_block, "output": softmax_output},
     {}, "custom train_step"),
    pytest.param({"input": input_block, "hidden": batch_norm_block, "output": softmax_output},
                 {}, "batch normalization", marks=jax_only),
])
def test_what_the_engine_leaves_to_keras(blocks, params, reason, data):
    X, y, _ = data
    spec = kerasnip.create_keras_sequential_spec(
        f"engine_unsupported_{reason.replace(' ', '_')}", blocks, "classification")
    est = spec(fit_epochs=1, **params)
    _, y_fit, weight = est.initialize_fit(X[:20], y[:20])
    kwargs, _ = est.training_arguments(y_fit, weight)
    assert reason in engine.unsupported(est.model_, kwargs)


def test_switched_off_by_environment(data, monkeypatch):
    X, y, _ = data
    est, _, kwargs = lanes_of(CLASSIFIER, dict(fit_epochs=1), X, y)
    assert engine.unsupported(est.model_, kwargs) is None and engine.available()
    monkeypatch.setenv("KERASNIP_ENGINE", "0")
    assert engine.unsupported(est.model_, kwargs) == "KERASNIP_ENGINE=0"
    assert not engine.available()


@jax_only
def test_too_much_data_for_one_program(data, monkeypatch):
    X, y, _ = data
    est, lanes, kwargs = lanes_of(CLASSIFIER, dict(fit_epochs=1), X, y)
    monkeypatch.setattr(engine, "_MAX_DATA_BYTES", 1000)
    with pytest.raises(MemoryError):
        engine.train(est.model_, lanes, kwargs)


@jax_only
def test_narrower_lanes_train_inside_a_wider_model(data):
    """Hidden widths 6 and 12 share the 12-wide model's program: the 6-wide lanes' padded
    units stay exactly 0 and the real ones train as the 6-wide model's own Keras fits."""
    X, y, _ = data
    base = dict(fit_epochs=3, fit_batch_size=16, random_state=1, num_hidden=2,
                compile_optimizer="adam", fit_validation_split=0.2)
    narrow, lanes, kwargs = lanes_of(CLASSIFIER, {**base, "hidden_units": 6}, X, y)
    wide, wide_lanes, _ = lanes_of(CLASSIFIER, {**base, "hidden_units": 12}, X, y)
    assert engine.widenable(narrow.model_)
    assert engine.program_key(narrow.model_, kwargs) == engine.program_key(wide.model_, kwargs)
    index, members = engine.carrier([narrow.model_, wide.model_])
    assert (index, members) == (1, [0, 1])
    results = engine.train(wide.model_, lanes + wide_lanes, kwargs)
    for fitted, result in zip(keras_fits(CLASSIFIER, {**base, "hidden_units": 6}, X, y),
                              results[:3], strict=True):
        assert_same_fit(narrow, fitted, result, atol=1e-5)
    for fitted, result in zip(keras_fits(CLASSIFIER, {**base, "hidden_units": 12}, X, y),
                              results[3:], strict=True):
        assert_same_fit(wide, fitted, result, atol=1e-5)


def sigmoid_hidden(model, units=8):
    model.add(keras.layers.Dense(units, activation="sigmoid"))
    return model


def norm_hidden(model, units=8):
    model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.LayerNormalization())
    return model


@jax_only
@pytest.mark.parametrize("hidden, widens", [
    (hidden_block, True),
    (sigmoid_hidden, False),  # sigmoid(0) = 0.5: a padded unit would feed the next layer
    (norm_hidden, False),  # normalising over the units would count the padded ones
])
def test_which_models_widen(hidden, widens, data):
    X, y, _ = data
    spec = kerasnip.create_keras_sequential_spec(
        f"engine_widen_{hidden.__name__}",
        {"input": input_block, "hidden": hidden, "output": softmax_output}, "classification")
    est = spec(fit_epochs=1, num_hidden=2)
    est.initialize_fit(X[:20], y[:20])
    assert engine.widenable(est.model_) is widens
