"""Functional layer blocks and data shared by the functional-spec tests.

They mirror the R package's README and vignette examples: the fork-join
regression, a two-input (8x8 image + tabular) classifier, and a two-headed
model with a classification and a regression head. Importable, so pickles
of them resolve in a fresh process. The fork-join blocks are the functional
demo's (``kerasnip.demo.functional``), the same ones the example script uses.
"""

import inspect
import textwrap

import keras
import numpy as np
import pandas as pd

from kerasnip import inp_spec
from kerasnip.demo import functional as demo_functional
from kerasnip.demo.functional import concat_block, input_block, path_block


def regression_output(tensor, num_outputs):
    return keras.layers.Dense(num_outputs)(tensor)


def softmax_output(tensor, num_classes):
    return keras.layers.Dense(num_classes, activation="softmax")(tensor)


def sigmoid_output(tensor):
    return keras.layers.Dense(1, activation="sigmoid")(tensor)


def conv_block(tensor, filters=4):
    x = keras.layers.Conv2D(filters, 3, activation="relu")(tensor)
    return keras.layers.Flatten()(x)


# The demo's graph with an output of ``num_outputs`` units, for multi-column targets too.
FORK_JOIN_BLOCKS = {**demo_functional.layer_blocks(),
                    "output": inp_spec(regression_output, "concatenated")}

TWO_INPUT_BLOCKS = {
    "image": input_block,
    "tabular": input_block,
    "conv": inp_spec(conv_block, "image"),
    "dense": inp_spec(path_block, "tabular"),
    "joined": inp_spec(concat_block, {"input_a": "conv", "input_b": "dense"}),
    "output": inp_spec(softmax_output, "joined"),
}

TWO_HEAD_BLOCKS = {
    "pixels": input_block,
    "trunk": inp_spec(path_block, "pixels"),
    "digit": inp_spec(softmax_output, "trunk"),
    "ink": inp_spec(regression_output, "trunk"),
}


def digits(n=60, n_class=3):
    """``n`` rows of scikit-learn's 8x8 digits scaled to [0, 1] and their labels.

    The ``digits`` fixture is ``digits(80, n_class=4)``.
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(n_class=n_class, return_X_y=True)
    return (X[:n] / 16.0).astype("float32"), y[:n]


def two_input_data(n=60):
    """Digits as an image input (n, 8, 8, 1) plus a tabular input (n, 3), and labels."""
    X, y = digits(n)
    images = X.reshape(-1, 8, 8, 1)
    tabular = np.column_stack([X.mean(1), X.std(1), (X > 0.5).mean(1)]).astype("float32")
    return {"image": images, "tabular": tabular}, y


def two_head_data(n=60):
    """Flat digits and a y with a class head ``digit`` and a float head ``ink``."""
    X, y = digits(n)
    ink = X.mean(1).astype("float64")
    return X, pd.DataFrame({"digit": y, "ink": (ink - ink.mean()) / ink.std()})


def fork_join_data(n=40, seed=0):
    """``n`` rows of 5 normal features and a noisy linear target (also the ``regression_data``)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)).astype("float32")
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 1.5], dtype="float32") + 0.1 * rng.normal(size=n)
    return X, y.astype("float32")


def add_block(input_a, input_b):
    return keras.layers.Add()([input_a, input_b])


def fork_join_script(body: str) -> str:
    """Source defining the demo's fork-join blocks in ``__main__`` and ``BLOCKS``, then ``body``.

    Run as a script, its blocks are not importable from anywhere else, so a
    pickle made there has to carry them by value.
    """
    blocks = (demo_functional.input_block, demo_functional.path_block,
              demo_functional.concat_block, demo_functional.output_block)
    definitions = "\n\n".join(inspect.getsource(block) for block in blocks)
    return (f"import kerasnip\n\n{definitions}\n\n"
            f"BLOCKS = {demo_functional.LAYER_BLOCKS_SOURCE}\n\n{textwrap.dedent(body)}")
