"""Shared fixtures: small real data sets and generated specs."""

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERASNIP_JAX_CACHE", str(Path(__file__).parent.parent / ".jax_cache"))

import kerasnip
from tests import functional_blocks
from tests.blocks import CLASSIFIER_BLOCKS, REGRESSOR_BLOCKS

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def digits():
    """80 rows of scikit-learn's 8x8 digits, scaled to [0, 1], classes 0-3."""
    return functional_blocks.digits(80, n_class=4)


@pytest.fixture(scope="session")
def regression_data():
    """60 rows of 5 normal features and a noisy linear target."""
    return functional_blocks.fork_join_data(60)


@pytest.fixture(scope="session")
def clf_spec():
    return kerasnip.create_keras_sequential_spec("test_clf", CLASSIFIER_BLOCKS, "classification")


@pytest.fixture(scope="session")
def reg_spec():
    return kerasnip.create_keras_sequential_spec("test_reg", REGRESSOR_BLOCKS, "regression")


@pytest.fixture(scope="module")
def clf(clf_spec, digits):
    """A fitted classifier with string labels and a validation split, its X and labels."""
    X, y = digits
    labels = np.array(["zero", "one", "two", "three"])[y]
    est = clf_spec(fit_epochs=3, random_state=0, hidden_units=8, fit_validation_split=0.25,
                   compile_metrics=["accuracy", "mse"])
    return est.fit(X, labels), X, labels


@pytest.fixture(scope="module")
def reg(reg_spec, regression_data):
    """A fitted regressor, its X and y."""
    X, y = regression_data
    return reg_spec(fit_epochs=2, random_state=0).fit(X, y), X, y


@pytest.fixture
def mnist_dir():
    if not MNIST_DIR.exists():
        pytest.skip(f"real MNIST not found at {MNIST_DIR} (only present in the project's CI)")
    return MNIST_DIR
