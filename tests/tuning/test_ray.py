"""tune_grid under Ray's joblib back end, on a local Ray started by the tests.

As the Dask test in ``test_tune_grid_backends.py``: the results equal a sequential
run's, and blocks defined in ``__main__`` (a script run in a fresh interpreter)
travel to the workers. A ``pid`` "metric" records which process scored each fold,
so a run that silently stayed in the driver fails.
"""

from __future__ import annotations

import os
import textwrap

import joblib
import pandas as pd
import pytest

import kerasnip
from kerasnip import tune
from tests.helpers import FAST, MAIN_BLOCKS, run_script

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'kerasnip[ray]')")
from ray.util.joblib import register_ray  # noqa: E402


def worker_pid(estimator, X, y):
    """A scorer that returns the id of the process that ran it."""
    return float(os.getpid())


METRICS = {"accuracy": "accuracy", "pid": worker_pid}


@pytest.fixture(scope="module")
def local_ray():
    """A local two-CPU Ray with its joblib back end registered, shut down afterwards."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    register_ray()
    yield
    ray.shutdown()


def _metric(res: kerasnip.TuneResults, name: str, summarize: bool = True) -> pd.DataFrame:
    table = res.collect_metrics(summarize=summarize)
    return table[table[".metric"] == name].reset_index(drop=True)


def test_ray_backend_matches_a_sequential_run(local_ray, clf_spec, digits, tmp_path):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), **FAST)
    grid = pd.DataFrame({"hidden_units": [4, 8]})
    with joblib.parallel_backend("ray"):
        on_ray = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, metrics=METRICS,
                                    save_pred=True, save_dir=tmp_path / "ray", progress=False)
    here = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, metrics=METRICS,
                              save_pred=True, progress=False)
    assert on_ray.collect_errors().empty, on_ray.collect_errors()["error"].tolist()
    # Every fold was scored in a Ray worker, none in this process.
    ray_pids = set(_metric(on_ray, "pid", summarize=False)[".estimate"])
    assert len(_metric(on_ray, "pid", summarize=False)) == 2 * 2
    assert os.getpid() not in ray_pids
    assert set(_metric(here, "pid", summarize=False)[".estimate"]) == {os.getpid()}
    pd.testing.assert_frame_equal(_metric(on_ray, "accuracy"), _metric(here, "accuracy"))
    pd.testing.assert_frame_equal(on_ray.collect_predictions(), here.collect_predictions())
    # The workers wrote each (configuration, fold) themselves.
    assert len(list((tmp_path / "ray" / "fits").glob("*.pkl"))) == 2 * 2


# Blocks, scorer and spec defined in __main__: nothing for the workers to import them from.
MAIN_SCRIPT = textwrap.dedent("""
    import os

    import joblib
    import pandas as pd
    import ray
    from ray.util.joblib import register_ray
    from sklearn.datasets import load_digits

    import kerasnip


""") + MAIN_BLOCKS + textwrap.dedent("""
    def worker_pid(estimator, X, y):
        return float(os.getpid())


    def metric(res, name):
        table = res.collect_metrics(summarize=False)
        return table[table[".metric"] == name].reset_index(drop=True)


    if __name__ == "__main__":
        X, y = load_digits(n_class=4, return_X_y=True)
        X, y = (X[:80] / 16.0).astype("float32"), y[:80]
        mlp = kerasnip.create_keras_sequential_spec(
            "ray_main_mlp", {"input": input_block, "hidden": hidden_block,
                             "output": output_block}, "classification")
        spec = mlp(hidden_units=kerasnip.tune(), fit_epochs=1, fit_batch_size=16,
                   random_state=0)
        grid = pd.DataFrame({"hidden_units": [4, 6, 8]})
        metrics = {"accuracy": "accuracy", "pid": worker_pid}
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        register_ray()
        try:
            with joblib.parallel_backend("ray"):
                on_ray = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, metrics=metrics,
                                            save_pred=True, progress=False)
        finally:
            ray.shutdown()
        here = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, metrics=metrics,
                                  save_pred=True, progress=False)
        assert on_ray.collect_errors().empty, on_ray.collect_errors()["error"].tolist()
        pids = set(metric(on_ray, "pid")[".estimate"])
        assert pids and os.getpid() not in pids, pids
        pd.testing.assert_frame_equal(metric(on_ray, "accuracy"), metric(here, "accuracy"))
        pd.testing.assert_frame_equal(on_ray.collect_predictions(), here.collect_predictions())
        print("identical", len(metric(on_ray, "accuracy")))
""")


def test_ray_backend_with_blocks_in_main_matches_a_sequential_run():
    assert "identical 6" in run_script(MAIN_SCRIPT)
