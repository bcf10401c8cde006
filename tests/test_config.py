"""Default backend choice and the JAX compilation cache settings."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from kerasnip import config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_environment(monkeypatch, tmp_path):
    """As before ``import keras``: no KERAS_BACKEND, an empty Keras home."""
    monkeypatch.delitem(sys.modules, "keras")
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    return tmp_path


def _installed(*available):
    """A find_spec that sees exactly the ``available`` top-level packages."""
    return lambda name, *a: object() if name in available else None


def test_configured_backend_that_is_missing_falls_back_to_jax(fresh_environment, monkeypatch):
    (fresh_environment / "keras.json").write_text(json.dumps({"backend": "tensorflow"}))
    monkeypatch.setattr(importlib.util, "find_spec", _installed("jax", "torch"))
    config.choose_default_backend()
    assert os.environ["KERAS_BACKEND"] == "jax"


def test_torch_when_jax_is_missing(fresh_environment, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", _installed("torch"))
    config.choose_default_backend()
    assert os.environ["KERAS_BACKEND"] == "torch"


def test_installed_configured_backend_is_kept(fresh_environment, monkeypatch):
    (fresh_environment / "keras.json").write_text(json.dumps({"backend": "torch"}))
    monkeypatch.setattr(importlib.util, "find_spec", _installed("jax", "torch"))
    config.choose_default_backend()
    assert "KERAS_BACKEND" not in os.environ


def test_explicit_backend_and_imported_keras_are_left_alone(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "numpy")
    config.choose_default_backend()
    assert os.environ["KERAS_BACKEND"] == "numpy"
    monkeypatch.delenv("KERAS_BACKEND")
    assert "keras" in sys.modules  # too late to choose: nothing is set
    config.choose_default_backend()
    assert "KERAS_BACKEND" not in os.environ


def test_unreadable_keras_json_is_ignored(fresh_environment, monkeypatch):
    (fresh_environment / "keras.json").write_text("{not json")
    monkeypatch.setattr(importlib.util, "find_spec", _installed("jax"))
    config.choose_default_backend()
    assert os.environ["KERAS_BACKEND"] == "jax"


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs JAX installed")
def test_import_kerasnip_picks_jax_in_a_fresh_process(tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "tensorflow"}))
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env.update(KERAS_HOME=str(tmp_path), PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, "-c", "import kerasnip, keras; print(keras.backend.backend())"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "jax"


@pytest.mark.parametrize(("setting", "expected"), [
    ("0", None), ("off", None), ("", None),
    ("1", "XDG/kerasnip/jax"), ("true", "XDG/kerasnip/jax"),
    ("/some/dir", "/some/dir"),
])
def test_jax_cache_dir_settings(monkeypatch, setting, expected):
    monkeypatch.setenv("KERASNIP_JAX_CACHE", setting)
    monkeypatch.setenv("XDG_CACHE_HOME", "XDG")
    assert config.jax_cache_dir() == (None if expected is None else Path(expected))


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX backend only")
def test_jax_compilation_cache_is_on_after_a_fit(clf_spec, digits):
    import jax

    X, y = digits
    clf_spec(fit_epochs=1).fit(X, y)
    # conftest points the cache at the repository's .jax_cache (or the user's setting)
    assert jax.config.jax_compilation_cache_dir == str(config.jax_cache_dir())
    assert Path(jax.config.jax_compilation_cache_dir).is_dir()
