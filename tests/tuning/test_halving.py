"""tune_halving: the rung schedule, and real halving runs whose survivors continue training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import kerasnip
from kerasnip import tune
from kerasnip.tuning.halving import rung_schedule


def test_rung_schedule():
    assert rung_schedule(27, 27) == [(27, 1), (9, 3), (3, 9), (1, 27)]
    # Epochs run out before configurations do: several reach max_epochs.
    assert rung_schedule(81, 30) == [(81, 1), (27, 3), (9, 10), (3, 30)]
    assert rung_schedule(5, 20, min_epochs=4, factor=2) == [(5, 5), (3, 10), (2, 20)]
    assert rung_schedule(1, 30) == [(1, 30)]
    with pytest.raises(ValueError, match="factor must be an integer of at least 2"):
        rung_schedule(9, 9, factor=1)
    with pytest.raises(ValueError, match="min_epochs=10 is more than max_epochs=9"):
        rung_schedule(9, 9, min_epochs=10)


@pytest.fixture(scope="module")
def halving_spec(clf_spec):
    return clf_spec(learn_rate=tune(), hidden_units=tune(), hidden_rate=0.2, fit_batch_size=16,
                    compile_optimizer="adam", random_state=0)


# The last cannot learn; the others can, at different speeds.
GRID = pd.DataFrame({"learn_rate": [0.03, 0.01, 0.003, 1e-6] * 2,
                     "hidden_units": [8] * 4 + [16] * 4}).iloc[:7]


@pytest.fixture(scope="module")
def halved(halving_spec, digits, tmp_path_factory):
    X, y = digits
    folder = tmp_path_factory.mktemp("halving") / "run"
    res = kerasnip.tune_halving(halving_spec, X, y, resamples=2, grid=GRID, max_epochs=9,
                                factor=3, save_dir=folder)
    return res, folder


@pytest.mark.smoke
def test_rungs_keep_the_best_third_and_continue_them(halved, halving_spec, digits):
    res, _ = halved
    X, y = digits
    summary = res.collect_metrics()
    assert summary[".rung"].value_counts().sort_index().tolist() == [7, 3, 1]
    assert summary.groupby(".rung")["fit_epochs"].unique().map(list).tolist() == [[1], [3], [9]]
    first = summary[summary[".rung"] == 0].sort_values("mean", ascending=False, kind="stable")
    second = summary[summary[".rung"] == 1]
    def configurations(table):
        return set(zip(table["learn_rate"], table["hidden_units"], strict=True))

    assert first["mean"].iloc[2] > first["mean"].iloc[3]  # no tie at the cut
    assert configurations(second) == configurations(first.head(3))
    assert 1e-6 not in second["learn_rate"].tolist()
    # The survivor continued from 3 epochs to 9: its scores are those of a 9-epoch fit.
    last = summary[summary[".rung"] == 2].iloc[0]
    best = kerasnip.finalize(halving_spec, res.collect_metrics().iloc[[last.name]])
    assert best.fit_epochs == 9
    grid = kerasnip.tune_grid(
        clone(halving_spec).set_params(fit_epochs=9), X, y, resamples=2,
        grid=pd.DataFrame({"learn_rate": [last["learn_rate"]],
                           "hidden_units": [last["hidden_units"]]}))
    folds = res.collect_metrics(summarize=False)
    np.testing.assert_allclose(folds[folds[".config"] == last[".config"]][".estimate"],
                               grid.collect_metrics(summarize=False)[".estimate"], atol=1e-6)
    assert res.select_best()[".config"] in summary[".config"].tolist()


def test_an_interrupted_halving_resumes(halved, halving_spec, digits):
    res, folder = halved
    X, y = digits
    # Lose the last rung, as if the run had been killed during it.
    for path in (folder / "fits").glob("config00011_*.pkl"):
        path.unlink()
    again = kerasnip.tune_halving(halving_spec, X, y, resamples=2, grid=GRID, max_epochs=9,
                                  factor=3, save_dir=folder)
    assert again.n_resumed == 20
    # The survivor had no model in this process: trained afresh to 9 epochs, same scores.
    pd.testing.assert_frame_equal(again.collect_metrics(), res.collect_metrics(),
                                  check_exact=False, atol=1e-6)


def test_halving_refuses_tuned_epochs(clf_spec, digits):
    X, y = digits
    with pytest.raises(ValueError, match="fit_epochs cannot be tuned"):
        kerasnip.tune_halving(clf_spec(fit_epochs=tune()), X, y,
                              grid=pd.DataFrame({"fit_epochs": [1, 2]}))


def test_halving_in_worker_processes_matches_in_process(halved, halving_spec, digits):
    """Survivors' models travel back from the workers (pickled, with their optimizer state
    and random streams) and continue there: the same scores as in one process."""
    res, _ = halved
    X, y = digits
    parallel = kerasnip.tune_halving(halving_spec, X, y, resamples=2, grid=GRID, max_epochs=9,
                                     factor=3, n_jobs=2)
    pd.testing.assert_frame_equal(parallel.collect_metrics(), res.collect_metrics(),
                                  check_exact=False, atol=1e-6)


def test_hyperband_brackets(halving_spec, digits):
    """brackets=2: the exploratory bracket (9 configurations from 1 epoch) and one of 5
    configurations starting at 3 epochs, each halved on its own."""
    X, y = digits
    params = kerasnip.extract_parameter_set(halving_spec).update(
        learn_rate=(1e-3, 0.05), hidden_units=(4, 32))
    res = kerasnip.tune_halving(halving_spec, X, y, resamples=2, params=params, max_epochs=9,
                                factor=3, brackets=2, random_state=0, progress=False)
    summary = res.collect_metrics()
    per_bracket = summary.groupby([".bracket", ".rung"])["fit_epochs"].agg(["first", "size"])
    assert per_bracket.to_dict("index") == {
        (0, 0): {"first": 1, "size": 9}, (0, 1): {"first": 3, "size": 3},
        (0, 2): {"first": 9, "size": 1},
        (1, 0): {"first": 3, "size": 5}, (1, 1): {"first": 9, "size": 2}}
    assert (summary["n"] == 2).all()
    with pytest.raises(ValueError, match="leave grid=None"):
        kerasnip.tune_halving(halving_spec, X, y, grid=GRID, brackets=2, max_epochs=9)
    with pytest.raises(ValueError, match="brackets=4 is more than the 3"):
        kerasnip.tune_halving(halving_spec, X, y, params=params, brackets=4, max_epochs=9)
