"""tune_grid across processes: loky with blocks in __main__, Dask, and kill-and-resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import kerasnip
from kerasnip import tune
from tests.helpers import MAIN_BLOCKS, ROOT, python_env, run_ok

# Shared by the scripts below: 80 digits, a 2-fold search over tiny 1-epoch models.
SCRIPT_DATA = """
import sys
import pandas as pd
from sklearn.datasets import load_digits

import kerasnip

X, y = load_digits(n_class=4, return_X_y=True)
X, y = (X[:80] / 16.0).astype("float32"), y[:80]
"""


def _write(path: Path, body: str) -> Path:
    path.write_text(SCRIPT_DATA + MAIN_BLOCKS + textwrap.dedent(body))
    return path


# --------------------------------------------------------------------------- loky


def test_loky_with_blocks_in_main_matches_a_sequential_run(tmp_path):
    script = _write(tmp_path / "loky_main.py", """
        if __name__ == "__main__":
            mlp = kerasnip.create_keras_sequential_spec(
                "main_mlp", {"input": input_block, "hidden": hidden_block,
                             "output": output_block}, "classification")
            spec = mlp(hidden_units=kerasnip.tune(), fit_epochs=1, fit_batch_size=16,
                       random_state=0)
            grid = pd.DataFrame({"hidden_units": [4, 6, 8]})
            save_dir = sys.argv[1]
            two = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, n_jobs=2,
                                     save_pred=True, save_dir=save_dir)
            one = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, n_jobs=1,
                                     save_pred=True)
            assert two.collect_errors().empty, two.collect_errors()["error"].tolist()
            pd.testing.assert_frame_equal(one.collect_metrics(), two.collect_metrics())
            pd.testing.assert_frame_equal(one.collect_predictions(),
                                          two.collect_predictions())
            print("identical", len(two.collect_metrics()))
    """)
    save_dir = tmp_path / "saved"
    assert "identical 3" in run_ok(script, save_dir)
    # The workers wrote each (configuration, fold) themselves.
    assert len(list((save_dir / "fits").glob("*.pkl"))) == 3 * 2


# --------------------------------------------------------------------------- dask


def test_dask_backend_matches_a_sequential_run(clf_spec, digits, tmp_path):
    joblib = pytest.importorskip("joblib")
    distributed = pytest.importorskip("distributed")
    X, y = digits
    spec = clf_spec(hidden_units=tune(), fit_epochs=1, fit_batch_size=16, random_state=0)
    grid = pd.DataFrame({"hidden_units": [4, 8]})
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 host="127.0.0.1", dashboard_address=None) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        on_dask = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, save_pred=True,
                                     save_dir=tmp_path / "dask")
    here = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, save_pred=True)
    assert on_dask.collect_errors().empty
    pd.testing.assert_frame_equal(on_dask.collect_metrics(), here.collect_metrics())
    pd.testing.assert_frame_equal(on_dask.collect_predictions(), here.collect_predictions())
    assert len(list((tmp_path / "dask" / "fits").glob("*.pkl"))) == 2 * 2


# --------------------------------------------------------------------------- kill and resume

RESUMABLE = """
    from tests.blocks import CLASSIFIER_BLOCKS

    mlp = kerasnip.create_keras_sequential_spec("resume_mlp", CLASSIFIER_BLOCKS,
                                                "classification")
    spec = mlp(hidden_units=kerasnip.tune(), fit_epochs=1, fit_batch_size=16, random_state=0)
    grid = pd.DataFrame({"hidden_units": [2, 3, 4, 5, 6]})
    res = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, save_dir=sys.argv[1],
                             save_pred=True, progress=False)
    res.collect_predictions().to_pickle(sys.argv[2])
    res.collect_metrics().to_pickle(sys.argv[3])
    print("resumed", res.n_resumed)
"""


def test_a_killed_run_resumes_without_refitting_and_matches(tmp_path):
    script = _write(tmp_path / "resumable.py", RESUMABLE)
    total = 5 * 2

    # The reference: one uninterrupted run.
    reference = run_ok(script, tmp_path / "full", tmp_path / "full_pred.pkl",
                       tmp_path / "full_metrics.pkl")
    assert "resumed 0" in reference

    # A run killed (SIGKILL, no clean-up) after a few fits were saved.
    save_dir = tmp_path / "killed"
    fits = save_dir / "fits"
    process = subprocess.Popen(
        [sys.executable, str(script), str(save_dir), str(tmp_path / "unused1.pkl"),
         str(tmp_path / "unused2.pkl")],
        cwd=ROOT, env=python_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if fits.exists() and len(list(fits.glob("config*.pkl"))) >= 3:
            break
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    # Only finished files: a half-written one is a hidden ".*.partial" file.
    saved = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in fits.glob("config*.pkl")}
    assert 3 <= len(saved) < total, f"kill came too late: {len(saved)} of {total} saved"

    # The rerun reads the saved fits back, fits only the rest, and matches.
    resumed = run_ok(script, save_dir, tmp_path / "resumed_pred.pkl",
                     tmp_path / "resumed_metrics.pkl")
    assert f"resumed {len(saved)}" in resumed
    for path, stamp in saved.items():
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp  # not rewritten
    assert len(list(fits.glob("*.pkl"))) == total
    # No half-written file is left (whether the kill left one is chance; the
    # clean-up itself is checked in test_a_save_dir_of_another_run_is_refused).
    assert not list(fits.glob(".*"))
    pd.testing.assert_frame_equal(pd.read_pickle(tmp_path / "resumed_metrics.pkl"),
                                  pd.read_pickle(tmp_path / "full_metrics.pkl"))
    pd.testing.assert_frame_equal(pd.read_pickle(tmp_path / "resumed_pred.pkl"),
                                  pd.read_pickle(tmp_path / "full_pred.pkl"))


def test_a_save_dir_of_another_run_is_refused(clf_spec, digits, tmp_path):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), fit_epochs=1, random_state=0)
    kerasnip.tune_grid(spec, X, y, resamples=2, grid=pd.DataFrame({"hidden_units": [4]}),
                       save_dir=tmp_path / "run")
    # What a run killed mid-write leaves: the rerun deletes it (its fit was redone).
    half = tmp_path / "run" / "fits" / ".config00001_fold001.pkl.k1ll.partial"
    half.write_bytes(b"\x80\x05half")
    again = kerasnip.tune_grid(spec, X, y, resamples=2,
                               grid=pd.DataFrame({"hidden_units": [4]}), save_dir=tmp_path / "run")
    assert again.n_resumed == 2
    assert not half.exists()
    with pytest.raises(ValueError, match="different tune_grid run"):
        kerasnip.tune_grid(spec, X, y, resamples=2, grid=pd.DataFrame({"hidden_units": [5]}),
                           save_dir=tmp_path / "run")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    (tmp_path / "other" / ".draft.partial").write_text("mine too")
    with pytest.raises(ValueError, match="not empty but has no manifest"):
        kerasnip.tune_grid(spec, X, y, resamples=2, grid=pd.DataFrame({"hidden_units": [4]}),
                           save_dir=tmp_path / "other")
    # Only a partial manifest of tune_grid's own is cleaned up, never the user's files.
    assert (tmp_path / "other" / ".draft.partial").read_text() == "mine too"


def test_a_run_killed_while_writing_its_manifest_starts_over(clf_spec, digits, tmp_path):
    X, y = digits
    spec = clf_spec(hidden_units=tune(), fit_epochs=1, random_state=0)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".manifest.json.x1y2.partial").write_bytes(b'{"form')
    res = kerasnip.tune_grid(spec, X, y, resamples=2, grid=pd.DataFrame({"hidden_units": [4]}),
                             save_dir=tmp_path / "run")
    assert res.n_resumed == 0 and res.collect_errors().empty
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["fits", "manifest.json"]


def test_resume_fits_only_the_missing_epochs_of_a_shared_fit(clf_spec, digits, tmp_path,
                                                             monkeypatch):
    X, y = digits
    spec = clf_spec(hidden_units=4, fit_epochs=tune(), fit_batch_size=16, random_state=0)
    grid = pd.DataFrame({"fit_epochs": [1, 2, 3]})
    first = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, save_dir=tmp_path,
                               save_pred=True)
    # Lose the 2-epoch result of fold 1 and the 3-epoch result of fold 2.
    (tmp_path / "fits" / "config00002_fold001.pkl").unlink()
    (tmp_path / "fits" / "config00003_fold002.pkl").unlink()
    calls = []
    original_fit = type(spec).fit
    monkeypatch.setattr(type(spec), "fit",
                        lambda self, *a, **k: calls.append(self.fit_epochs) or original_fit(
                            self, *a, **k))
    again = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, save_dir=tmp_path,
                               save_pred=True)
    assert again.n_resumed == 4
    assert calls == [2, 3]  # one fit per fold, only as long as the missing results need
    pd.testing.assert_frame_equal(again.collect_metrics(), first.collect_metrics())
    pd.testing.assert_frame_equal(again.collect_predictions(), first.collect_predictions())
