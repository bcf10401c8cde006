"""The single-output classifier and regressor: labels, losses, output widths and class weights."""

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.class_weight import compute_sample_weight

import kerasnip
from tests.blocks import input_block, sigmoid_output

LETTERS = np.array(["a", "b", "c", "d"])


@pytest.mark.smoke
def test_classifier_fit_predict_proba_score(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=3, random_state=0)
    assert est.fit(X, y) is est
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    pred = est.predict(X)
    assert pred.shape == (len(X),) and set(pred) <= set(est.classes_)
    np.testing.assert_array_equal(pred, est.classes_[proba.argmax(axis=1)])
    assert est.score(X, y) == pytest.approx(accuracy_score(y, pred))
    assert est.classes_.tolist() == [0, 1, 2, 3]
    assert est.n_features_in_ == 64 and not hasattr(est, "feature_names_in_")
    assert isinstance(est.model_, keras.Model)
    assert est.target_format_ == "onehot"
    assert est.input_shape_ == (64,)


@pytest.mark.smoke
def test_regressor_fit_predict_score(reg_spec, regression_data):
    X, y = regression_data
    est = reg_spec(fit_epochs=3, random_state=0).fit(X, y)
    pred = est.predict(X)
    assert pred.shape == (len(X),) and np.issubdtype(pred.dtype, np.floating)
    assert est.score(X, y) == pytest.approx(r2_score(y, pred), rel=1e-5)
    assert est.n_outputs_ == 1


@pytest.mark.parametrize(
    "labels",
    [
        pytest.param(lambda y: y + 10, id="ints"),
        pytest.param(lambda y: LETTERS[y], id="strings"),
        pytest.param(lambda y: pd.Series(LETTERS[y], dtype="string"), id="pandas-strings"),
        pytest.param(lambda y: y.astype(float), id="floats"),
    ],
)
def test_labels_come_back_in_the_users_type(clf_spec, digits, labels):
    X, y = digits
    user_y = labels(y)
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, user_y)
    expected = np.unique(np.asarray(user_y))
    assert est.classes_.tolist() == expected.tolist()
    pred = est.predict(X)
    assert set(pred.tolist()) <= set(expected.tolist())
    assert type(pred[0]) is type(expected[0])
    assert 0.0 <= est.score(X, user_y) <= 1.0


def test_bool_labels(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, y >= 2)
    assert est.classes_.dtype == bool and est.classes_.tolist() == [False, True]
    assert est.predict(X).dtype == bool


def test_categorical_labels_keep_every_declared_level_in_order(clf_spec, digits):
    # As R's factor levels: a declared but unobserved level gets a unit too.
    X, y = digits
    levels = ["d", "c", "b", "a", "unused"]
    cat = pd.Series(pd.Categorical(LETTERS[y], categories=levels))
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, cat)
    assert est.classes_.tolist() == levels
    assert est.model_.output_shape == (None, 5)
    assert kerasnip.predict_table(est, X[:2], type="prob").columns[-1] == ".pred_unused"
    proba, pred = est.predict_proba(X), est.predict(X)
    assert pred.tolist() == [est.classes_[i] for i in proba.argmax(axis=1)]
    assert 0.0 <= est.score(X, cat) <= 1.0


def test_unseen_labels_at_score(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, LETTERS[y])
    bad = LETTERS[y].astype(object)
    bad[:3] = "zebra"
    with pytest.raises(ValueError, match=r"labels not seen in fit: \['zebra'\].*Known classes"):
        est.score(X, bad)


def test_single_class_y(clf_spec, digits):
    X, _ = digits
    with pytest.raises(ValueError, match=r"only one class \(\[7\]\).*at least two classes"):
        clf_spec(fit_epochs=1).fit(X, np.full(len(X), 7))


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy",
                                  keras.losses.SparseCategoricalCrossentropy()],
                         ids=["name", "instance"])
def test_sparse_losses_get_integer_targets(clf_spec, digits, loss):
    X, y = digits
    est = clf_spec(compile_loss=loss, fit_epochs=2, random_state=0).fit(X, LETTERS[y])
    assert est.target_format_ == "integer"
    assert np.isfinite(est.history_["loss"]).all()
    assert set(est.predict(X)) <= set(LETTERS)


def test_one_unit_sigmoid_output_for_binary_problems(digits):
    cls = kerasnip.create_keras_sequential_spec(
        "sigmoid_binary", {"input": input_block, "output": sigmoid_output}, "classification")
    try:
        X, y = digits
        labels = np.where(y >= 2, "high", "low")
        est = cls(fit_epochs=3, learn_rate=0.05, random_state=0).fit(X, labels)
        assert est.target_format_ == "binary"
        assert est.model_.loss == "binary_crossentropy"
        proba = est.predict_proba(X)
        assert proba.shape == (len(X), 2)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
        # column 1 is the sigmoid's output, the probability of classes_[1]
        np.testing.assert_allclose(proba[:, 1], est.model_.predict(X, verbose=0).ravel(),
                                   rtol=1e-6)
        assert est.classes_.tolist() == ["high", "low"]
        assert est.score(X, labels) > 0.8
    finally:
        kerasnip.remove_keras_spec("sigmoid_binary")


def test_default_losses_and_metrics(clf_spec, reg_spec, digits, regression_data):
    X, y = digits
    clf = clf_spec(fit_epochs=1).fit(X, y)
    assert clf.model_.loss == "categorical_crossentropy"
    assert "accuracy" in clf.history_
    Xr, yr = regression_data
    reg = reg_spec(fit_epochs=1).fit(Xr, yr)
    assert reg.model_.loss == "mean_squared_error"
    assert "mean_absolute_error" in reg.history_


def _first_loss(est, X, y, **fit_kwargs):
    """The loss of a one-batch, one-epoch fit: computed before any weight update."""
    est.set_params(fit_epochs=1, fit_batch_size=len(X), fit_shuffle=False, random_state=0)
    return float(est.fit(X, y, **fit_kwargs).history_["loss"].iloc[0])


def test_sample_weight_reaches_the_loss(clf_spec, digits):
    X, y = digits
    plain = _first_loss(clf_spec(), X, y)
    assert _first_loss(clf_spec(), X, y, sample_weight=np.full(len(X), 3.0)) == pytest.approx(
        3 * plain, rel=1e-5)
    with pytest.raises(ValueError, match="sample_weight"):
        clf_spec(fit_epochs=1).fit(X, y, sample_weight=np.ones(3))


def test_class_weight_dict_by_user_label(clf_spec, digits):
    X, y = digits
    labels = LETTERS[y]
    by_hand = np.where(labels == "b", 4.0, 1.0) * np.where(labels == "c", 0.5, 1.0)
    expected = _first_loss(clf_spec(), X, labels, sample_weight=by_hand)
    got = _first_loss(clf_spec(fit_class_weight={"b": 4.0, "c": 0.5}), X, labels)
    assert got == pytest.approx(expected, rel=1e-6)
    # combined with sample_weight, the two multiply
    sw = np.linspace(0.5, 1.5, len(X))
    both = _first_loss(clf_spec(fit_class_weight={"b": 4.0, "c": 0.5}), X, labels,
                       sample_weight=sw)
    assert both == pytest.approx(_first_loss(clf_spec(), X, labels, sample_weight=sw * by_hand),
                                 rel=1e-6)


def test_class_weight_balanced(clf_spec, digits):
    X, y = digits
    skewed = np.where(y == 0, 0, 1)  # 20 zeros against 60 ones
    expected = _first_loss(clf_spec(num_hidden=0), X, skewed,
                           sample_weight=compute_sample_weight("balanced", skewed))
    got = _first_loss(clf_spec(num_hidden=0, fit_class_weight="balanced"), X, skewed)
    assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("weight", "message"), [
    ({"zebra": 2.0}, r"fit_class_weight contains labels not seen in fit: \['zebra'\]"),
    ("balance", "must be 'balanced' or a dict"),
    ([1.0, 2.0], "must be 'balanced' or a dict"),
])
def test_bad_class_weight(clf_spec, digits, weight, message):
    X, y = digits
    with pytest.raises(ValueError, match=message):
        clf_spec(fit_class_weight=weight, fit_epochs=1).fit(X, LETTERS[y])


def test_class_weight_on_a_regressor(reg_spec, regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match=r"classifiers only.*sample_weight"):
        reg_spec(fit_class_weight={0: 1.0}, fit_epochs=1).fit(X, y)


def test_one_unit_output_with_a_categorical_loss_is_refused(digits):
    """A 1-unit output makes a categorical crossentropy identically 0: refuse, don't train."""
    from tests.blocks import dense_block, input_block, sigmoid_output

    spec = kerasnip.create_keras_sequential_spec(
        "one_unit_binary", {"input": input_block, "hidden": dense_block,
                            "output": sigmoid_output}, "classification")
    X, y = digits
    binary = y % 2
    for loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        with pytest.raises(kerasnip.BuildError, match="binary_crossentropy"):
            spec(compile_loss=loss, fit_epochs=1, random_state=0).fit(X, binary)
    est = spec(fit_epochs=2, random_state=0).fit(X, binary)
    assert est.target_format_ == "binary"
    assert est.history_["loss"].gt(0).all()
