"""The Optuna bridge: parameter sets as Optuna search spaces, pruning from epoch scores."""

from __future__ import annotations

import numpy as np
import pytest

optuna = pytest.importorskip("optuna", reason="Optuna is the optional 'optuna' extra")

import kerasnip  # noqa: E402
from kerasnip import Choice, Float, Int, ParameterSet, tune  # noqa: E402
from kerasnip.tuning.optuna_bridge import OptunaPruning  # noqa: E402
from kerasnip.tuning.params import TunedParameter  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_a_parameter_set_is_an_optuna_search_space():
    params = ParameterSet([TunedParameter("lr", "learn_rate", Float(1e-4, 1e-1, log=True)),
                           TunedParameter("units", "hidden_units", Int(8, 64)),
                           TunedParameter("act", "hidden_act", Choice("relu", "tanh")),
                           TunedParameter("shape", "hidden_shape", Choice((1, 2), (3, 4)))])
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    drawn = []
    study.optimize(lambda trial: drawn.append(params.to_optuna(trial)) or 0.0, n_trials=20)
    assert {tuple(d) for d in drawn} == {("lr", "units", "act", "shape")}
    assert all(1e-4 <= d["lr"] <= 1e-1 and 8 <= d["units"] <= 64 for d in drawn)
    assert {d["act"] for d in drawn} == {"relu", "tanh"}
    assert {d["shape"] for d in drawn} == {(1, 2), (3, 4)}  # non-primitive: by position
    distributions = study.trials[0].distributions
    assert distributions["lr"].log and not distributions["units"].log
    assert isinstance(drawn[0]["units"], int)


def test_pruning_stops_unpromising_fits(clf_spec, digits):
    X, y = digits
    spec = clf_spec(learn_rate=tune(), hidden_units=8, fit_epochs=6, fit_batch_size=16,
                    fit_validation_split=0.25, compile_optimizer="adam", random_state=0)
    params = kerasnip.extract_parameter_set(spec).update(learn_rate=(1e-6, 1e-1))

    def objective(trial):
        model = kerasnip.finalize(spec, params.to_optuna(trial)).set_params(
            fit_callbacks=[OptunaPruning(trial, "val_accuracy")])
        model.fit(X, y)
        return float(model.history_["val_accuracy"].iloc[-1])

    # Two good trials first, then trials that cannot learn: the pruner stops those.
    study = optuna.create_study(direction="maximize",
                                pruner=optuna.pruners.ThresholdPruner(lower=0.5, n_warmup_steps=2))
    study.enqueue_trial({"learn_rate": 0.05})
    for _ in range(3):
        study.enqueue_trial({"learn_rate": 1e-6})
    study.optimize(objective, n_trials=4)
    states = [t.state for t in study.trials]
    assert states[0] == optuna.trial.TrialState.COMPLETE
    assert states[1:] == [optuna.trial.TrialState.PRUNED] * 3
    epochs_run = [len(t.intermediate_values) for t in study.trials]
    assert epochs_run == [6, 3, 3, 3]
    assert np.isfinite(study.best_value)


def test_pruning_names_what_it_cannot_monitor(clf_spec, digits):
    X, y = digits
    study = optuna.create_study()
    trial = study.ask()
    model = clf_spec(fit_epochs=1, random_state=0, fit_callbacks=[OptunaPruning(trial)])
    with pytest.raises(KeyError, match=r"does not log.*fit_validation_split"):
        model.fit(X, y)
