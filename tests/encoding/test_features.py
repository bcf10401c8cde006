"""The X side: arrays of any rank, DataFrames, array-valued columns and bad inputs."""

import keras
import numpy as np
import pandas as pd
import pytest

import kerasnip
from kerasnip.encoding.features import is_array_column_frame
from tests.blocks import dense_block, flat_input_block, linear_output, softmax_output


@pytest.fixture(scope="module")
def image_spec():
    cls = kerasnip.create_keras_sequential_spec(
        "image_mlp",
        {"input": flat_input_block, "hidden": dense_block, "output": softmax_output},
        "classification",
    )
    yield cls
    kerasnip.remove_keras_spec("image_mlp")


@pytest.fixture(scope="module")
def images(digits):
    X, y = digits
    return X.reshape(-1, 8, 8), y


def test_images_of_rank_three_with_a_flatten_block(image_spec, images):
    X, y = images
    est = image_spec(fit_epochs=2, random_state=0).fit(X, y)
    assert est.input_shape_ == (8, 8)
    assert est.model_.input_shape == (None, 8, 8)
    assert est.predict_proba(X).shape == (len(X), 4)
    with pytest.raises(ValueError, match=r"per-sample shape \(64,\) but .* fitted on "
                                         r"per-sample shape \(8, 8\)"):
        est.predict(X.reshape(len(X), 64))
    with pytest.raises(ValueError, match=r"per-sample shape \(8, 4\)"):
        est.predict(X[:, :, :4])


def test_numeric_dataframe_records_feature_names(clf_spec, digits):
    X, y = digits
    columns = [f"px{i}" for i in range(64)]
    frame = pd.DataFrame(X, columns=columns)
    est = clf_spec(fit_epochs=1, random_state=0).fit(frame, y)
    assert est.feature_names_in_.tolist() == columns
    assert est.n_features_in_ == 64
    np.testing.assert_array_equal(est.predict_proba(frame), est.predict_proba(X))
    with pytest.raises(ValueError, match="feature names should match"):
        est.predict(frame[columns[::-1]])


def test_dataframe_with_mixed_numeric_dtypes(reg_spec, regression_data):
    X, y = regression_data
    frame = pd.DataFrame(X, columns=list("abcde"))
    frame["a"] = (frame["a"] > 0).astype(int)
    frame["b"] = frame["b"] > 0
    frame["c"] = frame["c"].astype("Float64")
    est = reg_spec(fit_epochs=1, random_state=0).fit(frame, y)
    assert est.predict(frame).shape == (len(X),)


def test_dataframe_with_one_array_valued_column(image_spec, images):
    X, y = images
    frame = pd.DataFrame({"x": list(X)})
    assert is_array_column_frame(frame)
    est = image_spec(fit_epochs=2, random_state=0).fit(frame, y)
    assert est.input_shape_ == (8, 8)
    reference = image_spec(fit_epochs=2, random_state=0).fit(X, y)
    # the array column is the same data as the stacked array: same seeded model
    np.testing.assert_array_equal(est.predict_proba(frame), reference.predict_proba(X))
    np.testing.assert_array_equal(est.predict_proba(X), reference.predict_proba(X))


def test_array_column_cells_must_share_a_shape(image_spec, images):
    X, y = images
    cells = list(X)
    cells[3] = cells[3][:, :4]
    with pytest.raises(ValueError, match=r"Array column 'x' holds cells of different shapes"):
        image_spec(fit_epochs=1).fit(pd.DataFrame({"x": cells}), y)


def test_lists_are_accepted(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X.tolist(), y.tolist())
    assert est.classes_.tolist() == [0, 1, 2, 3]
    assert est.predict(X.tolist()).shape == (len(X),)


@pytest.mark.parametrize(("value", "word"), [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_x_at_fit_and_predict(clf_spec, digits, value, word):
    X, y = digits
    bad = X.copy()
    bad[5, 7] = value
    with pytest.raises(ValueError, match=f"Input X contains {word}"):
        clf_spec(fit_epochs=1).fit(bad, y)
    est = clf_spec(fit_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=f"Input X contains {word}"):
        est.predict(bad)


def test_non_finite_inside_an_array_column(image_spec, images):
    X, y = images
    cells = [cell.copy() for cell in X]
    cells[0][2, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        image_spec(fit_epochs=1).fit(pd.DataFrame({"x": cells}), y)


def test_wrong_feature_count_at_predict(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"X has 60 features, but test_clf is expecting 64"):
        est.predict(X[:, :60])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        est.predict(X[0])


def test_non_numeric_x(clf_spec, digits):
    _, y = digits
    X = np.array([["a", "b"]] * len(y))
    # kerasnip's message names the encoders where scikit-learn's only says to convert.
    with pytest.raises(ValueError, match=r"X holds text \(dtype <U1\).*OneHotEncoder"):
        clf_spec(fit_epochs=1).fit(X, y)


def test_x_and_y_lengths_must_match(clf_spec, digits):
    X, y = digits
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[79, 80\]"):
        clf_spec(fit_epochs=1).fit(X[:79], y)


def test_regression_spec_keeps_image_input(images):
    X, y = images
    cls = kerasnip.create_keras_sequential_spec(
        "image_regressor", {"input": flat_input_block, "output": linear_output}, "regression")
    try:
        est = cls(fit_epochs=1, random_state=0).fit(X, y.astype(float))
        assert isinstance(est.model_.layers[0], keras.layers.Flatten)
        assert est.predict(X).shape == (len(X),)
    finally:
        kerasnip.remove_keras_spec("image_regressor")
