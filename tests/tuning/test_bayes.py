"""tune_bayes: the Gaussian-process proposer on a synthetic objective, and real runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kerasnip
from kerasnip import Choice, Float, Int, ParameterSet, grid_random, grid_space_filling, tune
from kerasnip.tuning.bayes import GaussianProcessProposer, acquisition_value
from kerasnip.tuning.params import TunedParameter

PARAMS = ParameterSet([TunedParameter("rate", "rate", Float(0.0, 0.5)),
                       TunedParameter("lr", "lr", Float(1e-4, 1e-1, log=True)),
                       TunedParameter("units", "units", Int(8, 512, log=True)),
                       TunedParameter("act", "act", Choice("relu", "tanh"))])


def objective(grid: pd.DataFrame) -> np.ndarray:
    """A smooth optimum (0.0) at rate 0.2, lr 10**-2.5, 128 units, relu."""
    return (-4 * (grid["rate"] - 0.2) ** 2 - 0.3 * (np.log10(grid["lr"]) + 2.5) ** 2
            - 0.02 * (np.log2(grid["units"]) - 7) ** 2 - 0.1 * (grid["act"] == "tanh")
            ).to_numpy()


def best_so_far_bayes(seed: int, n: int, acquisition: str) -> np.ndarray:
    grid = grid_space_filling(PARAMS, 5, seed=seed)
    proposer = GaussianProcessProposer(PARAMS, acquisition, n_candidates=500, seed=seed)
    for iteration in range(1, n - 4):
        grid = pd.concat([grid, proposer.propose(grid, objective(grid), iteration)],
                         ignore_index=True)
    assert not grid.duplicated().any()
    return np.maximum.accumulate(objective(grid))


@pytest.mark.parametrize("acquisition", ["ei", "ucb"])
def test_the_process_finds_the_optimum_faster_than_random_search(acquisition):
    seeds, n = range(3), 20
    bayes = np.mean([best_so_far_bayes(s, n, acquisition) for s in seeds], axis=0)
    random = np.mean([np.maximum.accumulate(objective(grid_random(PARAMS, n, seed=s)))
                      for s in seeds], axis=0)
    assert bayes[-1] > -0.02  # close to the optimum, 0
    assert bayes[-1] > random[-1] + 0.03
    # Evaluations needed to get within 0.05 of the optimum: fewer than random search's.
    assert np.argmax(bayes > -0.05) < (np.argmax(random > -0.05) if (random > -0.05).any()
                                       else n)


def test_acquisition_functions():
    mean, sd = np.array([0.5, 0.5, 0.4]), np.array([0.0, 0.2, 0.2])
    ei = acquisition_value("ei", mean, sd, best=0.5, xi=0.0)
    assert ei[0] == pytest.approx(0) and ei[1] > ei[2] > 0  # uncertainty and mean both pay
    pi = acquisition_value("pi", mean, sd, best=0.5, xi=0.0)
    assert pi[1] == pytest.approx(0.5) and pi[2] < 0.5
    np.testing.assert_allclose(acquisition_value("ucb", mean, sd, 0.5, kappa=1), [0.5, 0.7, 0.6])


def test_encoding_puts_ranges_on_their_own_scale():
    grid = pd.DataFrame({"rate": [0.0, 0.5], "lr": [1e-4, 10**-2.5], "units": [8, 512],
                         "act": ["tanh", "relu"]})
    encoded = GaussianProcessProposer(PARAMS).encode(grid)
    np.testing.assert_allclose(encoded, [[0, 0, 0, 0, 1], [1, 0.5, 1, 1, 0]], atol=1e-12)


@pytest.fixture(scope="module")
def bayes_spec(clf_spec):
    spec = clf_spec(learn_rate=tune(), hidden_units=tune(), fit_epochs=3, fit_batch_size=16,
                    compile_optimizer="adam")
    params = kerasnip.extract_parameter_set(spec).update(learn_rate=(1e-3, 0.1),
                                                         hidden_units=(4, 32))
    return spec, params


def test_tune_bayes_proposes_new_configurations_and_resumes(bayes_spec, digits, tmp_path):
    spec, params = bayes_spec
    X, y = digits
    run = dict(resamples=2, params=params, initial=3, iterations=3, seed=0,
               save_dir=tmp_path / "bayes")
    res = kerasnip.tune_bayes(spec, X, y, **run)
    summary = res.collect_metrics()
    assert summary[".iter"].tolist() == [0, 0, 0, 1, 2, 3]
    assert not res.grid.duplicated().any()
    assert res.method == "tune_bayes" and (summary["n"] == 2).all()
    assert kerasnip.finalize(spec, res.select_best()).learn_rate == res.select_best()["learn_rate"]
    again = kerasnip.tune_bayes(spec, X, y, **run)
    assert again.n_resumed == 12
    pd.testing.assert_frame_equal(again.collect_metrics(), summary)


def test_tune_bayes_arguments_are_checked(bayes_spec, digits, tmp_path):
    spec, params = bayes_spec
    X, y = digits
    with pytest.raises(ValueError, match="needs a seed"):
        kerasnip.tune_bayes(spec, X, y, params=params, save_dir=tmp_path / "b")
    with pytest.raises(ValueError, match="acquisition must be one of"):
        kerasnip.tune_bayes(spec, X, y, params=params, acquisition="best")
    with pytest.raises(ValueError, match="iterations must be an integer of at least 0"):
        kerasnip.tune_bayes(spec, X, y, params=params, iterations=-1)
