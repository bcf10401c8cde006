"""Grids from parameter sets: regular, random and space-filling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kerasnip
from kerasnip import tune


def test_grid_regular_is_the_full_product(three):
    grid = kerasnip.grid_regular(three, levels=3)
    assert grid.shape == (27, 3)
    assert list(grid.columns) == ["num_hidden", "hidden_units", "hidden_rate"]
    assert grid.dtypes.tolist() == [np.dtype("int64"), np.dtype("int64"), np.dtype("float64")]
    assert sorted(grid["hidden_units"].unique()) == [64, 160, 256]
    assert not grid.duplicated().any()
    by_id = kerasnip.grid_regular(three, levels={"num_hidden": 2, "hidden_rate": 1})
    assert len(by_id) == 2 * 3 * 1
    with pytest.raises(KeyError, match="Did you mean 'hidden_rate'"):
        kerasnip.grid_regular(three, levels={"hidden_rat": 2})


def test_grid_random_and_space_filling_are_seeded_and_in_range(three):
    for make in (kerasnip.grid_random, kerasnip.grid_space_filling):
        grid = make(three, size=12, seed=3)
        pd.testing.assert_frame_equal(grid, make(three, size=12, seed=3))
        assert not grid.equals(make(three, size=12, seed=4))
        assert grid["num_hidden"].between(1, 3).all()
        assert grid["hidden_units"].between(64, 256).all()
        assert grid["hidden_rate"].between(0.2, 0.4).all()


def test_space_filling_uses_every_slice_of_each_range(three):
    grid = kerasnip.grid_space_filling(three.update(hidden_units=(0, 999)), size=10, seed=0)
    # A Latin hypercube: one value in each tenth of the range.
    assert sorted(grid["hidden_units"] // 100) == list(range(10))


def test_mixed_choice_columns_stay_objects(clf_spec):
    params = kerasnip.extract_parameter_set(clf_spec(fit_batch_size=tune())).update(
        fit_batch_size=[None, 16])
    grid = kerasnip.grid_regular(params)
    assert grid["fit_batch_size"].tolist() == [None, 16]


def test_grids_need_a_parameter_set(clf_spec):
    with pytest.raises(TypeError, match="extract_parameter_set"):
        kerasnip.grid_regular({"hidden_units": [1, 2]})
    empty = kerasnip.extract_parameter_set(clf_spec())
    with pytest.raises(ValueError, match="mark parameters"):
        kerasnip.grid_random(empty, size=3)
