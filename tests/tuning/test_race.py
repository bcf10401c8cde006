"""tune_race: the elimination statistics on constructed scores, and a real race."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kerasnip
from kerasnip import tune
from kerasnip.tuning.race import race_survivors


def test_a_clearly_worse_configuration_is_eliminated():
    rng = np.random.default_rng(0)
    folds = rng.normal(0, 0.05, size=5)  # hard and easy folds move every configuration alike
    scores = np.array([0.90, 0.90, 0.60])[:, None] + folds[None, :] + rng.normal(0, 0.01, (3, 5))
    assert race_survivors(scores, alpha=0.05).tolist() == [True, True, False]


def test_fold_effects_do_not_hide_a_consistent_difference():
    # Folds differ by far more than the configurations, but config 1 is worse on each by
    # 0.05: a blocked (repeated-measures) comparison sees it, a plain t-test would not.
    folds = np.array([0.5, 0.9, 0.6, 0.8, 0.7])
    scores = np.stack([folds, folds - 0.05 + np.array([0.002, -0.002, 0.001, 0, -0.001])])
    assert race_survivors(scores, alpha=0.05).tolist() == [True, False]


def test_noise_keeps_close_configurations_and_a_larger_alpha_drops_more():
    scores = np.array([[0.80, 0.90, 0.70], [0.78, 0.86, 0.75], [0.85, 0.70, 0.60]])
    assert race_survivors(scores, alpha=0.05).tolist() == [True, True, True]
    loose = race_survivors(scores, alpha=0.3)
    assert loose.tolist() == [True, True, False]


def test_failed_configurations_leave_the_race_and_one_left_stays():
    scores = np.array([[0.8, np.nan, 0.7], [0.7, 0.8, 0.75]])
    assert race_survivors(scores, alpha=0.05).tolist() == [False, True]
    assert race_survivors(np.array([[0.5, 0.6]]), alpha=0.05).tolist() == [True]
    assert race_survivors(np.ones((2, 3)), alpha=0.05).tolist() == [True, True]


@pytest.fixture(scope="module")
def race_spec(clf_spec):
    return clf_spec(learn_rate=tune(), hidden_units=16, fit_epochs=8, fit_batch_size=16,
                    compile_optimizer="adam", random_state=0)


GRID = pd.DataFrame({"learn_rate": [0.03, 0.02, 1e-6]})  # the last cannot learn in 8 epochs


@pytest.mark.smoke
def test_the_race_drops_the_configuration_that_cannot_learn(race_spec, digits, tmp_path):
    X, y = digits
    race = kerasnip.tune_race(race_spec, X, y, resamples=5, grid=GRID, burn_in=3,
                              save_dir=tmp_path / "race")
    summary = race.collect_metrics()
    assert summary["n"].tolist() == [5, 5, 3]
    assert summary[".eliminated"].tolist() == [0, 0, 3]
    assert race.method == "tune_race" and "tune_race" in repr(race)
    assert race.select_best()["learn_rate"] in (0.03, 0.02)
    assert "Model03" not in race.show_best(n=3)[".config"].tolist()
    # The race is the grid's fits minus the skipped ones: the same scores.
    grid = kerasnip.tune_grid(race_spec, X, y, resamples=5, grid=GRID)
    both = grid.collect_metrics(summarize=False).merge(
        race.collect_metrics(summarize=False), on=[".config", "fold"])
    assert len(both) == 13
    np.testing.assert_allclose(both[".estimate_x"], both[".estimate_y"])
    # Resuming from save_dir fits nothing again and decides the same race.
    again = kerasnip.tune_race(race_spec, X, y, resamples=5, grid=GRID, burn_in=3,
                               save_dir=tmp_path / "race")
    assert again.n_resumed == 13
    pd.testing.assert_frame_equal(again.collect_metrics(), summary)


def test_race_arguments_are_checked(race_spec, digits):
    X, y = digits
    with pytest.raises(ValueError, match="burn_in must be an integer of at least 2"):
        kerasnip.tune_race(race_spec, X, y, grid=GRID, burn_in=1)
    with pytest.raises(ValueError, match="burn_in=4 asks for more folds than the 3"):
        kerasnip.tune_race(race_spec, X, y, resamples=3, grid=GRID, burn_in=4)
    with pytest.raises(ValueError, match="alpha must be a level between 0 and 1"):
        kerasnip.tune_race(race_spec, X, y, grid=GRID, alpha=5)
