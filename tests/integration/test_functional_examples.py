"""The R package's README / vignette functional examples, reproduced in Python.

Each model fits, predicts, pickles (pickle, cloudpickle, joblib, and into a
fresh process) and is tuned (GridSearchCV over branch widths and repeat
counts, and kerasnip.tune_grid):

- fork-join regression: ``path_a`` and ``path_b`` into a concatenation;
- two inputs: an 8x8 image branch with a Conv2D and a tabular branch;
- two heads: a classification head and a regression head.
"""

import pickle
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

import kerasnip
from kerasnip.heads import head_scorer
from tests.functional_blocks import (
    FORK_JOIN_BLOCKS,
    TWO_HEAD_BLOCKS,
    TWO_INPUT_BLOCKS,
    fork_join_data,
    fork_join_script,
    two_head_data,
    two_input_data,
)
from tests.helpers import PICKLERS, assert_same_predictions, round_trip, run_ok, run_script


@pytest.fixture(scope="module")
def forked_mlp():
    return kerasnip.create_keras_functional_spec("forked_mlp", FORK_JOIN_BLOCKS, "regression")


@pytest.fixture(scope="module")
def two_input_cnn():
    return kerasnip.create_keras_functional_spec("two_input_cnn", TWO_INPUT_BLOCKS,
                                                 "classification")


@pytest.fixture(scope="module")
def two_headed():
    return kerasnip.create_keras_functional_spec("two_headed", TWO_HEAD_BLOCKS, "classification")


@pytest.fixture(scope="module")
def fitted(forked_mlp, two_input_cnn, two_headed):
    """The three README models fitted once, with the data to predict on."""
    X_fj, y_fj = fork_join_data()
    X_two, y_two = two_input_data()
    X_head, y_head = two_head_data()
    return {
        "fork_join": (forked_mlp(path_a_units=16, path_b_units=8, fit_epochs=3,
                                 random_state=1).fit(X_fj, y_fj), X_fj),
        "two_input": (two_input_cnn(conv_filters=4, dense_units=8, fit_epochs=3,
                                    random_state=1).fit(X_two, y_two), X_two),
        "two_head": (two_headed(trunk_units=16, fit_epochs=3, random_state=1)
                     .fit(X_head, y_head), X_head),
    }


# --------------------------------------------------------------------------- fit / predict


@pytest.mark.smoke
def test_fork_join_fits_and_predicts(fitted):
    est, X = fitted["fork_join"]
    predicted = est.predict(X)
    assert predicted.shape == (len(X),) and np.isfinite(predicted).all()
    assert list(est.history_["epoch"]) == [1, 2, 3]
    table = kerasnip.predict_table(est, X[:5])
    assert table.columns.tolist() == [".pred"]


@pytest.mark.smoke
def test_two_input_model_fits_and_predicts(fitted):
    est, X = fitted["two_input"]
    assert est.input_shape_ == {"image": (8, 8, 1), "tabular": (3,)}
    assert set(est.predict(X)) <= {0, 1, 2}
    assert kerasnip.predict_table(est, X, type="prob").shape == (60, 3)


@pytest.mark.smoke
def test_two_headed_model_fits_and_predicts(fitted):
    est, X = fitted["two_head"]
    predicted = est.predict(X)
    assert set(predicted["digit"]) <= {0, 1, 2}
    assert predicted["ink"].dtype.kind == "f" and predicted["ink"].shape == (len(X),)
    table = kerasnip.predict_table(est, X)
    assert table.columns.tolist() == [".pred_class_digit", ".pred_ink"]


def test_functional_models_learn(forked_mlp):
    X, y = fork_join_data(n=80)
    est = forked_mlp(fit_epochs=40, learn_rate=0.02, random_state=0).fit(X, y)
    # a linear target that a fork-join MLP fits well after a short training
    assert est.score(X, y) > 0.8


# --------------------------------------------------------------------------- pickling


@pytest.mark.smoke
@pytest.mark.parametrize("how", PICKLERS)
@pytest.mark.parametrize("model", ["fork_join", "two_input", "two_head"])
def test_pickle_round_trip(fitted, model, how):
    est, X = fitted[model]
    loaded = round_trip(est, how)
    assert type(loaded) is type(est)
    assert_same_predictions(loaded.predict(X), est.predict(X))
    assert loaded.get_params() == est.get_params()


def test_pickles_predict_the_same_in_a_fresh_process(fitted, tmp_path):
    for name, (est, X) in fitted.items():
        (tmp_path / f"{name}.pkl").write_bytes(pickle.dumps((est, X)))
        (tmp_path / f"{name}.expected.pkl").write_bytes(pickle.dumps(est.predict(X)))
    out = run_script(
        """
        import pickle, sys
        from pathlib import Path
        import numpy as np
        folder = Path(sys.argv[1])
        for name in ("fork_join", "two_input", "two_head"):
            est, X = pickle.loads((folder / f"{name}.pkl").read_bytes())
            expected = pickle.loads((folder / f"{name}.expected.pkl").read_bytes())
            got = est.predict(X)
            pairs = got.items() if isinstance(got, dict) else [(name, got)]
            reference = expected if isinstance(expected, dict) else {name: expected}
            for key, values in pairs:
                np.testing.assert_array_equal(values, reference[key])
            print(name, "ok")
        """,
        tmp_path,
    )
    assert out.split() == ["fork_join", "ok", "two_input", "ok", "two_head", "ok"]


def test_blocks_defined_in_main_pickle_into_another_process(tmp_path):
    fitted_path = tmp_path / "model.pkl"
    first = run_script(
        fork_join_script("""
        import sys, pickle
        import numpy as np

        spec = kerasnip.create_keras_functional_spec("main_forked", BLOCKS, "regression")
        X = np.linspace(-1, 1, 60, dtype="float32").reshape(20, 3)
        est = spec(path_a_units=4, path_b_units=2, fit_epochs=2, random_state=0).fit(X, X.sum(1))
        with open(sys.argv[1], "wb") as f:
            pickle.dump(est, f)
        print(repr(est.predict(X[:3]).tolist()))
        """),
        fitted_path,
    )
    second = run_script(
        """
        import sys, pickle
        import numpy as np
        with open(sys.argv[1], "rb") as f:
            est = pickle.load(f)
        X = np.linspace(-1, 1, 60, dtype="float32").reshape(20, 3)
        assert type(est).__name__ == "main_forked"
        assert est.get_params()["path_b_units"] == 2
        print(repr(est.predict(X[:3]).tolist()))
        """,
        fitted_path,
    )
    assert first == second


# --------------------------------------------------------------------------- params


def test_get_set_params_and_clone(forked_mlp):
    est = forked_mlp(path_a_units=16, path_b_units=8, num_path_a=2)
    params = est.get_params()
    assert params["path_a_units"] == 16 and params["num_path_a"] == 2
    copy = clone(est)
    assert copy is not est and copy.get_params() == params
    copy.set_params(path_b_units=3, num_path_b=0)
    assert est.path_b_units == 8 and copy.num_path_b == 0
    X, y = fork_join_data()
    model = copy.set_params(fit_epochs=1).fit(X, y).model_
    units = sorted(layer.units for layer in model.layers if hasattr(layer, "units"))
    assert units == [1, 16, 16]  # path_a twice, path_b removed, the output layer


# --------------------------------------------------------------------------- tuning


def test_grid_search_over_branch_widths_and_repeats(forked_mlp):
    X, y = fork_join_data()
    search = GridSearchCV(
        forked_mlp(fit_epochs=2, random_state=0),
        {"path_a_units": [2, 8], "num_path_b": [0, 2]},
        cv=KFold(2),
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert best.path_a_units == search.best_params_["path_a_units"]
    assert best.predict(X).shape == (len(X),)


def test_grid_search_on_two_inputs_in_a_frame(two_input_cnn):
    X, y = two_input_data()
    frame = pd.DataFrame({name: list(values) for name, values in X.items()})
    search = GridSearchCV(two_input_cnn(fit_epochs=1, random_state=0),
                          {"conv_filters": [2, 4]}, cv=2).fit(frame, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.feature_names_in_.tolist() == ["image", "tabular"]


def test_grid_search_on_two_heads_uses_the_mean_head_score(two_headed):
    X, y = two_head_data()
    search = GridSearchCV(two_headed(fit_epochs=1, random_state=0),
                          {"trunk_units": [4, 8], "num_trunk": [1, 2]}, cv=KFold(2)).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert set(search.best_estimator_.predict(X)) == {"digit", "ink"}
    per_head = GridSearchCV(
        two_headed(fit_epochs=1, random_state=0), {"trunk_units": [4, 8]}, cv=KFold(2),
        scoring={"digit": head_scorer("digit", "accuracy"), "ink": head_scorer("ink", "r2")},
        refit="digit",
    ).fit(X, y)
    assert np.isfinite(per_head.cv_results_["mean_test_digit"]).all()
    assert np.isfinite(per_head.cv_results_["mean_test_ink"]).all()


def test_tune_grid_fork_join_widths(forked_mlp):
    X, y = fork_join_data()
    spec = forked_mlp(path_a_units=kerasnip.tune(), path_b_units=kerasnip.tune(),
                      fit_epochs=2, random_state=0)
    params = kerasnip.extract_parameter_set(spec).update(
        path_a_units=kerasnip.hidden_units((4, 16)), path_b_units=kerasnip.hidden_units((4, 16)))
    grid = kerasnip.grid_regular(params, levels=2)
    res = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, progress=False)
    metrics = res.collect_metrics()
    assert len(metrics) == 4 and np.isfinite(metrics["mean"]).all()
    best = res.select_best("r2")
    final = kerasnip.finalize(spec, best).fit(X, y)
    assert final.path_a_units in (4, 16) and final.predict(X).shape == (len(X),)


def test_tune_grid_two_inputs_and_two_heads(two_input_cnn, two_headed):
    X, y = two_input_data()
    spec = two_input_cnn(num_dense=kerasnip.tune(), fit_epochs=1, random_state=0)
    res = kerasnip.tune_grid(spec, X, y, resamples=2, grid=pd.DataFrame({"num_dense": [0, 2]}),
                             progress=False)
    assert np.isfinite(res.collect_metrics()["mean"]).all()

    X, y = two_head_data()
    spec = two_headed(trunk_units=kerasnip.tune(), fit_epochs=1, random_state=0)
    res = kerasnip.tune_grid(
        spec, X, y, resamples=2, grid=pd.DataFrame({"trunk_units": [4, 8]}), progress=False,
        metrics={"digit_accuracy": head_scorer("digit", "accuracy"),
                 "ink_r2": head_scorer("ink", "r2")},
    )
    metrics = res.collect_metrics()
    assert set(metrics[".metric"]) == {"digit_accuracy", "ink_r2"}
    assert np.isfinite(metrics["mean"]).all()


def test_parallel_tune_grid_with_blocks_in_main(tmp_path):
    script = tmp_path / "forked_parallel.py"
    script.write_text(fork_join_script(
        """
        import numpy as np, pandas as pd

        if __name__ == "__main__":
            spec = kerasnip.create_keras_functional_spec("forked_parallel", BLOCKS, "regression")
            rng = np.random.default_rng(0)
            X = rng.normal(size=(40, 4)).astype("float32")
            y = X.sum(1)
            tuned = spec(path_a_units=kerasnip.tune(), num_path_b=kerasnip.tune(),
                         fit_epochs=2, random_state=0)
            grid = pd.DataFrame({"path_a_units": [2, 8], "num_path_b": [0, 2]})
            runs = [kerasnip.tune_grid(tuned, X, y, resamples=2, grid=grid, n_jobs=jobs,
                                       progress=False).collect_metrics()["mean"]
                    for jobs in (2, None)]
            print(len(runs[0]), bool(np.isfinite(runs[0]).all()), np.allclose(*runs))
        """))
    out = run_script(f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')")
    assert out.split() == ["2", "True", "True"]


def test_randomized_search_over_widths_and_repeats(forked_mlp):
    from sklearn.model_selection import RandomizedSearchCV

    X, y = fork_join_data()
    spec = forked_mlp(path_b_units=kerasnip.tune(), num_path_a=kerasnip.tune(), fit_epochs=1,
                      random_state=0)
    params = kerasnip.extract_parameter_set(spec).update(
        path_b_units=kerasnip.hidden_units((2, 8)), num_path_a=kerasnip.num_terms((0, 2)))
    search = RandomizedSearchCV(spec, params.to_distributions(), n_iter=3, cv=KFold(2),
                                random_state=0).fit(X, y)
    tried = search.cv_results_["params"]
    assert len(tried) == 3
    assert all(2 <= p["path_b_units"] <= 8 and 0 <= p["num_path_a"] <= 2 for p in tried)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_forkjoin_example_script_runs():
    text = run_ok("examples/functional_forkjoin.py", "--epochs", "2", "--folds", "2")
    assert "['num_path_a', 'num_path_b', 'num_output', 'path_a_units', 'path_b_units']" in text
    assert re.search(r"test R\^2 of the tuned model: -?\d\.\d{3}", text)
