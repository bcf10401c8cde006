"""The fit/predict runner: one batch shape for predict, whole batches for fits."""

import keras
import numpy as np
import pytest

import kerasnip
from kerasnip.runtime import pool, runner
from tests.blocks import input_block, linear_output


@pytest.fixture(autouse=True)
def empty_pool():
    pool.clear_pool()
    yield
    pool.clear_pool()


@pytest.mark.skipif(keras.backend.backend() not in ("jax", "tensorflow"),
                    reason="eager backends predict the last partial batch as it is")
def test_predict_gives_keras_one_batch_shape(clf_spec, digits, monkeypatch):
    X, y = digits
    est = clf_spec(fit_epochs=1, fit_batch_size=16, random_state=0).fit(X, y)
    expected = np.asarray(est.model_.predict(X[:37], batch_size=16, verbose=0))
    sizes = []

    def recording(method):
        def record(self, x, *args, **kwargs):
            sizes.append(len(x))
            return method(self, x, *args, **kwargs)
        return record

    for name in ("predict", "predict_on_batch"):
        monkeypatch.setattr(keras.Model, name, recording(getattr(keras.Model, name)))
    np.testing.assert_allclose(est.predict_proba(X[:37]), expected, rtol=1e-5, atol=1e-6)
    assert sizes and all(size % 16 == 0 for size in sizes)
    sizes.clear()
    assert est.predict_proba(X[:3]).shape == (3, 4)
    assert sizes == [16]


def _step_compiles(step, fn):
    """Run ``fn`` and return how many times JAX compiled Keras's ``step`` meanwhile."""
    import logging

    import jax

    compiled = []

    class Count(logging.Handler):
        def emit(self, record):
            if f"Finished XLA compilation of jit({step})" in record.getMessage():
                compiled.append(record)

    logger, handler = logging.getLogger("jax"), Count()
    previous = jax.config.jax_log_compiles
    jax.config.update("jax_log_compiles", True)
    logger.addHandler(handler)
    try:
        fn()
    finally:
        logger.removeHandler(handler)
        jax.config.update("jax_log_compiles", previous)
    return len(compiled)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="counts XLA compilations")
def test_predicting_other_row_counts_compiles_nothing_new(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, fit_batch_size=16, random_state=0).fit(X, y)
    est.predict(X[:37])  # compiles the predict step for batches of 16

    def predict_other_counts():
        for rows in (3, 21, 45, 80):
            assert est.predict(X[:rows]).shape == (rows,)

    assert _step_compiles("predict_step", predict_other_counts) == 0


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="counts XLA compilations")
def test_whole_batches_compile_one_training_step_for_folds_of_any_size(clf_spec, digits):
    X, y = digits
    est = clf_spec(hidden_units=7, fit_epochs=1, fit_batch_size=16, random_state=0)

    def fit_folds():
        for rows in (50, 53, 64, 75):  # remainders 2, 5, 0 and 11 rows
            with runner.whole_batches():
                est.fit(X[:rows], y[:rows])

    assert _step_compiles("train_step", fit_folds) == 1

    def fit_plain():
        for rows in (77, 78):
            est.fit(X[:rows], y[:rows])

    # Without it: whole batches (unweighted, another signature), 13 rows, 14 rows.
    assert _step_compiles("train_step", fit_plain) == 3


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="counts XLA compilations")
def test_a_validation_split_compiles_one_step_of_each_kind_for_folds_of_any_size(clf_spec,
                                                                                 digits):
    X, y = digits

    def fit_folds(units):
        est = clf_spec(hidden_units=units, fit_epochs=1, fit_batch_size=16,
                       fit_validation_split=0.2, random_state=0)
        # 40/10, 42/11, 52/13 and 60/15 training/validation rows
        for rows in (50, 53, 65, 75):
            with runner.whole_batches():
                est.fit(X[:rows], y[:rows])

    # Two architectures never compiled before in this process, one count each.
    assert _step_compiles("train_step", lambda: fit_folds(5)) == 1
    assert _step_compiles("test_step", lambda: fit_folds(6)) == 1


@pytest.fixture
def padded_sizes(monkeypatch):
    """The (rows before, rows after) of every training set whole_batches pads."""
    sizes = []
    original = runner._whole_batch_data

    def recording(X, y, sample_weight, batch_size, seed):
        result = original(X, y, sample_weight, batch_size, seed)
        sizes.append((len(X), len(result[0])))
        return result

    monkeypatch.setattr(runner, "_whole_batch_data", recording)
    return sizes


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="torch compiles nothing: no padding")
@pytest.mark.parametrize("weighted", [False, True])
def test_whole_batches_keep_the_epoch_loss_of_the_real_rows(reg_spec, regression_data, weighted,
                                                            padded_sizes):
    # A learning rate too small to move float32 weights: both fits see the same
    # model, so their epoch losses must agree although one trained on 64 rows
    # (50 real, 14 zero-weight copies) and the other on 32 + 18.
    X, y = regression_data
    X, y = X[:50], y[:50]
    weights = np.linspace(0.5, 2.0, 50) if weighted else None
    params = dict(compile_optimizer="sgd", learn_rate=1e-30, fit_epochs=2,
                  fit_batch_size=32, random_state=5)
    plain = reg_spec(**params).fit(X, y, sample_weight=weights)
    assert padded_sizes == []
    with runner.whole_batches():
        padded = reg_spec(**params).fit(X, y, sample_weight=weights)
    assert padded_sizes == [(50, 64)]
    np.testing.assert_allclose(padded.history_["loss"], plain.history_["loss"], rtol=1e-5)
    np.testing.assert_array_equal(padded.predict(X), plain.predict(X))


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="torch compiles nothing: no padding")
def test_a_padded_validation_split_keeps_the_history_of_an_unpadded_fit(clf_spec, digits,
                                                                        padded_sizes):
    # One batch per epoch (48 training rows, batches of 64) and no dropout: the padded
    # and plain fits take the same steps, so every history column must agree, the
    # validation ones (12 real rows among 64) included.
    X, y = digits
    X, y = X[:60], y[:60]
    params = dict(hidden_units=8, hidden_rate=0.0, fit_epochs=3, fit_batch_size=64,
                  fit_validation_split=0.2, compile_metrics=["accuracy", "mse"], random_state=3)
    plain = clf_spec(**params).fit(X, y)
    with runner.whole_batches():
        padded = clf_spec(**params).fit(X, y)
    assert padded_sizes == [(12, 64), (48, 64)]
    assert list(padded.history_.columns) == list(plain.history_.columns) == [
        "epoch", "accuracy", "loss", "mse", "val_accuracy", "val_loss", "val_mse"]
    for column in plain.history_.columns:
        np.testing.assert_allclose(padded.history_[column], plain.history_[column], rtol=1e-5,
                                   atol=1e-6, err_msg=column)


def _summing_mse():
    return keras.losses.MeanSquaredError(reduction="sum")


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="torch compiles nothing: no padding")
@pytest.mark.parametrize("case", ["none", "batch_norm", "activity_regularizer", "sum_reduction",
                                  "steps_per_epoch", "run_eagerly"])
def test_whole_batches_leave_fits_that_padding_would_change(case, regression_data, padded_sizes):
    def hidden(model, units=4):
        model.add(keras.layers.Dense(units, activity_regularizer=(
            keras.regularizers.L2(0.01) if case == "activity_regularizer" else None)))
        if case == "batch_norm":
            model.add(keras.layers.BatchNormalization())
        return model

    spec = kerasnip.create_keras_sequential_spec(
        f"test_unpadded_{case}", {"input": input_block, "hidden": hidden,
                                  "output": linear_output}, "regression")
    params = dict(fit_epochs=1, fit_batch_size=32, random_state=0)
    if case == "sum_reduction":
        params["compile_loss"] = _summing_mse()
    if case == "steps_per_epoch":
        params["fit_steps_per_epoch"] = 2
    if case == "run_eagerly":
        params["compile_run_eagerly"] = True
    X, y = regression_data
    # "none" is the control: the same spec and fit, padded.
    padded = [(50, 64)] if case == "none" else []
    with runner.whole_batches():
        spec(**params).fit(X[:50], y[:50])
        assert padded_sizes == padded
        spec(**{**params, "random_state": 1}).fit(X[:50], y[:50])  # the reused model too
    assert padded_sizes == padded * 2


def test_whole_batch_padding_copies_rows_with_zero_weight():
    X = {"image": np.arange(10 * 2 * 2).reshape(10, 2, 2), "table": np.arange(10.0)[:, None]}
    y = np.arange(10) * 10
    X_pad, y_pad, weight = runner._whole_batch_data(X, y, np.full(10, 2.0), 4, seed=0)
    assert [len(a) for a in (X_pad["image"], X_pad["table"], y_pad, weight)] == [12] * 4
    np.testing.assert_array_equal(X_pad["table"][:10, 0], np.arange(10.0))
    copies = X_pad["table"][10:, 0].astype(int)
    # The copies are whole rows: every input and the target come from the same row.
    np.testing.assert_array_equal(X_pad["image"][10:], X["image"][copies])
    np.testing.assert_array_equal(y_pad[10:], y[copies])
    np.testing.assert_allclose(weight, [2.0 * 12 / 10] * 10 + [0.0, 0.0])
    _, _, ones = runner._whole_batch_data(X, y, None, 5, seed=0)
    np.testing.assert_array_equal(ones, np.ones(10))  # weights even when nothing is padded
