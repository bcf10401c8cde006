"""extract_keras_model/history, keras_evaluate, tidy, glance and predict_table."""

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

import kerasnip


@pytest.fixture(scope="module")
def clf(clf_spec, digits):
    X, y = digits
    labels = np.array(["zero", "one", "two", "three"])[y]
    est = clf_spec(fit_epochs=3, random_state=0, hidden_units=8, fit_validation_split=0.25,
                   compile_metrics=["accuracy", "mse"])
    return est.fit(X, labels), X, labels


@pytest.fixture(scope="module")
def reg(reg_spec, regression_data):
    X, y = regression_data
    return reg_spec(fit_epochs=2, random_state=0).fit(X, y), X, y


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


# --------------------------------------------------------------------------- predict_table


def test_class_table(clf):
    est, X, _ = clf
    table = kerasnip.predict_table(est, X)
    assert list(table.columns) == [".pred_class"]
    np.testing.assert_array_equal(table[".pred_class"], est.predict(X))
    pd.testing.assert_frame_equal(kerasnip.predict_table(est, X, type="class"), table)


@pytest.mark.smoke
def test_prob_table_has_one_column_per_class_in_classes_order(clf):
    est, X, _ = clf
    table = kerasnip.predict_table(est, X, type="prob")
    assert list(table.columns) == [f".pred_{c}" for c in est.classes_]
    np.testing.assert_allclose(table.to_numpy(), est.predict_proba(X))
    np.testing.assert_allclose(table.sum(axis=1), 1.0, rtol=1e-5)


def test_prob_table_of_binary_sigmoid_model(digits):
    from tests.blocks import input_block, sigmoid_output

    spec = kerasnip.create_keras_sequential_spec(
        "table_binary", {"input": input_block, "output": sigmoid_output}, "classification")
    try:
        X, y = digits
        labels = np.where(y % 2 == 0, "even", "odd")
        est = spec(fit_epochs=1, random_state=0).fit(X, labels)
        table = kerasnip.predict_table(est, X, type="prob")
        assert list(table.columns) == [".pred_even", ".pred_odd"]
        np.testing.assert_allclose(table.sum(axis=1), 1.0, rtol=1e-6)
    finally:
        kerasnip.remove_keras_spec("table_binary")


def test_numeric_table(reg):
    est, X, _ = reg
    table = kerasnip.predict_table(est, X)
    assert list(table.columns) == [".pred"]
    np.testing.assert_array_equal(table[".pred"], est.predict(X))


def test_numeric_table_for_several_outputs_is_numbered_from_one(reg_spec, regression_data):
    X, y = regression_data
    Y = np.column_stack([y, -y, 2 * y])
    est = reg_spec(fit_epochs=1, random_state=0).fit(X, Y)
    table = kerasnip.predict_table(est, X, type="numeric")
    assert list(table.columns) == [".pred_1", ".pred_2", ".pred_3"]
    np.testing.assert_array_equal(table.to_numpy(), est.predict(X))


def test_numeric_table_names_columns_after_a_dataframe_y(reg_spec, regression_data):
    X, y = regression_data
    Y = pd.DataFrame({"sales": y, "returns": -y})
    est = reg_spec(fit_epochs=1, random_state=0).fit(X, Y)
    table = kerasnip.predict_table(est, X, type="numeric")
    assert list(table.columns) == [".pred_sales", ".pred_returns"]
    np.testing.assert_array_equal(table.to_numpy(), est.predict(X))
    intervals = kerasnip.predict_table(est, X[:3], type="conf_int")
    assert list(intervals.columns)[:3] == [".pred_sales", ".pred_lower_sales", ".pred_upper_sales"]


def test_table_keeps_a_dataframe_index(reg_spec, regression_data):
    X, y = regression_data
    frame = pd.DataFrame(X, columns=list("abcde"), index=[f"row{i}" for i in range(len(X))])
    est = reg_spec(fit_epochs=1, random_state=0).fit(frame, y)
    table = kerasnip.predict_table(est, frame.iloc[::2])
    assert table.index.tolist() == frame.index[::2].tolist()
    np.testing.assert_array_equal(table[".pred"], est.predict(frame.iloc[::2]))


@pytest.mark.parametrize(
    ("which", "type_", "message"),
    [
        ("clf", "probs", "Did you mean 'prob'"),
        ("clf", "numeric", "for a classification model"),
        ("reg", "class", "for a regression model"),
        ("reg", "prob", r"Choose one of \['numeric', 'conf_int', 'pred_int'\]"),
    ],
)
def test_wrong_type_is_a_clear_error(clf, reg, which, type_, message):
    est, X, _ = clf if which == "clf" else reg
    with pytest.raises(ValueError, match=message):
        kerasnip.predict_table(est, X, type=type_)


def test_extra_arguments_only_for_intervals(reg):
    est, X, _ = reg
    with pytest.raises(TypeError, match="n_draws"):
        kerasnip.predict_table(est, X, type="numeric", n_draws=10)


def test_mistyped_interval_argument_gets_did_you_mean(reg):
    est, X, _ = reg
    with pytest.raises(TypeError, match=r"predict_table got an unknown argument 'ndraws'\. "
                                        r"Did you mean 'n_draws'\?"):
        kerasnip.predict_table(est, X, type="pred_int", ndraws=10)


def test_interval_types_dispatch_to_intervals(reg):
    est, X, _ = reg
    for kind in ("conf_int", "pred_int"):
        table = kerasnip.predict_table(est, X, type=kind, level=0.9)
        assert list(table.columns) == [".pred", ".pred_lower", ".pred_upper"]
        assert (table[".pred_lower"] <= table[".pred"]).all()
        assert (table[".pred"] <= table[".pred_upper"]).all()
    narrow = kerasnip.predict_table(est, X, type="pred_int", level=0.5)
    wide = kerasnip.predict_table(est, X, type="pred_int", level=0.99)
    assert ((wide[".pred_upper"] - wide[".pred_lower"])
            > (narrow[".pred_upper"] - narrow[".pred_lower"])).all()


def test_interval_types_on_an_unsupported_model_say_not_available(regression_data):
    from kerasnip.errors import IntervalsNotAvailableError

    def tanh_output(model, num_outputs=1):
        model.add(keras.layers.Dense(num_outputs, activation="tanh"))
        return model

    from tests.blocks import input_block

    spec = kerasnip.create_keras_sequential_spec(
        "table_tanh", {"input": input_block, "output": tanh_output}, "regression")
    try:
        X, y = regression_data
        est = spec(fit_epochs=1, random_state=0).fit(X, y)
        with pytest.raises(IntervalsNotAvailableError, match="not available for this model"):
            kerasnip.predict_table(est, X, type="conf_int")
    finally:
        kerasnip.remove_keras_spec("table_tanh")


def test_multi_output_table_names_each_head():
    from tests import functional_blocks as fb

    spec = kerasnip.create_keras_functional_spec("table_two_head", fb.TWO_HEAD_BLOCKS,
                                                 "classification")
    try:
        X, y = fb.two_head_data(30)
        est = spec(fit_epochs=1, random_state=0).fit(X, y)
        predicted = est.predict(X)
        table = kerasnip.predict_table(est, X)
        assert list(table.columns) == [".pred_class_digit", ".pred_ink"]
        np.testing.assert_array_equal(table[".pred_class_digit"], predicted["digit"])
        np.testing.assert_array_equal(table[".pred_ink"], predicted["ink"])
        prob = kerasnip.predict_table(est, X, type="prob")
        assert list(prob.columns) == [f".pred_digit_{c}" for c in est.classes_["digit"]]
        assert list(kerasnip.predict_table(est, X, type="numeric").columns) == [".pred_ink"]
        evaluation = kerasnip.keras_evaluate(est, X, y)
        assert {"loss", "digit_loss", "ink_loss", "digit_accuracy"} <= set(evaluation)
    finally:
        kerasnip.remove_keras_spec("table_two_head")
