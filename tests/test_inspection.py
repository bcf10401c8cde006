"""extract_keras_model/history, keras_evaluate, tidy and glance."""

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

import kerasnip

FUNCTIONS = [
    kerasnip.extract_keras_model,
    kerasnip.extract_keras_history,
    kerasnip.tidy,
    kerasnip.glance,
]


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.__name__)
def test_unfitted_estimator_raises_not_fitted(clf_spec, function):
    with pytest.raises(NotFittedError):
        function(clf_spec())


def test_unfitted_estimator_raises_for_evaluate_and_tables(clf_spec, digits):
    X, y = digits
    with pytest.raises(NotFittedError):
        kerasnip.keras_evaluate(clf_spec(), X, y)
    with pytest.raises(NotFittedError):
        kerasnip.predict_table(clf_spec(), X)


def test_extract_keras_model_is_the_fitted_model(clf):
    est, _, _ = clf
    model = kerasnip.extract_keras_model(est)
    assert model is est.model_
    assert isinstance(model, keras.Model)


def test_history_columns_are_ordered_loss_metrics_then_validation(clf):
    est, _, _ = clf
    history = kerasnip.extract_keras_history(est)
    assert list(history.columns) == [
        "epoch", "loss", "accuracy", "mse", "val_loss", "val_accuracy", "val_mse"]
    assert history["epoch"].tolist() == [1, 2, 3]
    # same numbers as the estimator's own history, as a copy
    pd.testing.assert_frame_equal(history, est.history_[history.columns])
    history.loc[0, "loss"] = -1.0
    assert est.history_.loc[0, "loss"] != -1.0


@pytest.mark.smoke
def test_keras_evaluate_matches_a_direct_computation(reg):
    est, X, y = reg
    scores = kerasnip.keras_evaluate(est, X, y)
    assert list(scores) == ["loss", "mean_absolute_error"]
    residual = est.predict(X) - y
    assert scores["loss"] == pytest.approx(np.mean(residual**2), rel=1e-4)
    assert scores["mean_absolute_error"] == pytest.approx(np.mean(np.abs(residual)), rel=1e-4)


def test_keras_evaluate_takes_labels_and_dataframes_like_fit(clf):
    est, X, labels = clf
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
    scores = kerasnip.keras_evaluate(est, X, labels)
    assert list(scores) == ["loss", "accuracy", "mse"]
    assert scores["accuracy"] == pytest.approx(np.mean(est.predict(X) == labels))
    proba = est.predict_proba(X)
    truth = (labels[:, None] == est.classes_[None, :]).astype(float)
    assert scores["loss"] == pytest.approx(
        -np.mean(np.sum(truth * np.log(np.clip(proba, 1e-7, 1)), axis=1)), rel=1e-4)
    # the array-column DataFrame form (R's I(matrix)) is accepted as in fit
    array_column = pd.DataFrame({"x": list(X)})
    assert kerasnip.keras_evaluate(est, array_column, labels) == pytest.approx(scores)
    # sample weights change the weighted loss
    weights = np.where(labels == est.classes_[0], 5.0, 0.0)
    weighted = kerasnip.keras_evaluate(est, X, labels, sample_weight=weights)
    assert weighted["loss"] != pytest.approx(scores["loss"])
    with pytest.raises(ValueError, match="not seen in fit"):
        kerasnip.keras_evaluate(est, X, np.array(["seven"] * len(X)))
    with pytest.warns(UserWarning, match="feature names"):
        kerasnip.keras_evaluate(est, frame, labels)


def test_keras_evaluate_checks_lengths(reg):
    est, X, y = reg
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        kerasnip.keras_evaluate(est, X, y[:-3])


def test_tidy_lists_every_layer(clf):
    est, _, _ = clf
    table = kerasnip.tidy(est)
    assert list(table.columns) == ["name", "class", "output_shape", "n_params", "trainable"]
    assert table["class"].tolist() == ["Dense", "Dense"]
    assert table["output_shape"].tolist() == [(None, 8), (None, 4)]
    assert table["n_params"].tolist() == [64 * 8 + 8, 8 * 4 + 4]
    assert table["n_params"].sum() == est.model_.count_params()
    assert table["trainable"].all()


def test_tidy_of_a_functional_model_with_several_inputs():
    from tests import functional_blocks as fb

    spec = kerasnip.create_keras_functional_spec("tidy_two_input", fb.TWO_INPUT_BLOCKS,
                                                 "classification")
    try:
        X, y = fb.two_input_data(30)
        est = spec(fit_epochs=1, random_state=0, conv_filters=2).fit(X, y)
        table = kerasnip.tidy(est).set_index("name")
        assert set(table["class"]) >= {"InputLayer", "Conv2D", "Flatten", "Concatenate"}
        inputs = table[table["class"] == "InputLayer"]
        assert sorted(inputs["output_shape"]) == [(None, 3), (None, 8, 8, 1)]
        assert table["n_params"].sum() == est.model_.count_params()
    finally:
        kerasnip.remove_keras_spec("tidy_two_input")


def test_glance_is_one_row_of_the_last_epoch(clf):
    est, _, _ = clf
    row = kerasnip.glance(est)
    assert len(row) == 1
    assert list(row.columns) == [
        "epochs", "loss", "accuracy", "mse", "val_loss", "val_accuracy", "val_mse",
        "n_params", "n_trainable_params", "n_layers", "fit_time"]
    row = row.iloc[0]
    assert row["epochs"] == 3
    for column in ("loss", "accuracy", "val_loss"):
        assert row[column] == est.history_[column].iloc[-1]
    assert row["n_params"] == row["n_trainable_params"] == est.model_.count_params()
    assert row["n_layers"] == 2
    assert row["fit_time"] == est.fit_time_ > 0


def test_glance_counts_frozen_weights_apart(reg_spec, regression_data):
    X, y = regression_data
    est = reg_spec(fit_epochs=1, random_state=0).fit(X, y)
    est.model_.layers[0].trainable = False
    row = kerasnip.glance(est).iloc[0]
    frozen = est.model_.layers[0].count_params()
    assert row["n_trainable_params"] == row["n_params"] - frozen
