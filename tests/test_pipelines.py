"""Pipelines ending in a kerasnip estimator: tuned with preprocessing fitted inside each
fold only, and accepted by every helper that works on a fitted estimator."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import kerasnip
from kerasnip import tune
from tests.helpers import FAST

#: Every fit of a Spy: the index labels of the rows it was fitted on.
FITTED_ROWS: list[list[int]] = []


class Spy(TransformerMixin, BaseEstimator):
    """Passes X through, recording which rows each fit saw (X keeps its index)."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, y=None):
        FITTED_ROWS.append(list(X.index))
        return self

    def transform(self, X):
        X = X.copy()
        numeric = X.select_dtypes("number").columns
        X[numeric] = X[numeric] * self.scale
        return X


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:150].copy(), y.iloc[:150]
    X["size"] = pd.cut(X["mean radius"], 3, labels=["small", "medium", "large"]).astype(str)
    return X, y


def _preprocessing(scale=1.0):
    numeric = [str(c) for c in load_breast_cancer().feature_names]
    return ColumnTransformer([("scale", StandardScaler(), numeric),
                              ("onehot", OneHotEncoder(), ["size"])])


@pytest.fixture(scope="module")
def pipeline(clf_spec):
    return Pipeline([("spy", Spy()), ("prep", _preprocessing()),
                     ("model", clf_spec(hidden_units=tune(), **FAST))])


def test_tuning_fits_preprocessing_on_each_folds_training_rows_only(pipeline, cancer):
    X, y = cancer
    FITTED_ROWS.clear()
    res = kerasnip.tune_grid(pipeline, X, y, resamples=3,
                             grid=pd.DataFrame({"model__hidden_units": [4, 8]}), save_pred=True)
    assert res.collect_errors().empty
    # Three folds, two architectures: the preprocessing is fitted once per fold.
    assert len(FITTED_ROWS) == 3
    predictions = res.collect_predictions()
    for rows in FITTED_ROWS:
        assessed = set(predictions.loc[predictions["fold"] == FITTED_ROWS.index(rows) + 1,
                                       ".row"])
        assert len(rows) == 100 and not assessed & set(rows)  # no held-out row leaked in
    summary = res.collect_metrics()
    assert summary["n"].tolist() == [3, 3] and summary["mean"].between(0, 1).all()


def test_a_tuned_preprocessing_parameter_is_fitted_once_per_value_and_fold(clf_spec, cancer):
    X, y = cancer
    pipe = Pipeline([("spy", Spy(scale=tune())), ("prep", _preprocessing()),
                     ("model", clf_spec(hidden_units=tune(), **FAST))])
    params = kerasnip.extract_parameter_set(pipe)
    assert params.ids == ["spy__scale", "model__hidden_units"]
    assert params["spy__scale"] is None  # no known range: asks for one
    grid = pd.DataFrame({"spy__scale": [1.0, 1.0, 2.0, 2.0],
                         "model__hidden_units": [4, 8, 4, 8]})
    FITTED_ROWS.clear()
    res = kerasnip.tune_grid(pipe, X, y, resamples=2, grid=grid)
    assert res.collect_errors().empty
    assert len(FITTED_ROWS) == 2 * 2  # (scale, fold) pairs, not (configuration, fold)
    best = kerasnip.finalize(pipe, res.select_best())
    assert best.get_params()["spy__scale"] in (1.0, 2.0)
    assert best.get_params()["model__hidden_units"] in (4, 8)


def test_preprocessing_parameters_get_default_ranges_or_ask_for_one(clf_spec):
    from sklearn.preprocessing import PolynomialFeatures

    pipe = make_pipeline(PolynomialFeatures(degree=tune(), include_bias=tune()),
                         PCA(n_components=tune()), clf_spec(hidden_units=tune()))
    params = kerasnip.extract_parameter_set(pipe)
    assert params["polynomialfeatures__degree"] == kerasnip.Int(1, 3)
    assert params["polynomialfeatures__include_bias"] == kerasnip.Choice(False, True)
    with pytest.raises(ValueError, match=r"\['pca__n_components'\].*params.update"):
        kerasnip.grid_regular(params)
    grid = kerasnip.grid_regular(params.update(pca__n_components=(2, 5)), levels=2)
    assert list(grid.columns) == ["polynomialfeatures__degree",
                                  "polynomialfeatures__include_bias", "pca__n_components",
                                  "test_clf__hidden_units"]


def test_a_pipeline_must_end_in_a_kerasnip_estimator():
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="Pipeline whose last step is LogisticRegression"):
        kerasnip.tune_grid(make_pipeline(StandardScaler(), LogisticRegression()), [[0]], [0])


def test_compile_keras_grid_takes_a_pipeline(pipeline, cancer):
    X, y = cancer
    compiled = kerasnip.compile_keras_grid(pipeline, pd.DataFrame(
        {"model__hidden_units": [4, -1]}), X, y)
    assert compiled["error"].isna().tolist() == [True, False]


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def fitted(clf_spec, cancer):
    X, y = cancer
    pipe = make_pipeline(_preprocessing(), clf_spec(hidden_units=4, **FAST)).fit(X, y)
    return pipe, X, y, pipe[:-1].transform(X)


@pytest.mark.parametrize("helper", [kerasnip.extract_keras_model, kerasnip.tidy,
                                    kerasnip.glance, kerasnip.extract_keras_history],
                         ids=lambda f: f.__name__)
def test_helpers_take_a_fitted_pipeline(fitted, helper):
    pipe = fitted[0]
    expected, got = helper(pipe[-1]), helper(pipe)
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got.drop(columns="fit_time", errors="ignore"),
                                      expected.drop(columns="fit_time", errors="ignore"))
    else:
        assert got is expected


def test_tables_and_evaluation_transform_X_through_the_pipeline(fitted):
    pipe, X, y, transformed = fitted
    table = kerasnip.predict_table(pipe, X, type="prob")
    assert list(table.index) == list(X.index)
    np.testing.assert_allclose(table.to_numpy(), pipe[-1].predict_proba(transformed), rtol=1e-6)
    assert kerasnip.keras_evaluate(pipe, X, y) == pytest.approx(
        kerasnip.keras_evaluate(pipe[-1], transformed, y))
    intervals = kerasnip.predict_table(pipe, X.iloc[:5], type="conf_int", seed=0)
    assert list(intervals.index) == list(X.index[:5])
    assert intervals.shape == (5, 4)


def test_an_unfitted_pipeline_is_not_fitted(clf_spec):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        kerasnip.extract_keras_model(make_pipeline(StandardScaler(), clf_spec()))


#: Every fit of a TargetSpy: the targets it was fitted with.
SEEN_TARGETS: list[np.ndarray] = []


class TargetSpy(TransformerMixin, BaseEstimator):
    """Passes X through, recording the y each fit saw."""

    def fit(self, X, y=None):
        SEEN_TARGETS.append(np.asarray(y, float))
        return self

    def transform(self, X):
        return X


def test_tuning_a_transformed_target_fits_the_transformation_per_fold(reg_spec, regression_data):
    """A TransformedTargetRegressor: y's transformation is fitted on each fold's training
    targets, the model trains on transformed targets (as do the steps inside it), and the
    scores and kept predictions are on y's own scale: the same as cross-validating the
    TransformedTargetRegressor itself."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.model_selection import KFold, cross_val_score

    X, y = regression_data
    y = 100 + 10 * y  # far from the transformed scale: a score on the wrong scale shows
    spec = TransformedTargetRegressor(
        regressor=make_pipeline(TargetSpy(), reg_spec(hidden_units=tune(), fit_epochs=3,
                                                      fit_batch_size=16, random_state=0)),
        transformer=StandardScaler())
    units = "regressor__test_reg__hidden_units"
    assert kerasnip.extract_parameter_set(spec).ids == [units]
    folds = KFold(2, shuffle=True, random_state=0)
    SEEN_TARGETS.clear()
    res = kerasnip.tune_grid(spec, X, y, resamples=folds, grid=pd.DataFrame({units: [4, 8]}),
                             save_pred=True)
    assert len(SEEN_TARGETS) == 2  # once per fold: preprocessing is shared by both widths
    for seen in SEEN_TARGETS:  # standardised on the fold's training targets
        assert abs(seen.mean()) < 1e-6 and abs(seen.std() - 1) < 1e-6
    scores = res.collect_metrics(summarize=False)
    with kerasnip.whole_batches():
        expected = cross_val_score(kerasnip.finalize(spec, {units: 8}), X, y, cv=folds,
                                   scoring="r2")
    np.testing.assert_allclose(scores[scores[units] == 8][".estimate"], expected, rtol=1e-5)
    predictions = res.collect_predictions()
    assert predictions[".pred"].mean() == pytest.approx(y.mean(), rel=0.2)


def test_helpers_on_a_fitted_transformed_target_regressor(reg_spec, regression_data):
    """Helpers without X see the model inside; helpers that predict refuse, since the model
    predicts transformed targets (no silent change of scale)."""
    from sklearn.compose import TransformedTargetRegressor

    X, y = regression_data
    fitted = TransformedTargetRegressor(regressor=reg_spec(fit_epochs=1, random_state=0),
                                        transformer=StandardScaler()).fit(X, 100 + 10 * y)
    assert kerasnip.extract_keras_model(fitted) is fitted.regressor_.model_
    assert len(kerasnip.extract_keras_history(fitted)) == 1
    with pytest.raises(TypeError, match=r"predicts transformed targets.*est\.predict"):
        kerasnip.predict_table(fitted, X)
