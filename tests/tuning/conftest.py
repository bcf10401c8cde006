"""Fixtures shared by the tuning tests: a parameter set of three ranges, a tiny tune_grid run."""

import pandas as pd
import pytest

import kerasnip
from kerasnip import tune
from tests.helpers import FAST


@pytest.fixture(scope="module")
def three(clf_spec):
    spec = clf_spec(num_hidden=tune(), hidden_units=tune(), hidden_rate=tune())
    return kerasnip.extract_parameter_set(spec).update(
        num_hidden=(1, 3), hidden_units=(64, 256), hidden_rate=(0.2, 0.4))


@pytest.fixture(scope="module")
def two_by_two(clf_spec, digits):
    """2 configurations x 2 folds, with predictions kept."""
    X, y = digits
    spec = clf_spec(hidden_units=tune(), **FAST)
    grid = pd.DataFrame({"hidden_units": [4, 8]})
    return spec, kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, save_pred=True)
