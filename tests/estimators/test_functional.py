"""Functional specs with several inputs and several outputs: data forms, heads, errors."""

import itertools

import keras
import numpy as np
import pandas as pd
import pytest

import kerasnip
from kerasnip import inp_spec
from kerasnip.encoding.targets import head_kind
from kerasnip.predictions import head_prediction_table, is_multi_output
from tests import functional_blocks
from tests.functional_blocks import (
    FORK_JOIN_BLOCKS,
    TWO_HEAD_BLOCKS,
    TWO_INPUT_BLOCKS,
    fork_join_data,
    input_block,
    path_block,
    regression_output,
    sigmoid_output,
    softmax_output,
    two_head_data,
    two_input_data,
)

_COUNTER = itertools.count()


def _create(blocks, mode):
    return kerasnip.create_keras_functional_spec(f"io_{next(_COUNTER)}", blocks, mode)


@pytest.fixture(scope="module")
def two_input():
    return _create(TWO_INPUT_BLOCKS, "classification")


@pytest.fixture(scope="module")
def two_head():
    return _create(TWO_HEAD_BLOCKS, "classification")


@pytest.fixture(scope="module")
def fitted_two_input(two_input):
    X, y = two_input_data()
    return two_input(conv_filters=3, dense_units=4, fit_epochs=2, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def fitted_two_head(two_head):
    X, y = two_head_data()
    return two_head(trunk_units=8, fit_epochs=2, random_state=0).fit(X, y)


def _as_frame(inputs):
    return pd.DataFrame({name: list(array) for name, array in inputs.items()})


# --------------------------------------------------------------------------- multi-input


def test_each_input_keeps_its_own_shape(fitted_two_input):
    assert fitted_two_input.input_shape_ == {"image": (8, 8, 1), "tabular": (3,)}
    assert fitted_two_input.n_features_in_ == 2
    model_inputs = [tuple(t.shape[1:]) for t in fitted_two_input.model_.inputs]
    assert model_inputs == [(8, 8, 1), (3,)]


def test_dict_and_array_column_frame_give_the_same_predictions(fitted_two_input):
    X, _ = two_input_data()
    frame = _as_frame(X)
    proba = fitted_two_input.predict_proba(X)
    assert proba.shape == (len(frame), 3)
    np.testing.assert_allclose(fitted_two_input.predict_proba(frame), proba, rtol=1e-6)
    # keys in another order are matched by name, not position
    swapped = {"tabular": X["tabular"], "image": X["image"]}
    np.testing.assert_allclose(fitted_two_input.predict_proba(swapped), proba, rtol=1e-6)


def test_fit_on_a_frame_records_feature_names(two_input):
    X, y = two_input_data()
    est = two_input(fit_epochs=1).fit(_as_frame(X), y)
    assert est.feature_names_in_.tolist() == ["image", "tabular"]
    assert set(est.predict(X)) <= set(y)


def test_unknown_and_missing_inputs_are_named(two_input, fitted_two_input):
    X, y = two_input_data()
    typo = {"imgae": X["image"], "tabular": X["tabular"]}
    with pytest.raises(ValueError, match=r"\['imgae'\] that match no input block. Did you mean "
                                         r"'image'\?.*lacks input\(s\) \['image'\]"):
        two_input(fit_epochs=1).fit(typo, y)
    with pytest.raises(ValueError, match=r"lacks input\(s\) \['tabular'\]"):
        fitted_two_input.predict({"image": X["image"]})
    with pytest.raises(ValueError, match=r"\['extra'\] that match no input block"):
        fitted_two_input.predict({**X, "extra": X["tabular"]})


def test_wrong_shape_at_predict_is_named(fitted_two_input):
    X, _ = two_input_data()
    with pytest.raises(ValueError, match=r"X\['tabular'\] has per-sample shape \(2,\) but the "
                                         r"model was fitted on \(3,\)"):
        fitted_two_input.predict({**X, "tabular": X["tabular"][:, :2]})


def test_plain_array_for_a_multi_input_model_is_an_error(fitted_two_input):
    X, _ = two_input_data()
    with pytest.raises(TypeError, match="X must be a dict or a DataFrame with one entry per"):
        fitted_two_input.predict(X["tabular"])


def test_inputs_of_different_lengths_are_an_error(two_input):
    X, y = two_input_data()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        two_input(fit_epochs=1).fit({**X, "tabular": X["tabular"][:-1]}, y)


def test_nan_in_one_input_is_named(two_input):
    X, y = two_input_data()
    bad = X["tabular"].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"X\['tabular'\] contains NaN"):
        two_input(fit_epochs=1).fit({**X, "tabular": bad}, y)


def test_scalar_column_is_a_one_feature_input(two_input):
    X, y = two_input_data()
    frame = pd.DataFrame({"image": list(X["image"]), "tabular": X["tabular"][:, 0]})
    est = two_input(fit_epochs=1).fit(frame, y)
    assert est.input_shape_["tabular"] == (1,)


def test_single_input_model_accepts_a_dict_keyed_by_its_input():
    spec = _create(FORK_JOIN_BLOCKS, "regression")
    X, y = fork_join_data()
    est = spec(fit_epochs=1, random_state=0).fit({"main_input": X}, y)
    np.testing.assert_allclose(est.predict({"main_input": X}), est.predict(X), rtol=1e-6)
    with pytest.raises(ValueError, match=r"\['main_inpt'\] that match no input block.*"
                                         r"Did you mean 'main_input'"):
        est.predict({"main_inpt": X})


def test_sample_weight_with_several_inputs(two_input):
    X, y = two_input_data()
    weights = np.where(y == 0, 5.0, 1.0)
    est = two_input(fit_epochs=1, random_state=0).fit(X, y, sample_weight=weights)
    plain = two_input(fit_epochs=1, random_state=0).fit(X, y)
    assert not np.allclose(est.predict_proba(X), plain.predict_proba(X))
    with pytest.raises(ValueError, match="sample_weight"):
        two_input(fit_epochs=1).fit(X, y, sample_weight=weights[:-3])


def test_validation_split_and_data_with_several_inputs(two_input):
    X, y = two_input_data()
    est = two_input(fit_epochs=2, fit_validation_split=0.25).fit(X, y)
    assert {"val_loss", "val_accuracy"} <= set(est.history_.columns)
    frame = _as_frame(X)
    est = two_input(fit_epochs=1, fit_validation_data=(frame.iloc[:10], y[:10])).fit(frame, y)
    assert "val_loss" in est.history_.columns


# --------------------------------------------------------------------------- multi-output


def test_head_kind_rules():
    assert head_kind(np.array([0.5, 1.5]), "classification") == "regression"
    assert head_kind(np.array([0, 1]), "classification") == "classification"
    assert head_kind(np.array([0, 1]), "regression") == "regression"
    assert head_kind(np.array(["a", "b"]), "regression") == "classification"
    assert head_kind(pd.Series([1, 2], dtype="category"), "regression") == "classification"
    assert head_kind(np.array([True, False]), "regression") == "classification"
    assert head_kind(np.zeros((2, 3), dtype=int), "classification") == "regression"


def test_each_head_learns_its_own_kind(fitted_two_head):
    heads = fitted_two_head.heads_
    assert heads["digit"].kind == "classification"
    assert heads["ink"].kind == "regression"
    assert fitted_two_head.classes_["digit"].tolist() == [0, 1, 2]
    assert "ink" not in fitted_two_head.classes_
    assert is_multi_output(fitted_two_head)
    # one loss per head, each with its default metric
    assert {"digit_loss", "ink_loss", "digit_accuracy", "ink_mean_absolute_error"} <= set(
        fitted_two_head.history_.columns)


def test_predict_returns_one_entry_per_head(fitted_two_head):
    X, _ = two_head_data()
    predicted = fitted_two_head.predict(X)
    assert list(predicted) == ["digit", "ink"]
    assert set(predicted["digit"]) <= {0, 1, 2}
    assert predicted["ink"].shape == (len(X),)
    proba = fitted_two_head.predict_proba(X)
    assert list(proba) == ["digit"]
    np.testing.assert_allclose(proba["digit"].sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(proba["digit"].argmax(axis=1), predicted["digit"])


def test_score_is_the_mean_of_the_head_scores(fitted_two_head):
    from sklearn.metrics import accuracy_score, r2_score

    X, y = two_head_data()
    predicted = fitted_two_head.predict(X)
    expected = np.mean([accuracy_score(y["digit"], predicted["digit"]),
                        r2_score(y["ink"], predicted["ink"])])
    assert fitted_two_head.score(X, y) == pytest.approx(expected)
    as_dict = {"digit": y["digit"].to_numpy(), "ink": y["ink"].to_numpy()}
    assert fitted_two_head.score(X, as_dict) == pytest.approx(expected)


def test_unseen_label_in_a_head_is_an_error_naming_the_head(fitted_two_head):
    X, y = two_head_data()
    unseen = y.assign(digit=np.where(np.arange(len(y)) == 0, 99, y["digit"]))
    with pytest.raises(ValueError, match=r"Output 'digit': y contains labels not seen in fit: "
                                         r"\[99\]"):
        fitted_two_head.score(X, unseen)
    with pytest.raises(ValueError, match=r"Output 'digit': y contains labels not seen"):
        kerasnip.keras_evaluate(fitted_two_head, X, unseen)


def test_prediction_table_uses_the_r_names(fitted_two_head):
    X, _ = two_head_data()
    table = head_prediction_table(fitted_two_head, X)
    assert table.columns.tolist() == [".pred_class_digit", ".pred_ink"]
    np.testing.assert_array_equal(table[".pred_class_digit"],
                                  fitted_two_head.predict(X)["digit"])
    prob = head_prediction_table(fitted_two_head, X, type="prob")
    assert prob.columns.tolist() == [".pred_digit_0", ".pred_digit_1", ".pred_digit_2"]
    assert head_prediction_table(fitted_two_head, X, type="numeric").columns.tolist() == [
        ".pred_ink"]
    with pytest.raises(ValueError, match="Did you mean 'class'"):
        head_prediction_table(fitted_two_head, X, type="clas")


def test_string_labels_in_a_regression_spec_make_a_classification_head():
    blocks = {"pixels": input_block, "trunk": inp_spec(path_block, "pixels"),
              "parity": inp_spec(softmax_output, "trunk"),
              "ink": inp_spec(regression_output, "trunk")}
    spec = _create(blocks, "regression")
    X, y = two_head_data()
    parity = np.where(y["digit"] % 2 == 0, "even", "odd")
    est = spec(fit_epochs=1).fit(X, {"parity": parity, "ink": y["ink"].to_numpy()})
    assert est.heads_["parity"].kind == "classification"
    assert set(est.predict(X)["parity"]) <= {"even", "odd"}
    assert hasattr(est, "predict_proba")
    # before fit a regression spec offers no probabilities: its heads' kinds are unknown
    assert not hasattr(spec(fit_epochs=1), "predict_proba")


def test_integer_head_follows_the_spec_mode():
    blocks = {"pixels": input_block, "trunk": inp_spec(path_block, "pixels"),
              "count": inp_spec(regression_output, "trunk"),
              "ink": inp_spec(regression_output, "trunk")}
    spec = _create(blocks, "regression")
    X, y = two_head_data()
    est = spec(fit_epochs=1).fit(X, {"count": y["digit"].to_numpy(), "ink": y["ink"]})
    assert est.heads_["count"].kind == "regression"
    assert not hasattr(est, "predict_proba")
    assert not hasattr(est, "classes_")
    assert est.predict(X)["count"].dtype.kind == "f"


def test_head_targets_must_match_the_output_blocks(two_head):
    X, y = two_head_data()
    with pytest.raises(ValueError, match=r"\['inks'\] that match no output block. Did you mean "
                                         r"'ink'\?.*lacks output\(s\) \['ink'\]"):
        two_head(fit_epochs=1).fit(X, y.rename(columns={"ink": "inks"}))
    with pytest.raises(ValueError, match=r"has 2 outputs \['digit', 'ink'\]; pass y as a "
                                         "DataFrame or a dict"):
        two_head(fit_epochs=1).fit(X, y.to_numpy())


def test_head_whose_target_kind_does_not_fit_its_block_is_explained(two_head):
    X, y = two_head_data()
    y = y.assign(ink=y["digit"].astype(str))  # strings make ink a classification head
    with pytest.raises(kerasnip.BuildError, match=r"Output block 'ink' takes `num_outputs`, a "
                                                  r"regression size, but its target in y makes "
                                                  r"it a classification head"):
        two_head(fit_epochs=1).fit(X, y)


def test_head_with_the_wrong_width_is_explained():
    blocks = {**TWO_HEAD_BLOCKS, "ink": inp_spec(sigmoid_output, "trunk")}
    spec = _create(blocks, "classification")
    X, y = two_head_data()
    with pytest.raises(kerasnip.BuildError, match=r"Output 'ink' has 1 unit\(s\) but its "
                                                  r"target in y has 3 classes.*as floats"):
        spec(fit_epochs=1).fit(X, y.assign(ink=y["digit"].astype(str)))


def test_compile_arguments_per_head(two_head):
    X, y = two_head_data()
    est = two_head(
        fit_epochs=1,
        compile_loss={"digit": "sparse_categorical_crossentropy"},
        compile_metrics={"ink": ["mean_squared_error"]},
        compile_loss_weights={"digit": 1.0, "ink": 0.5},
    ).fit(X, y)
    assert est.heads_["digit"].target_format == "integer"
    columns = set(est.history_.columns)
    # the ink head keeps its default loss; the digit head keeps its default metric
    assert {"ink_mean_squared_error", "digit_accuracy"} <= columns
    assert "ink_mean_absolute_error" not in columns
    with pytest.raises(ValueError, match=r"compile_loss names output\(s\) \['dgit'\].*"
                                         r"Did you mean 'digit'"):
        two_head(fit_epochs=1, compile_loss={"dgit": "mse"}).fit(X, y)


def test_one_loss_for_every_head():
    blocks = {"pixels": input_block, "trunk": inp_spec(path_block, "pixels"),
              "count": inp_spec(regression_output, "trunk"),
              "ink": inp_spec(regression_output, "trunk")}
    spec = _create(blocks, "regression")
    X, y = two_head_data()
    targets = {"count": y["digit"].to_numpy(), "ink": y["ink"]}
    history = spec(fit_epochs=2, compile_loss="mean_absolute_error").fit(X, targets).history_
    # the one loss trains both heads: each head's loss is its (default) MAE metric
    for head in ("count", "ink"):
        np.testing.assert_allclose(history[f"{head}_loss"],
                                   history[f"{head}_mean_absolute_error"], rtol=1e-4)


def test_class_weight_is_refused_for_several_heads(two_head):
    X, y = two_head_data()
    with pytest.raises(ValueError, match="fit_class_weight is not supported for a multi-output"):
        two_head(fit_epochs=1, fit_class_weight="balanced").fit(X, y)


def test_partial_fit_with_several_heads(two_head):
    X, y = two_head_data()
    est = two_head(random_state=0)
    est.partial_fit(X, y, classes={"digit": [0, 1, 2, 3]})
    est.partial_fit(X, y)
    assert len(est.history_) == 2
    assert est.classes_["digit"].tolist() == [0, 1, 2, 3]
    wide_ink = {"digit": y["digit"], "ink": np.column_stack([y["ink"], y["ink"]])}
    with pytest.raises(ValueError, match=r"y\['ink'\] has 2 column\(s\) but the model was "
                                         "fitted on 1"):
        est.partial_fit(X, wide_ink)
    with pytest.raises(ValueError, match=r"classes as a dict \{output_block: classes\}"):
        two_head().partial_fit(X, y, classes=[0, 1, 2])


def test_seeded_multi_output_fits_repeat():
    spec = _create(TWO_HEAD_BLOCKS, "classification")
    X, y = two_head_data()
    first = spec(fit_epochs=2, random_state=3).fit(X, y).predict(X)
    second = spec(fit_epochs=2, random_state=3).fit(X, y).predict(X)
    np.testing.assert_array_equal(first["ink"], second["ink"])
    np.testing.assert_array_equal(first["digit"], second["digit"])


# --------------------------------------------------------------------------- vector output


def test_vector_valued_regression_output():
    spec = _create(FORK_JOIN_BLOCKS, "regression")
    X, y = fork_join_data()
    Y = np.column_stack([y, 2 * y, -y])
    est = spec(fit_epochs=2, random_state=0).fit(X, Y)
    assert est.n_outputs_ == 3
    assert est.model_.output.shape[-1] == 3
    assert est.predict(X).shape == (len(X), 3)
    frame = pd.DataFrame(Y, columns=["h1", "h2", "h3"])
    assert spec(fit_epochs=1).fit(X, frame).predict(X).shape == (len(X), 3)


def test_vector_valued_head_in_a_multi_output_model():
    blocks = {"main_input": input_block, "trunk": inp_spec(path_block, "main_input"),
              "steps": inp_spec(regression_output, "trunk"),
              "level": inp_spec(regression_output, "trunk")}
    spec = _create(blocks, "regression")
    X, y = fork_join_data()
    steps = np.column_stack([y, 2 * y, 3 * y, 4 * y])
    for targets in ({"steps": steps, "level": y},
                    pd.DataFrame({"steps": list(steps), "level": y})):
        est = spec(fit_epochs=1).fit(X, targets)
        assert est.heads_["steps"].width == 4
        predicted = est.predict(X)
        assert predicted["steps"].shape == (len(X), 4)
        assert predicted["level"].shape == (len(X),)
    table = head_prediction_table(est, X)
    assert table.columns.tolist() == [f".pred_steps_{j}" for j in range(1, 5)] + [".pred_level"]


def test_model_is_a_keras_functional_model(fitted_two_head):
    assert isinstance(fitted_two_head.model_, keras.Model)
    assert set(fitted_two_head.model_.output) == {"digit", "ink"}


def test_output_view_is_a_single_output_estimator(fitted_two_head):
    from sklearn.base import is_classifier, is_regressor

    X, y = two_head_data()
    digit = kerasnip.output_view(fitted_two_head, "digit")
    ink = kerasnip.output_view(fitted_two_head, "ink")
    assert is_classifier(digit) and is_regressor(ink)
    assert digit.classes_.tolist() == [0, 1, 2]
    predicted = fitted_two_head.predict(X)
    np.testing.assert_array_equal(digit.predict(X), predicted["digit"])
    assert digit.predict_proba(X).shape == (len(X), 3)
    assert ink.score(X, y["ink"]) == pytest.approx(
        fitted_two_head.heads_["ink"].score(y["ink"], predicted["ink"]))
    with pytest.raises(ValueError, match=r"Unknown output 'inks'\. Did you mean 'ink'"):
        kerasnip.output_view(fitted_two_head, "inks")


def test_compile_keras_grid_builds_functional_configurations(two_input):
    X, y = two_input_data()
    grid = pd.DataFrame({"conv_filters": [2, 4], "num_dense": [0, 2]})
    compiled = kerasnip.compile_keras_grid(two_input(fit_epochs=1), grid, X, y)
    assert len(kerasnip.extract_valid_grid(compiled)) == 2


def test_binary_sigmoid_head_among_several():
    blocks = {**TWO_HEAD_BLOCKS, "ink": inp_spec(sigmoid_output, "trunk")}
    spec = _create(blocks, "classification")
    X, y = two_head_data()
    inky = y["ink"].to_numpy() > 0
    est = spec(fit_epochs=1).fit(X, {"digit": y["digit"], "ink": inky})
    assert est.heads_["ink"].target_format == "binary"
    assert "ink_accuracy" in est.history_.columns  # binary cross-entropy with its accuracy
    proba = est.predict_proba(X)
    assert proba["ink"].shape == (len(X), 2)
    assert set(est.predict(X)["ink"]) <= {True, False}
    assert head_prediction_table(est, X, type="prob").columns.tolist()[-2:] == [
        ".pred_ink_False", ".pred_ink_True"]


def test_non_input_blocks_see_every_input_shape():
    seen = []

    def joined(input_a, input_b, input_shape):
        seen.append(input_shape)
        return keras.layers.Concatenate()([input_a, keras.layers.Flatten()(input_b)])

    blocks = {**TWO_INPUT_BLOCKS,
              "joined": inp_spec(joined, {"input_a": "dense", "input_b": "conv"})}
    X, y = two_input_data()
    _create(blocks, "classification")(fit_epochs=1).fit(X, y)
    assert seen == [{"image": (8, 8, 1), "tabular": (3,)}]


@pytest.mark.parametrize(("argument", "value"), [
    ("compile_loss", ["mae", "mse"]),
    ("compile_metrics", [["accuracy"], ["mae"]]),
])
def test_unnamed_lists_of_losses_or_metric_lists_are_refused(argument, value):
    X, y = functional_blocks.two_head_data(30)
    spec = kerasnip.create_keras_functional_spec("unnamed_lists",
                                                 functional_blocks.TWO_HEAD_BLOCKS,
                                                 "classification")
    with pytest.raises(ValueError, match=rf"{argument} is an unnamed list.*\['digit', 'ink'\]"):
        spec(fit_epochs=1, **{argument: value}).fit(X, y)
    # A flat list of metrics is those metrics for every head.
    assert spec(fit_epochs=1, compile_metrics=["mse"]).fit(X, y).history_.filter(
        like="mse").shape[1] == 2
