"""The y side: class encoding, regression targets and bad labels, with small real fits."""

import numpy as np
import pandas as pd
import pytest

from kerasnip.encoding.targets import ClassEncoder, regression_targets


def test_multi_output_regression_with_a_dataframe_y(reg_spec, regression_data):
    X, y = regression_data
    Y = pd.DataFrame({"a": y, "b": 2 * y})
    est = reg_spec(fit_epochs=1, random_state=0).fit(X, Y)
    assert est.n_outputs_ == 2 and est.predict(X).shape == (len(X), 2)
    with pytest.raises(ValueError, match=r"y has 1 column\(s\) but the model was fitted on 2"):
        est.partial_fit(X, y)


def test_regression_targets_validation():
    assert regression_targets(pd.Series([1, 2, 3])).dtype == np.float32
    with pytest.raises(ValueError, match="Input y contains NaN"):
        regression_targets(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"1-D or 2-D for regression, got shape \(2, 1, 1\)"):
        regression_targets(np.zeros((2, 1, 1)))


def test_continuous_y_for_a_classifier(clf_spec, digits):
    X, _ = digits
    y = np.linspace(0, 1, len(X))
    with pytest.raises(ValueError, match=r"continuous.*mode='regression'"):
        clf_spec(fit_epochs=1).fit(X, y)


def test_two_dimensional_y_for_a_classifier(clf_spec, digits):
    X, y = digits
    with pytest.raises(ValueError, match=r"one label per sample \(1-D\), got shape \(80, 2\)"):
        clf_spec(fit_epochs=1).fit(X, np.column_stack([y, y]))


def test_class_encoder_round_trip_and_formats():
    enc = ClassEncoder().fit(np.array(["b", "a", "c", "a"]))
    assert enc.classes.tolist() == ["a", "b", "c"]
    assert enc.indices(["c", "a"]).tolist() == [2, 0]
    assert enc.encode(["c", "a"], "integer").tolist() == [2, 0]
    assert enc.encode(["c", "a"], "onehot").tolist() == [[0, 0, 1], [1, 0, 0]]
    assert enc.decode([1, 2]).tolist() == ["b", "c"]
    binary = ClassEncoder().fit([True, False, True])
    assert binary.encode([True, False], "binary").tolist() == [[1.0], [0.0]]


@pytest.mark.parametrize("wrap", [
    pytest.param(lambda c: c, id="Categorical"),
    pytest.param(pd.Series, id="Series"),
    pytest.param(lambda c: pd.DataFrame({"label": c}), id="DataFrame"),
])
def test_class_encoder_keeps_category_order(wrap):
    labels = pd.Categorical(["lo", "hi", "mid", "hi"], categories=["lo", "mid", "hi", "none"])
    enc = ClassEncoder().fit(wrap(labels))
    assert enc.classes.tolist() == ["lo", "mid", "hi", "none"]  # declared, observed or not
    assert enc.encode(wrap(labels), "integer").tolist() == [0, 2, 1, 2]


def test_class_encoder_lookup_does_not_need_orderable_labels():
    enc = ClassEncoder().fit(np.array([3, 1, 2]))
    # labels of another type are unseen, not a numpy comparison error
    with pytest.raises(ValueError, match=r"labels not seen in fit: \['x'\]"):
        enc.indices(np.array([1, "x"], dtype=object))


@pytest.mark.parametrize(("y", "message"), [
    (np.array([1, "a", 2], dtype=object), r"mixes label types \['number', 'str'\]"),
    (np.array(["a", None, "b"], dtype=object), r"1 missing label\(s\).*position 1"),
    (np.array(["a", np.nan, "b"], dtype=object), "missing label"),
    (np.array([1.0, np.nan, 2.0]), "Input y contains NaN"),
])
def test_class_encoder_rejects_unusable_labels(y, message):
    with pytest.raises(ValueError, match=message):
        ClassEncoder().fit(y)


def test_class_encoder_with_given_classes():
    enc = ClassEncoder(["x", "y", "z"]).fit(["y", "y"])
    assert enc.classes.tolist() == ["x", "y", "z"]
    with pytest.raises(ValueError, match=r"labels not seen in fit: \['w'\]"):
        ClassEncoder(["x", "y"]).fit(["w", "x"])
    with pytest.raises(ValueError, match="classes has duplicates"):
        ClassEncoder(["x", "x", "y"]).fit(["x"])


def test_mixed_label_types_at_fit(clf_spec, digits):
    X, y = digits
    mixed = y.astype(object)
    mixed[0] = "zero"
    with pytest.raises(ValueError, match=r"mixes label types.*y\.astype\(str\)"):
        clf_spec(fit_epochs=1).fit(X, mixed)
