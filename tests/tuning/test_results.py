"""TuneResults: metric tables, best configurations, errors and plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

import kerasnip
from kerasnip import tune
from kerasnip.tuning.results import TuneResults


def test_show_and_select_best(two_by_two):
    _, res = two_by_two
    best = res.show_best("accuracy", n=1)
    ranked = res.collect_metrics().sort_values("mean", ascending=False)
    assert best["mean"].item() == ranked["mean"].iloc[0]
    chosen = res.select_best("accuracy")
    assert chosen == {"hidden_units": best["hidden_units"].item(),
                      ".config": best[".config"].item()}
    assert isinstance(chosen["hidden_units"], int)
    with pytest.raises(KeyError, match="Did you mean 'accuracy'"):
        res.show_best("acuracy")


def test_plot_writes_a_png_with_one_panel_per_parameter(two_by_two, tmp_path):
    _, res = two_by_two
    path = tmp_path / "tuning.png"
    figure = res.plot(path=path)
    assert len(figure.axes) == 1 and figure.axes[0].get_xlabel() == (
        "# Hidden Units (hidden_units)")
    assert imread(path).shape[2] in (3, 4)


def _results(clf_spec, scores: dict[int, list[float]], errors=()) -> TuneResults:
    spec = clf_spec(hidden_units=tune(), compile_optimizer=tune("opt"))
    params = kerasnip.extract_parameter_set(spec).update(hidden_units=(8, 64))
    grid = pd.DataFrame({"hidden_units": [8, 16, 32, 64],
                         "opt": ["adam", "sgd", "adam", "sgd"]})
    records = [
        {"config": c, "fold": f, "metrics": {"accuracy": v},
         "error": "boom" if (c, f) in errors else None, "fit_time": 0.0, "predictions": None}
        for c, values in scores.items() for f, v in enumerate(values)
    ]
    return TuneResults(spec=spec, params=params, grid=grid, records=records,
                       metrics=["accuracy"], n_folds=3)


def test_select_by_one_std_err_prefers_the_simplest_close_config(clf_spec):
    res = _results(clf_spec, {0: [0.80, 0.82, 0.84], 1: [0.70, 0.70, 0.70],
                              2: [0.86, 0.90, 0.94], 3: [0.87, 0.89, 0.91]})
    # best: config 2 (mean 0.90, std_err 0.023); config 3 (0.89) is within one SE, 0 is not.
    assert res.select_best()["hidden_units"] == 32
    assert res.select_by_one_std_err("accuracy", "hidden_units")["hidden_units"] == 32
    assert res.select_by_one_std_err("accuracy", "-hidden_units")["hidden_units"] == 64
    assert res.select_by_one_std_err("accuracy", "opt", "hidden_units")["opt"] == "adam"
    with pytest.raises(ValueError, match="at least one tuned parameter"):
        res.select_by_one_std_err("accuracy")
    with pytest.raises(KeyError, match="Did you mean 'hidden_units'"):
        res.select_by_one_std_err("accuracy", "hidden_unit")


def test_failed_folds_count_in_n_and_errors(clf_spec):
    nan = float("nan")
    res = _results(clf_spec, {0: [0.5, nan, 0.7], 1: [nan, nan, nan], 2: [0.1] * 3,
                              3: [0.2] * 3}, errors={(0, 1), (1, 0), (1, 1), (1, 2)})
    summary = res.collect_metrics().set_index(".config")
    assert summary.loc["Model01", "n"] == 2 and summary.loc["Model01", "mean"] == pytest.approx(0.6)
    assert summary.loc["Model02", "n"] == 0 and np.isnan(summary.loc["Model02", "mean"])
    assert res.show_best()[".config"].tolist()[-1] == "Model02"  # NaN ranks last
    errors = res.collect_errors()
    assert errors[[".config", "fold"]].values.tolist() == [
        ["Model01", 2], ["Model02", 1], ["Model02", 2], ["Model02", 3]]
    assert "4 fit(s) failed" in repr(res)


def test_select_best_when_everything_failed(clf_spec):
    nan = float("nan")
    res = _results(clf_spec, {c: [nan] * 3 for c in range(4)},
                   errors={(c, f) for c in range(4) for f in range(3)})
    with pytest.raises(ValueError, match=r"every fit failed.*collect_errors"):
        res.select_best()


def test_plot_of_a_choice_parameter_has_categorical_ticks(clf_spec):
    res = _results(clf_spec, {c: [0.5, 0.6, 0.7] for c in range(4)})
    figure = res.plot()
    assert len(figure.axes) == 2
    assert [t.get_text() for t in figure.axes[1].get_xticklabels()] == ["adam", "sgd"]
    assert figure.axes[0].get_xscale() == "linear"
