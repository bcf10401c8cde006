"""predict_table and its column names: classes, probabilities, values, intervals, heads."""

import keras
import numpy as np
import pandas as pd
import pytest

import kerasnip


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


def test_a_one_column_target_is_pred_whatever_the_shape_of_y(reg_spec, regression_data):
    X, y = regression_data
    est = reg_spec(fit_epochs=1, random_state=0).fit(X, pd.DataFrame({"target": y}))
    assert est.predict(X[:3]).shape == (3, 1)  # shaped like y
    assert list(kerasnip.predict_table(est, X[:3]).columns) == [".pred"]
    assert list(kerasnip.predict_table(est, X[:3], type="pred_int").columns) == [
        ".pred", ".pred_lower", ".pred_upper"]


def test_multi_output_columns_put_the_head_right_after_the_kind():
    """One order on every path: ``.pred{kind}_{head}`` then the class or column suffix
    (the R package puts the head last in classification intervals only)."""

    from kerasnip.predictions import fold_predictions
    from tests import functional_blocks as fb

    spec = kerasnip.create_keras_functional_spec("table_head_order", fb.TWO_HEAD_BLOCKS,
                                                 "classification")
    try:
        X, y = fb.two_head_data(30)
        est = spec(fit_epochs=1, random_state=0).fit(X, y)
        classes = list(est.classes_["digit"])
        per_class = [f".pred_digit_{c}" for c in classes]
        bounds = [f".pred_{side}_digit_{c}" for c in classes for side in ("lower", "upper")]
        ink = [".pred_ink", ".pred_lower_ink", ".pred_upper_ink"]
        for kind in ("conf_int", "pred_int"):
            table = kerasnip.predict_table(est, X[:5], type=kind, n_draws=50)
            assert list(table.columns) == [*bounds, *ink]
        folds = fold_predictions(est, X[:5], np.arange(5))
        assert list(folds.columns) == [".row", *per_class, ".pred_class_digit", ".pred_ink"]
    finally:
        kerasnip.remove_keras_spec("table_head_order")
