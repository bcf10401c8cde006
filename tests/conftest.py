"""Shared fixtures: small real data sets and generated specs."""

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERASNIP_JAX_CACHE", str(Path(__file__).parent.parent / ".jax_cache"))

import kerasnip
from tests.blocks import CLASSIFIER_BLOCKS, REGRESSOR_BLOCKS

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def digits():
    """80 rows of scikit-learn's 8x8 digits, scaled to [0, 1], classes 0-3."""
    from sklearn.datasets import load_digits

    X, y = load_digits(n_class=4, return_X_y=True)
    return (X[:80] / 16.0).astype("float32"), y[:80]


@pytest.fixture(scope="session")
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype("float32")
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 1.5], dtype="float32") + 0.1 * rng.normal(size=60)
    return X, y.astype("float32")


@pytest.fixture(scope="session")
def clf_spec():
    return kerasnip.create_keras_sequential_spec("test_clf", CLASSIFIER_BLOCKS, "classification")


@pytest.fixture(scope="session")
def reg_spec():
    return kerasnip.create_keras_sequential_spec("test_reg", REGRESSOR_BLOCKS, "regression")


@pytest.fixture
def mnist_dir():
    if not MNIST_DIR.exists():
        pytest.skip(f"real MNIST not found at {MNIST_DIR} (only present in the project's CI)")
    return MNIST_DIR
