"""Helpers shared by the tests: fresh interpreters, pickle-family round trips, demo runs."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import cloudpickle
import joblib
import numpy as np

ROOT = Path(__file__).resolve().parents[1]

PICKLERS = ("pickle", "cloudpickle", "joblib")

#: Three layer blocks as source (input, hidden with ``units``, softmax output), for
#: scripts run as ``__main__``, where nothing can import them.
MAIN_BLOCKS = """
def input_block(model, input_shape):
    import keras
    return keras.Sequential([keras.Input(shape=input_shape)])


def hidden_block(model, units=8):
    import keras
    model.add(keras.layers.Dense(units, activation="relu"))
    return model


def output_block(model, num_classes):
    import keras
    model.add(keras.layers.Dense(num_classes, activation="softmax"))
    return model


"""

#: Fit settings for tuning tests: one epoch, batches of 16, seeded.
FAST = {"fit_epochs": 1, "fit_batch_size": 16, "random_state": 0}


def python_env() -> dict[str, str]:
    """This process's environment (backend, compile cache) with the repository importable."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT),
                                                         os.environ.get("PYTHONPATH", "")])}


def run_ok(*argv: Any, timeout: float = 300) -> str:
    """Run ``python *argv`` in a fresh interpreter in the repository root; its stdout.

    Fails the test with the end of stderr unless it exits 0.
    """
    done = subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True,
                          env=python_env(), cwd=ROOT, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def run_script(script: str, *args: Any) -> str:
    """Run the (dedented) source ``script`` as ``__main__`` of a fresh interpreter; its stdout."""
    return run_ok("-c", textwrap.dedent(script), *args)


def round_trip(obj: Any, how: str) -> Any:
    """``obj`` dumped and loaded again with ``how``, one of :data:`PICKLERS`."""
    if how == "pickle":
        return pickle.loads(pickle.dumps(obj))
    if how == "cloudpickle":
        return cloudpickle.loads(cloudpickle.dumps(obj))
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def assert_same_predictions(got: Any, expected: Any) -> None:
    """Equal arrays, or dicts of equal arrays with the same keys (multi-output models)."""
    if isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            np.testing.assert_array_equal(got[key], expected[key])
    else:
        np.testing.assert_array_equal(got, expected)


def run_demo(*argv: str) -> tuple[int, str]:
    """``kerasnip demo *argv`` in this process: its exit status and printed text."""
    from kerasnip.__main__ import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["demo", *argv])
    return status, buffer.getvalue()


def rewrite_archive(payload: bytes, **members: bytes) -> bytes:
    """A saved file's bytes with some members replaced (or removed, when given None);
    members are named with ``_`` for ``.`` (``kerasnip_json``, ``model_keras``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(payload)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            replacement = members.get(name.replace(".", "_"), src.read(name))
            if replacement is not None:
                dst.writestr(name, replacement)
    return out.getvalue()


def manifest_with(payload: bytes, **changes: Any) -> bytes:
    """A saved file's bytes with top-level manifest entries replaced."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        manifest = json.loads(archive.read("kerasnip.json"))
    manifest.update(changes)
    return rewrite_archive(payload, kerasnip_json=json.dumps(manifest).encode())
