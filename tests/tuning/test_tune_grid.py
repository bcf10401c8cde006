"""tune_grid and finalize, with tiny real fits."""

from __future__ import annotations

import functools
import io
import re
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import KFold, StratifiedKFold

import kerasnip
from kerasnip import tune
from kerasnip.runtime import pool, runner
from tests import functional_blocks
from tests.helpers import FAST


@pytest.mark.smoke
def test_metrics_tables(two_by_two):
    _, res = two_by_two
    summary = res.collect_metrics()
    assert list(summary.columns) == ["hidden_units", ".metric", "mean", "n", "std_err", ".config"]
    assert summary["hidden_units"].tolist() == [4, 8]
    assert summary[".config"].tolist() == ["Model01", "Model02"]
    assert (summary[".metric"] == "accuracy").all() and (summary["n"] == 2).all()
    folds = res.collect_metrics(summarize=False)
    assert list(folds.columns) == ["hidden_units", ".metric", ".estimate", "fold", ".config"]
    assert folds["fold"].tolist() == [1, 2, 1, 2]
    means = folds.groupby(".config")[".estimate"].mean().to_numpy()
    np.testing.assert_allclose(summary["mean"], means)
    sems = folds.groupby(".config")[".estimate"].std().to_numpy() / np.sqrt(2)
    np.testing.assert_allclose(summary["std_err"], sems)
    assert "2 configuration(s) x 2 fold(s)" in repr(res)


def test_folds_are_stratified_and_scores_match_a_manual_fit(two_by_two, digits):
    spec, res = two_by_two
    X, y = digits
    train, test = next(StratifiedKFold(2).split(X, y))
    manual = clone(spec).set_params(hidden_units=8)
    with runner.whole_batches():  # as tune_grid trains: 40 rows padded to 48
        manual.fit(X[train], y[train])
    manual = manual.score(X[test], y[test])
    folds = res.collect_metrics(summarize=False)
    first = folds[(folds["hidden_units"] == 8) & (folds["fold"] == 1)][".estimate"].item()
    assert first == manual
    predictions = res.collect_predictions()
    assert sorted(predictions.loc[predictions["fold"] == 1, ".row"].unique()) == sorted(test)


def test_reused_models_give_the_results_of_fresh_builds(clf_spec, digits, monkeypatch):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), hidden_rate=0.2, fit_epochs=2, fit_batch_size=16,
                    random_state=4)
    grid = pd.DataFrame({"hidden_units": [4, 6]})
    reinitialize, reused_fits = pool.reinitialize, []
    monkeypatch.setattr(pool, "reinitialize",
                        lambda est: reused_fits.append(reinitialize(est)) or reused_fits[-1])
    # Three folds of 53 or 54 rows: the second and third reuse the first's model.
    reused = kerasnip.tune_grid(spec, X, y, resamples=3, grid=grid, save_pred=True)
    assert sum(reused_fits) >= 2 * 2
    reused_fits.clear()
    monkeypatch.setenv("KERASNIP_REUSE", "0")
    fresh = kerasnip.tune_grid(spec, X, y, resamples=3, grid=grid, save_pred=True)
    assert len(reused_fits) == 2 * 3 and not any(reused_fits)
    pd.testing.assert_frame_equal(reused.collect_predictions(), fresh.collect_predictions())
    pd.testing.assert_frame_equal(reused.collect_metrics(), fresh.collect_metrics())


def test_predictions_table(two_by_two, digits):
    _, res = two_by_two
    predictions = res.collect_predictions()
    assert len(predictions) == 2 * len(digits[1])  # every row once per configuration
    probabilities = predictions[[f".pred_{k}" for k in range(4)]].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(predictions[".pred_class"], probabilities.argmax(axis=1))


def test_predictions_are_named_as_predict_table_names_them(reg_spec, regression_data):
    X, y = regression_data
    targets = pd.DataFrame({"up": y, "down": -y})
    spec = reg_spec(hidden_units=tune(), **FAST)
    res = kerasnip.tune_grid(spec, X, targets, resamples=2, save_pred=True,
                             grid=pd.DataFrame({"hidden_units": [4]}))
    fitted = kerasnip.finalize(spec, res.select_best()).fit(X, targets)
    table = kerasnip.predict_table(fitted, X)
    assert list(table.columns) == [".pred_up", ".pred_down"]
    predictions = res.collect_predictions()
    assert [c for c in predictions.columns if c.startswith(".pred")] == list(table.columns)


def test_a_multi_output_model_keeps_each_heads_predictions():
    X, y = functional_blocks.two_head_data(40)
    spec = kerasnip.create_keras_functional_spec(
        "tune_two_heads", functional_blocks.TWO_HEAD_BLOCKS, "classification")(
        trunk_units=tune(), **FAST)
    res = kerasnip.tune_grid(spec, X, y, resamples=2, save_pred=True,
                             metrics={"digit": kerasnip.head_scorer("digit", "accuracy")},
                             grid=pd.DataFrame({"trunk_units": [4]}))
    assert res.collect_errors().empty
    predictions = res.collect_predictions()
    probabilities = [f".pred_digit_{k}" for k in range(3)]
    assert [c for c in predictions.columns if c.startswith(".pred")] == [
        *probabilities, ".pred_class_digit", ".pred_ink"]
    np.testing.assert_allclose(predictions[probabilities].sum(axis=1), 1.0, rtol=1e-5)
    assert sorted(predictions[".row"]) == list(range(40))


def test_a_failing_configuration_is_recorded_and_the_run_goes_on(clf_spec, digits):
    X, y = digits
    spec = clf_spec(compile_optimizer=tune(), **FAST)
    grid = pd.DataFrame({"compile_optimizer": ["adam", "adamm"]})
    with pytest.warns(FitFailedWarning, match="2 of 4"):
        res = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid)
    summary = res.collect_metrics().set_index("compile_optimizer")
    assert summary.loc["adam", "n"] == 2 and summary.loc["adam", "mean"] > 0
    assert summary.loc["adamm", "n"] == 0 and np.isnan(summary.loc["adamm", "mean"])
    errors = res.collect_errors()
    assert errors["compile_optimizer"].tolist() == ["adamm", "adamm"]
    assert errors["error"].str.contains("ValueError: Unknown optimizer 'adamm'").all()
    assert res.select_best()["compile_optimizer"] == "adam"


def test_metrics_share_one_predict_per_fold_and_fail_alone(clf_spec, digits, monkeypatch):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), **FAST)
    predicted_rows = []
    predict = type(spec).predict

    @functools.wraps(predict)
    def counting_predict(self, X):
        predicted_rows.append(len(X))
        return predict(self, X)

    def failing_metric(estimator, X, y):
        raise ValueError("this metric cannot score")

    monkeypatch.setattr(type(spec), "predict", counting_predict)
    metrics = {"acc": "accuracy", "balanced": "balanced_accuracy", "f1": "f1_macro",
               "broken": failing_metric}
    with pytest.warns(FitFailedWarning):
        res = kerasnip.tune_grid(spec, X, y, resamples=2, metrics=metrics,
                                 grid=pd.DataFrame({"hidden_units": [4]}))
    assert len(predicted_rows) == 2  # three label metrics, one predict per fold
    summary = res.collect_metrics().set_index(".metric")
    assert summary.loc[["acc", "balanced", "f1"], "n"].tolist() == [2, 2, 2]
    assert np.isnan(summary.loc["broken", "mean"])
    assert res.collect_errors()["error"].tolist() == [
        "broken: ValueError: this metric cannot score"] * 2


def test_training_settings_tune_alongside_architecture(clf_spec, digits):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), compile_optimizer=tune(), compile_loss=tune(),
                    learn_rate=tune(), fit_epochs=tune(), fit_batch_size=tune(), random_state=0)
    params = kerasnip.extract_parameter_set(spec).update(
        hidden_units=(4, 8), compile_optimizer=["adam", "sgd"],
        compile_loss=["categorical_crossentropy", "sparse_categorical_crossentropy"],
        learn_rate=(1e-3, 1e-1), fit_epochs=(1, 2), fit_batch_size=(16, 32))
    res = kerasnip.tune_grid(spec, X, y, resamples=2, grid=3, params=params, random_state=5)
    summary = res.collect_metrics()
    assert len(summary) == 3 and (summary["n"] == 2).all()
    assert res.collect_errors().empty
    assert set(summary.columns[:6]) == {"hidden_units", "compile_optimizer", "compile_loss",
                                        "learn_rate", "fit_epochs", "fit_batch_size"}
    expected = kerasnip.grid_space_filling(params, size=3, seed=5)
    pd.testing.assert_frame_equal(res.grid, expected)


@pytest.mark.smoke
def test_epochs_trick_trains_once_and_equals_separate_fits(clf_spec, digits, monkeypatch):
    X, y = digits
    spec = clf_spec(hidden_units=6, hidden_rate=0.2, fit_epochs=tune(), fit_batch_size=16,
                    random_state=3)
    calls = []
    original = type(spec).initialize_fit

    def counting(self, *args, **kwargs):  # every fit starts here, on the engine or not
        calls.append(self.fit_epochs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(spec), "initialize_fit", counting)
    shared = kerasnip.tune_grid(spec, X, y, resamples=2, save_pred=True,
                                grid=pd.DataFrame({"fit_epochs": [1, 3]}))
    assert calls == [3, 3]  # one fit per fold, to the largest epoch count
    for epochs in (1, 3):
        alone = kerasnip.tune_grid(spec, X, y, resamples=2, save_pred=True,
                                   grid=pd.DataFrame({"fit_epochs": [epochs]}))
        mine = shared.collect_predictions()
        mine = mine[mine["fit_epochs"] == epochs].drop(columns=".config").reset_index(drop=True)
        theirs = alone.collect_predictions().drop(columns=".config")
        pd.testing.assert_frame_equal(mine, theirs, rtol=1e-6)
    assert calls == [3, 3, 1, 1, 3, 3]


def test_epochs_trick_is_off_with_user_callbacks(clf_spec, digits, monkeypatch):
    import keras

    X, y = digits
    spec = clf_spec(hidden_units=4, fit_epochs=tune(), fit_callbacks=[keras.callbacks.History()],
                    random_state=0)
    calls = []
    original_fit = type(spec).fit
    monkeypatch.setattr(type(spec), "fit",
                        lambda self, *a, **k: calls.append(self.fit_epochs) or original_fit(
                            self, *a, **k))
    kerasnip.tune_grid(spec, X, y, resamples=2, grid=pd.DataFrame({"fit_epochs": [1, 2]}))
    assert sorted(calls) == [1, 1, 2, 2]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only(reg_spec, regression_data, monkeypatch):
    X, y = regression_data
    spec = reg_spec(hidden_units=4, **FAST)  # nothing tuned: one configuration
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    res = kerasnip.tune_grid(spec, X, y, resamples=KFold(3))
    assert re.search(r"tune_grid: 100%.*3/3 \[\d\d:\d\d<\d\d:\d\d", terminal.getvalue())
    assert res.metrics == ["r2"] and len(res.collect_metrics()) == 1 and res.n_folds == 3

    quiet = _Terminal()
    monkeypatch.setattr(sys, "stdout", quiet)
    kerasnip.tune_grid(spec, X, y, resamples=2, progress=False)
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stdout", piped)
    kerasnip.tune_grid(spec, X, y, resamples=2)
    assert quiet.getvalue() == "" and piped.getvalue() == ""


def test_finalize_gives_an_untuned_copy(clf_spec):
    spec = clf_spec(hidden_units=tune(), compile_optimizer=tune("opt"), fit_epochs=2)
    final = kerasnip.finalize(spec, {"hidden_units": np.int64(32), "opt": "sgd",
                                     ".config": "Model03"})
    assert final.hidden_units == 32 and type(final.hidden_units) is int
    assert final.compile_optimizer == "sgd" and final.fit_epochs == 2
    assert isinstance(spec.hidden_units, tune)  # the spec itself is unchanged
    row = pd.DataFrame({"hidden_units": [16], "opt": ["adam"], "mean": [0.9]}).drop(
        columns="mean")
    assert kerasnip.finalize(spec, row).hidden_units == 16
    with pytest.raises(ValueError, match=r"no value for tuned parameter\(s\) \['compile_optim"):
        kerasnip.finalize(spec, {"hidden_units": 8})
    with pytest.raises(KeyError, match="Did you mean 'hidden_units'"):
        kerasnip.finalize(spec, {"hiden_units": 8, "opt": "sgd"})


def test_fitting_a_spec_with_markers_is_a_clear_error(clf_spec, digits):
    with pytest.raises(ValueError, match=r"\['hidden_units'\] are marked with tune\(\)"):
        clf_spec(hidden_units=tune()).fit(*digits)


def test_bad_input_errors(clf_spec, digits):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), **FAST)
    grid = pd.DataFrame({"hidden_units": [4]})
    with pytest.raises(KeyError, match="Did you mean 'hidden_units'"):
        kerasnip.tune_grid(spec, X, y, grid=pd.DataFrame({"hiden_units": [4]}))
    with pytest.raises(KeyError, match=r"no column for tuned parameter\(s\) \['hidden_units'\]"):
        kerasnip.tune_grid(spec, X, y, grid=pd.DataFrame({"hidden_rate": [0.1]}))
    with pytest.raises(ValueError, match=r"Unknown metric 'accurcy'.*'accuracy'"):
        kerasnip.tune_grid(spec, X, y, grid=grid, metrics=["accurcy"])
    with pytest.raises(ValueError, match="grid has no rows"):
        kerasnip.tune_grid(spec, X, y, grid=grid.iloc[:0])
    with pytest.raises(TypeError, match="instance of a kerasnip spec"):
        kerasnip.tune_grid(clf_spec, X, y, grid=grid)
    other = kerasnip.extract_parameter_set(clf_spec(hidden_rate=tune()))
    with pytest.raises(ValueError, match=r"build params with kerasnip\.extract_parameter_set"):
        kerasnip.tune_grid(spec, X, y, grid=grid, params=other)
