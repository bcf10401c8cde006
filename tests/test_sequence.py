"""Sequence transformers: windows, leads and collapsed columns against hand-computed
values, alignment of windowed predictions, and use inside scikit-learn pipelines."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import kerasnip
from kerasnip.encoding.features import stack_array_column
from kerasnip.sequence import CollapseColumns, LeadTargets, SequenceWindows, align_predictions
from tests.blocks import dense_block, flat_input_block, linear_output

ROWS = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]])

ORDER_DEPENDENT = ("rows are time-ordered: each output row depends on its neighbours, so "
                   "transforming a reordered or subset X changes it by design")
ROW_DROPPING = "padding='drop' returns fewer rows than it is given, by design"
ARRAY_CELLS = ("the output's cells are arrays (an object column), which the check's "
               "numeric comparison cannot compare; round trips are tested below")


def expected_failures(estimator):
    if isinstance(estimator, (SequenceWindows, LeadTargets)):
        failures = {"check_methods_sample_order_invariance": ORDER_DEPENDENT,
                    "check_methods_subset_invariance": ORDER_DEPENDENT}
        if getattr(estimator, "padding", None) == "drop":
            failures.update(check_transformer_general=ROW_DROPPING,
                            check_transformer_data_not_an_array=ROW_DROPPING)
        return failures
    return dict.fromkeys(
        ["check_pipeline_consistency", "check_estimators_pickle",
         "check_transformer_data_not_an_array", "check_transformer_general",
         "check_methods_sample_order_invariance", "check_methods_subset_invariance",
         "check_fit_idempotent"], ARRAY_CELLS)


@parametrize_with_checks(
    [SequenceWindows(timesteps=2), SequenceWindows(timesteps=2, padding="zero"), LeadTargets(),
     CollapseColumns()],
    expected_failed_checks=expected_failures)
def test_scikit_learn_contract(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------- SequenceWindows


def test_windows_drop_the_rows_without_a_full_history():
    windows = SequenceWindows(timesteps=3).fit_transform(ROWS)
    expected = np.array([[[0, 1], [2, 3], [4, 5]],
                         [[2, 3], [4, 5], [6, 7]]], dtype=float)
    np.testing.assert_array_equal(windows, expected)


def test_zero_padding_keeps_every_row():
    windows = SequenceWindows(timesteps=3, padding="zero").fit_transform(ROWS)
    expected = np.array([[[0, 0], [0, 0], [0, 1]],
                         [[0, 0], [0, 1], [2, 3]],
                         [[0, 1], [2, 3], [4, 5]],
                         [[2, 3], [4, 5], [6, 7]]], dtype=float)
    np.testing.assert_array_equal(windows, expected)


def test_one_step_windows_are_the_rows():
    np.testing.assert_array_equal(SequenceWindows(timesteps=1).fit_transform(ROWS),
                                  ROWS[:, None, :])


def test_output_index_and_target_alignment_follow_the_dropped_rows():
    frame = pd.DataFrame(ROWS, columns=["a", "b"], index=list("wxyz"))
    windows = SequenceWindows(timesteps=3).fit(frame)
    assert list(windows.output_index(frame)) == ["y", "z"]
    assert list(windows.output_index(ROWS)) == [2, 3]
    y = pd.Series([10, 11, 12, 13], index=list("wxyz"))
    pd.testing.assert_series_equal(windows.align_target(y), y.iloc[2:])
    np.testing.assert_array_equal(windows.align_target(np.arange(4)), [2, 3])
    zero = SequenceWindows(timesteps=3, padding="zero").fit(frame)
    assert list(zero.output_index(frame)) == list("wxyz")
    pd.testing.assert_series_equal(zero.align_target(y), y)


@pytest.mark.parametrize("params, X, match", [
    ({"timesteps": 5}, ROWS, "needs at least 5 rows to make a window, got 4.*padding='zero'"),
    ({"padding": "zeros"}, ROWS, "Did you mean 'zero'"),
    ({"timesteps": 0}, ROWS, "timesteps must be a positive integer"),
    ({"timesteps": 2.5}, ROWS, "timesteps must be a positive integer"),
])
def test_window_errors(params, X, match):
    with pytest.raises(ValueError, match=match):
        SequenceWindows(**params).fit_transform(X)


def test_untrimmed_target_warns_with_the_fix():
    with pytest.warns(UserWarning, match=r"first 2 row\(s\) no window.*align_target"):
        SequenceWindows(timesteps=3).fit(ROWS, np.arange(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SequenceWindows(timesteps=3).fit(ROWS, np.arange(2))  # already trimmed
        SequenceWindows(timesteps=3, padding="zero").fit(ROWS, np.arange(4))
        SequenceWindows(timesteps=3).fit(ROWS)


def test_windows_check_the_features_seen_in_fit():
    windows = SequenceWindows(timesteps=2).fit(ROWS)
    with pytest.raises(ValueError, match="features"):
        windows.transform(np.zeros((4, 3)))


# ---------------------------------------------------------------------------- alignment


def test_align_predictions_puts_values_on_their_rows():
    frame = pd.DataFrame(ROWS, index=list("wxyz"))
    windows = SequenceWindows(timesteps=3).fit(frame)
    aligned = align_predictions(np.array([1.5, 2.5]), frame, windows)
    assert list(aligned.index) == list("wxyz")
    assert aligned.isna().tolist() == [True, True, False, False]
    assert aligned.loc["z"] == 2.5
    table = pd.DataFrame({".pred_1": [1.0, 2.0], ".pred_2": [3.0, 4.0]})
    aligned = align_predictions(table, frame, windows)
    assert list(aligned.columns) == [".pred_1", ".pred_2"]
    assert aligned.loc["y"].tolist() == [1.0, 3.0]
    assert align_predictions(np.ones((2, 3)), ROWS, windows).shape == (4, 3)


def test_align_predictions_errors():
    windows = SequenceWindows(timesteps=3).fit(ROWS)
    with pytest.raises(ValueError, match="Got 3 predictions but X gives 2 windows"):
        align_predictions(np.zeros(3), ROWS, windows)
    with pytest.raises(ValueError, match="has 0 SequenceWindows steps"):
        align_predictions(np.zeros(2), ROWS, make_pipeline(StandardScaler()))
    with pytest.raises(TypeError, match="SequenceWindows transformer or a Pipeline"):
        align_predictions(np.zeros(2), ROWS, StandardScaler())


@pytest.fixture(scope="module")
def window_spec():
    return kerasnip.create_keras_sequential_spec(
        "sequence_mlp", {"input": flat_input_block, "hidden": dense_block,
                         "output": linear_output}, "regression")


def series_frame(n=40):
    t = np.arange(n, dtype=float)
    return pd.DataFrame({"level": np.sin(t / 3), "trend": t / n},
                        index=pd.date_range("2024-01-01", periods=n, freq="D"))


def test_windowed_pipeline_predictions_belong_to_their_last_row(window_spec):
    frame = series_frame()
    y = frame["level"].shift(-1).ffill()
    windows = SequenceWindows(timesteps=4)
    pipe = Pipeline([("scale", StandardScaler()), ("windows", windows),
                     ("model", window_spec(fit_epochs=2, random_state=0))])
    pipe.fit(frame, windows.align_target(y))
    assert pipe.named_steps["model"].input_shape_ == (4, 2)
    aligned = align_predictions(pipe.predict(frame), frame, pipe)
    assert aligned.index.equals(frame.index) and aligned.iloc[:3].isna().all()
    # The prediction aligned with a row is the one made from the history ending there.
    for row in (3, 17, 39):
        only_history = pipe.predict(frame.iloc[row - 3: row + 1])
        assert aligned.iloc[row] == pytest.approx(only_history[0], abs=1e-6)


def test_zero_padded_windows_work_in_cross_validation(window_spec):
    frame = series_frame()
    pipe = make_pipeline(SequenceWindows(timesteps=3, padding="zero"),
                         window_spec(fit_epochs=1, random_state=0))
    scores = cross_val_score(pipe, frame, frame["level"].to_numpy(), cv=2)
    assert scores.shape == (2,) and np.isfinite(scores).all()


# ---------------------------------------------------------------------------- LeadTargets


def test_leads_are_future_values():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [5, 6, 7, 8]}, index=list("abcd"))
    step = LeadTargets("y", leads=(1, 2)).fit(frame)
    out = step.transform(frame)
    assert step.target_names_ == ["lead_1_y", "lead_2_y"]
    assert list(out.columns) == ["y", "x", "lead_1_y", "lead_2_y"]
    assert list(out.index) == list("abcd")
    np.testing.assert_array_equal(out["lead_1_y"], [2, 3, 4, np.nan])
    np.testing.assert_array_equal(out["lead_2_y"], [3, 4, np.nan, np.nan])
    assert list(step.get_feature_names_out()) == ["y", "x", "lead_1_y", "lead_2_y"]


def test_leads_of_arrays_name_columns_by_position():
    step = LeadTargets(columns=[1], leads=1).fit(ROWS)
    assert step.target_names_ == ["lead_1_x1"]
    np.testing.assert_array_equal(step.transform(ROWS)[:, 2], [3, 5, 7, np.nan])


@pytest.mark.parametrize("params, match", [
    ({"columns": "yy"}, r"column 'yy' is not in X\. Did you mean 'y'"),
    ({"columns": "y", "leads": 0}, "each lead must be a positive integer"),
    ({"columns": "y", "leads": []}, "leads is empty"),
])
def test_lead_errors(params, match):
    with pytest.raises(ValueError, match=match):
        LeadTargets(**params).fit(pd.DataFrame({"y": [1.0, 2.0]}))


def test_lead_names_must_not_exist_already():
    frame = pd.DataFrame({"y": [1.0, 2.0], "lead_1_y": [0.0, 0.0]})
    with pytest.raises(ValueError, match=r"already has column\(s\) \['lead_1_y'\]"):
        LeadTargets("y").fit(frame)


# ---------------------------------------------------------------------------- CollapseColumns


def test_collapse_round_trip():
    frame = pd.DataFrame({"id": ["p", "q", "r"], "a": [1.0, 2.0, 3.0], "b": [4, 5, 6]},
                         index=[10, 11, 12])
    step = CollapseColumns(["a", "b"], name="tabular").fit(frame)
    out = step.transform(frame)
    assert list(out.columns) == ["id", "tabular"] and list(out.index) == [10, 11, 12]
    np.testing.assert_array_equal(stack_array_column(out["tabular"]),
                                  frame[["a", "b"]].to_numpy(dtype=float))
    assert list(step.get_feature_names_out()) == ["id", "tabular"]


def test_collapsed_frame_feeds_an_estimator(regression_data, reg_spec):
    X, y = regression_data
    collapsed = CollapseColumns().fit_transform(pd.DataFrame(X))
    assert list(collapsed.columns) == ["x"]
    est = reg_spec(fit_epochs=1, random_state=0).fit(collapsed, y)
    assert est.input_shape_ == (5,)
    np.testing.assert_allclose(est.predict(collapsed), est.predict(X), rtol=1e-6)


def test_collapse_name_clash():
    with pytest.raises(ValueError, match="name 'a' is already a column"):
        CollapseColumns(["b"], name="a").fit(pd.DataFrame({"a": [1.0], "b": [2.0]}))


# ---------------------------------------------------------------------------- the example


def test_forecasting_example_runs_small(tmp_path):
    from tests.helpers import run_ok

    out = tmp_path / "forecast.png"
    text = run_ok("examples/forecasting.py", "--n", "120", "--timesteps", "12", "--horizon", "4",
                  "--epochs", "3", "--draws", "200", "--out", out, timeout=600)
    assert "whole-trajectory coverage, joint bands" in text
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_lead_targets_default_prefix_and_dropping_the_led_columns():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [5.0, 6.0, 7.0, 8.0]})
    step = LeadTargets("y", leads=(1, 2), default=0.0, prefix="future_",
                       keep_original_cols=False).fit(frame)
    out = step.transform(frame)
    assert list(out.columns) == ["x", "future_1_y", "future_2_y"]
    assert list(step.get_feature_names_out()) == list(out.columns)
    assert out["future_2_y"].tolist() == [3.0, 4.0, 0.0, 0.0]  # no future: the default
    assert LeadTargets("y").fit_transform(frame)["lead_1_y"].isna().tolist() == [
        False, False, False, True]
    with pytest.raises(TypeError, match="keep_original_cols must be True or False"):
        LeadTargets("y", keep_original_cols="no").fit(frame)
