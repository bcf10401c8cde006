"""kerasnip estimators inside MAPIE's conformal predictors, unchanged: split and cross
conformal regression and classification reach the requested coverage on held-out data."""

import numpy as np
import pytest
from sklearn.base import clone

import kerasnip
from tests.blocks import CLASSIFIER_BLOCKS, REGRESSOR_BLOCKS

mapie_regression = pytest.importorskip("mapie.regression")
mapie_classification = pytest.importorskip("mapie.classification")


def sine_data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(n, 1)).astype("float32")
    # float32 targets on purpose: MAPIE checks residual arithmetic to 1e-8.
    y = (np.sin(X[:, 0]) + 0.2 * rng.normal(size=n)).astype("float32")
    return X, y


def covered(y, intervals):
    lower, upper = intervals[:, 0, 0], intervals[:, 1, 0]
    return float(np.mean((y >= lower) & (y <= upper)))


@pytest.fixture(scope="module")
def regressor():
    spec = kerasnip.create_keras_sequential_spec("conformal_reg", REGRESSOR_BLOCKS, "regression")
    return spec(hidden_units=16, fit_epochs=20, random_state=0)


@pytest.fixture(scope="module")
def held_out():
    return sine_data(2000, seed=99)


def test_split_conformal_regression_coverage(regressor, held_out):
    X_train, y_train = sine_data(300, seed=0)
    X_cal, y_cal = sine_data(1000, seed=1)
    mapie = mapie_regression.SplitConformalRegressor(regressor, confidence_level=0.95,
                                                     prefit=False)
    mapie.fit(X_train, y_train).conformalize(X_cal, y_cal)
    X_test, y_test = held_out
    predicted, intervals = mapie.predict_interval(X_test)
    assert covered(y_test, intervals) == pytest.approx(0.95, abs=0.03)
    assert predicted.shape == (2000,) and (intervals[:, 1, 0] > intervals[:, 0, 0]).all()


def test_split_conformal_around_an_already_fitted_regressor(regressor, held_out):
    X_train, y_train = sine_data(300, seed=0)
    fitted = clone(regressor).fit(X_train, y_train)
    mapie = mapie_regression.SplitConformalRegressor(fitted, confidence_level=0.9, prefit=True)
    X_cal, y_cal = sine_data(1000, seed=2)
    mapie.conformalize(X_cal, y_cal)
    X_test, y_test = held_out
    predicted, intervals = mapie.predict_interval(X_test)
    np.testing.assert_allclose(predicted, fitted.predict(X_test))
    assert covered(y_test, intervals) == pytest.approx(0.9, abs=0.03)


def test_cross_conformal_regression_coverage(regressor, held_out):
    X, y = sine_data(600, seed=3)
    mapie = mapie_regression.CrossConformalRegressor(regressor, confidence_level=0.95, cv=3,
                                                     method="plus", random_state=0)
    mapie.fit_conformalize(X, y)
    X_test, y_test = held_out
    _, intervals = mapie.predict_interval(X_test)
    assert covered(y_test, intervals) == pytest.approx(0.95, abs=0.03)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))  # the file is ordered by writer
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"])
    return (X[order] / 16).astype("float32"), names[y[order]], y[order]


@pytest.fixture(scope="module")
def classifier():
    spec = kerasnip.create_keras_sequential_spec("conformal_clf", CLASSIFIER_BLOCKS,
                                                 "classification")
    return spec(hidden_units=32, fit_epochs=10, random_state=0)


def set_coverage(sets, index):
    return float(sets[np.arange(len(sets)), index, 0].mean())


def test_split_conformal_classification_coverage(classifier, digits):
    X, labels, index = digits
    mapie = mapie_classification.SplitConformalClassifier(
        classifier, confidence_level=0.9, prefit=False, random_state=0)
    mapie.fit(X[:600], labels[:600]).conformalize(X[600:1200], labels[600:1200])
    predicted, sets = mapie.predict_set(X[1200:])
    assert set(predicted) <= set(labels)
    # Column j of the sets is classes_[j]; the labels sort as the string names do.
    order = np.argsort(np.argsort(["zero", "one", "two", "three", "four", "five", "six",
                                   "seven", "eight", "nine"]))
    assert set_coverage(sets, order[index[1200:]]) == pytest.approx(0.9, abs=0.04)


def test_cross_conformal_classification_coverage(classifier, digits):
    X, _, index = digits
    mapie = mapie_classification.CrossConformalClassifier(
        classifier, confidence_level=0.9, cv=3, random_state=0)
    mapie.fit_conformalize(X[:1200], index[:1200])
    _, sets = mapie.predict_set(X[1200:])
    assert set_coverage(sets, index[1200:]) == pytest.approx(0.9, abs=0.04)
