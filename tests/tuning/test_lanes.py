"""Searches on the tuning engine: the same records as one Keras fit per fold."""

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import FitFailedWarning

import kerasnip
from kerasnip import tune
from kerasnip.runtime import engine

pytestmark = pytest.mark.skipif(keras.backend.backend() not in engine.BACKENDS,
                                reason="the engine trains on JAX and torch")
ON_JAX = keras.backend.backend() == "jax"

SETTINGS = dict(fit_epochs=3, fit_batch_size=16, fit_validation_split=0.2, random_state=4,
                compile_optimizer="rmsprop")
GRID = pd.DataFrame({"num_hidden": [1, 1, 2, 2], "hidden_rate": [0.1, 0.3, 0.1, 0.3]})
WIDTHS = pd.DataFrame({"hidden_units": [6, 10]})


@pytest.fixture
def programs(monkeypatch):
    """The number of lanes of each program the engine trains."""
    sizes = []
    train = engine.train

    def counting(model, lanes, *args, **kwargs):
        sizes.append(len(lanes))
        return train(model, lanes, *args, **kwargs)

    monkeypatch.setattr(engine, "train", counting)
    return sizes


def scores(results):
    metrics = results.collect_metrics(summarize=False)
    return metrics.sort_values([".config", "fold", ".metric"])[".estimate"].to_numpy()


def keras_path(spec, X, y, monkeypatch, **kwargs):
    with monkeypatch.context() as patch:
        patch.setenv("KERASNIP_ENGINE", "0")
        return kerasnip.tune_grid(spec, X, y, **kwargs)


@pytest.mark.smoke
def test_tune_grid_on_the_engine_equals_keras_fits(clf_spec, digits, programs, monkeypatch):
    X, y = digits
    spec = clf_spec(num_hidden=tune(), hidden_rate=tune(), hidden_units=10, **SETTINGS)
    kwargs = dict(resamples=3, grid=GRID, metrics=["accuracy", "neg_log_loss"],
                  save_pred=True)
    on_engine = kerasnip.tune_grid(spec, X, y, **kwargs)
    # On JAX dropout rates share a program (they are lane values), depths do not; on
    # torch each configuration trains its own lanes.
    assert programs == ([6, 6] if ON_JAX else [3, 3, 3, 3])
    with_keras = keras_path(spec, X, y, monkeypatch, **kwargs)
    np.testing.assert_allclose(scores(on_engine), scores(with_keras), rtol=1e-5, atol=1e-6)
    pred = on_engine.collect_predictions().sort_values([".config", ".row"])
    want = with_keras.collect_predictions().sort_values([".config", ".row"])
    np.testing.assert_allclose(pred.filter(like=".pred_").drop(columns=".pred_class"),
                               want.filter(like=".pred_").drop(columns=".pred_class"),
                               rtol=1e-4, atol=1e-6)
    assert not on_engine.collect_errors().shape[0]


def test_widths_share_a_program(clf_spec, digits, programs, monkeypatch):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), num_hidden=2, **SETTINGS)  # no dropout layer
    on_engine = kerasnip.tune_grid(spec, X, y, resamples=3, grid=WIDTHS)
    assert programs == ([6] if ON_JAX else [3, 3])
    with_keras = keras_path(spec, X, y, monkeypatch, resamples=3, grid=WIDTHS)
    # The 6-wide lanes train zero-padded to 10 units: equal up to float rounding.
    np.testing.assert_allclose(scores(on_engine), scores(with_keras), rtol=1e-5, atol=1e-6)


def test_tasks_prepared_in_chunks_give_the_same_records(clf_spec, digits, programs,
                                                        monkeypatch):
    from kerasnip.tuning import _lanes

    X, y = digits
    spec = clf_spec(num_hidden=tune(), hidden_rate=tune(), hidden_units=10, **SETTINGS)
    whole = kerasnip.tune_grid(spec, X, y, resamples=2, grid=GRID)
    programs.clear()
    monkeypatch.setattr(_lanes, "MAX_PREPARED_TASKS", 1)  # prepare, train, score one by one
    chunked = kerasnip.tune_grid(spec, X, y, resamples=2, grid=GRID)
    assert programs == [2, 2, 2, 2]
    np.testing.assert_allclose(scores(chunked), scores(whole), rtol=1e-6)


def test_epochs_trick_on_the_engine(clf_spec, digits, programs, monkeypatch):
    X, y = digits
    spec = clf_spec(fit_epochs=tune(), **{k: v for k, v in SETTINGS.items()
                                          if k != "fit_epochs"})
    grid = pd.DataFrame({"fit_epochs": [1, 3, 4]})
    on_engine = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid)
    assert programs == [2]  # one training to 4 epochs per fold, both folds together
    with_keras = keras_path(spec, X, y, monkeypatch, resamples=2, grid=grid)
    np.testing.assert_allclose(scores(on_engine), scores(with_keras), rtol=1e-5, atol=1e-6)


def test_what_the_engine_cannot_train_is_fitted_by_keras(clf_spec, digits, programs,
                                                          monkeypatch):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), fit_callbacks=[keras.callbacks.TerminateOnNaN()],
                    **SETTINGS)
    grid = WIDTHS
    results = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid)
    assert programs == []
    with_keras = keras_path(spec, X, y, monkeypatch, resamples=2, grid=grid)
    np.testing.assert_allclose(scores(results), scores(with_keras), rtol=1e-6)


def test_a_program_that_fails_falls_back_to_keras(clf_spec, digits, monkeypatch):
    X, y = digits

    def failing(*args, **kwargs):
        raise RuntimeError("XLA ran out of something")

    spec = clf_spec(hidden_units=tune(), **SETTINGS)
    grid = WIDTHS
    with_keras = keras_path(spec, X, y, monkeypatch, resamples=2, grid=grid)
    monkeypatch.setattr(engine, "train", failing)
    results = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid)
    np.testing.assert_allclose(scores(results), scores(with_keras), rtol=1e-6)
    assert not results.collect_errors().shape[0]


def test_failures_are_recorded_per_configuration(clf_spec, digits, programs):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), **SETTINGS)
    grid = pd.DataFrame({"hidden_units": [8, -2]})  # Dense(-2) cannot be built
    with pytest.warns(FitFailedWarning, match="2 of 4"):
        results = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid)
    errors = results.collect_errors()
    assert set(errors["hidden_units"]) == {-2}
    assert programs == [2]  # the configuration that builds trains; the other is recorded
    assert np.isfinite(results.collect_metrics().query("hidden_units == 8")["mean"]).all()
