"""A generated spec tuned by scikit-learn's own searches, from a ParameterSet."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401 - enables the import
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    check_cv,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import kerasnip
from kerasnip import tune

FAST = {"fit_epochs": 1, "fit_batch_size": 16, "random_state": 0}


@pytest.fixture(scope="module")
def sorted_digits(digits):
    """The digits ordered by label: unshuffled plain KFold would give one-class test folds."""
    X, y = digits
    order = np.argsort(y, kind="stable")
    return X[order], y[order]


def _all_classes_in_test_fold(estimator, X, y):
    # A scorer that reports the fold itself: 1.0 when every class is present.
    return float(len(np.unique(y)) == len(estimator.classes_) == 4)


def test_grid_search_uses_stratified_folds_for_a_generated_classifier(clf_spec, sorted_digits):
    X, y = sorted_digits
    spec = clf_spec(hidden_units=tune(), **FAST)
    assert is_classifier(spec)
    assert isinstance(check_cv(3, y, classifier=is_classifier(spec)), StratifiedKFold)
    params = kerasnip.extract_parameter_set(spec).update(hidden_units=[4, 8])
    search = GridSearchCV(spec, params.to_sklearn(), cv=3,
                          scoring={"stratified": _all_classes_in_test_fold, "accuracy": "accuracy"},
                          refit="accuracy")
    search.fit(X, y)
    assert search.cv_results_["params"] == [{"hidden_units": 4}, {"hidden_units": 8}]
    assert (search.cv_results_["mean_test_stratified"] == 1.0).all()
    assert search.best_estimator_.hidden_units in (4, 8)
    assert search.predict(X[:5]).shape == (5,)


def test_randomized_search_with_distributions(clf_spec, digits):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), learn_rate=tune(), **FAST)
    params = kerasnip.extract_parameter_set(spec).update(hidden_units=(4, 12),
                                                         learn_rate=(1e-3, 1e-1))
    search = RandomizedSearchCV(spec, params.to_distributions(), n_iter=3, cv=2,
                                random_state=0).fit(X, y)
    tried = search.cv_results_["params"]
    assert len(tried) == 3
    assert all(4 <= p["hidden_units"] <= 12 and 1e-3 <= p["learn_rate"] <= 1e-1 for p in tried)
    assert len({p["learn_rate"] for p in tried}) == 3
    assert search.best_estimator_.model_.optimizer.learning_rate.numpy() == pytest.approx(
        search.best_params_["learn_rate"])


def test_halving_grid_search(clf_spec, digits):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), hidden_rate=tune(), **FAST)
    params = kerasnip.extract_parameter_set(spec).update(hidden_units=[4, 8], hidden_rate=[0.0])
    search = HalvingGridSearchCV(spec, params.to_sklearn(), factor=2, cv=2, min_resources=40,
                                 random_state=0).fit(X, y)
    assert search.n_resources_ == [40, 80]
    assert search.n_candidates_ == [2, 1]
    assert search.best_params_["hidden_units"] in (4, 8)


def test_grid_search_over_a_pipeline_step(clf_spec, digits):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), **FAST)
    params = kerasnip.extract_parameter_set(spec).update(hidden_units=[4, 8])
    pipeline = make_pipeline(StandardScaler(), spec)
    grid = params.to_sklearn(prefix="test_clf__")
    search = GridSearchCV(pipeline, grid, cv=2).fit(X, y)
    assert [p["test_clf__hidden_units"] for p in search.cv_results_["params"]] == [4, 8]
