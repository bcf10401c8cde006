"""
Two inputs, two outputs: the functional API
===========================================

The R package's functional-API vignette in Python. A functional spec is a
graph of blocks: a block's arguments named after other blocks are its inputs,
blocks with no upstream argument are the model's inputs (each gets its own
``input_shape``), and when there is no block named ``output``, the blocks
nothing reads from are the outputs, one per column of y.

Two models share one graph: two inputs, each through its own dense path,
concatenated, then two heads. First both heads are regression outputs, then
both are classifiers (one binary, one with three classes), each with its own
loss, metric, probability columns and intervals. Last, ``compile_keras_grid``
builds and compiles every row of a grid without training, the functional
counterpart of adding layers one at a time and calling ``summary()``.

Data: small synthetic arrays whose targets depend on both inputs. Run:
``python examples/functional_api.py`` (``--epochs`` and ``--n`` trade accuracy
for time).
"""

import argparse

import kerasnip  # before keras: picks JAX when Keras's configured backend is not installed

# isort: split
import keras
import numpy as np
import pandas as pd

parser = argparse.ArgumentParser(description="Two inputs, two outputs: the functional API.")
parser.add_argument("--epochs", type=int, default=40)
parser.add_argument("--n", type=int, default=300, help="training rows")
args = parser.parse_args()
pd.set_option("display.max_columns", 12, "display.width", 120)

# %%
# Layer blocks are graph nodes
# ----------------------------
# Input blocks take only ``input_shape``. ``dense_path`` reads one tensor and
# ``concat_block`` two; :func:`kerasnip.inp_spec` renames their arguments to the
# blocks they read from. A regression head is one linear unit; a classification
# head asks for ``num_classes``, which kerasnip fills in from its own column of y.


def input_block(input_shape):
    return keras.Input(shape=input_shape)


def dense_path(tensor, units=16):
    return keras.layers.Dense(units, activation="relu")(tensor)


def concat_block(input_a, input_b):
    return keras.layers.Concatenate()([input_a, input_b])


def regression_head(tensor):
    return keras.layers.Dense(1)(tensor)


def softmax_head(tensor, num_classes):
    return keras.layers.Dense(num_classes, activation="softmax")(tensor)


def graph(head):
    """The vignette's graph, ending in two heads made by ``head``."""
    return {
        "input_1": input_block,
        "input_2": input_block,
        "processed_1": kerasnip.inp_spec(dense_path, "input_1"),
        "processed_2": kerasnip.inp_spec(dense_path, "input_2"),
        "concatenated": kerasnip.inp_spec(concat_block,
                                          {"input_a": "processed_1", "input_b": "processed_2"}),
        "output_1": kerasnip.inp_spec(head, "concatenated"),
        "output_2": kerasnip.inp_spec(head, "concatenated"),
    }


# %%
# Data with two inputs
# --------------------
# X is a dict with one array per input block (a DataFrame with one array-valued
# column per input block works too, e.g. for ``GridSearchCV``). The targets mix
# both inputs, so a model that ignored one of them could not fit them.

rng = np.random.default_rng(123)


def make_inputs(n):
    return {"input_1": rng.uniform(size=(n, 5)).astype("float32"),
            "input_2": rng.uniform(size=(n, 3)).astype("float32")}


def regression_targets(X):
    a, b = X["input_1"], X["input_2"]
    return pd.DataFrame({
        "output_1": a[:, 0] + 2 * b[:, 0] + 0.1 * rng.normal(size=len(a)),
        "output_2": a[:, 1] * b[:, 1] - a[:, 2] + 0.1 * rng.normal(size=len(a)),
    })


X_train, X_new = make_inputs(args.n), make_inputs(200)

# %%
# Example 1: two inputs, two regression outputs
# ----------------------------------------------
# The spec's parameters were found in the blocks: ``processed_1_units``,
# ``processed_2_units`` (and ``num_*`` repeat counts for every block).

two_output_reg = kerasnip.create_keras_functional_spec(
    "two_output_reg", graph(regression_head), mode="regression")
reg = two_output_reg(processed_1_units=16, processed_2_units=8, fit_epochs=args.epochs,
                     learn_rate=0.01, random_state=1)
y_train, y_new = regression_targets(X_train), regression_targets(X_new)
reg.fit(X_train, y_train)

print("R^2 on new data, averaged over the two outputs:", round(reg.score(X_new, y_new), 3))
print(kerasnip.predict_table(reg, X_new).head())

# %%
# Each head gets its own Laplace prediction interval, named after the head:
# ``.pred_{head}``, ``.pred_lower_{head}``, ``.pred_upper_{head}``.

intervals = kerasnip.predict_table(reg, X_new, type="pred_int", level=0.9)
print(intervals.head().round(3))
for head in ("output_1", "output_2"):
    inside = y_new[head].between(intervals[f".pred_lower_{head}"],
                                 intervals[f".pred_upper_{head}"])
    print(f"{head}: 90% prediction intervals hold {inside.mean():.0%} of the new rows")

# %%
# Example 2: two inputs, two classification outputs
# -------------------------------------------------
# ``output_1`` has two classes and ``output_2`` three; each softmax head is
# sized to its own column and compiled with its own loss and accuracy.

two_output_clf = kerasnip.create_keras_functional_spec(
    "two_output_clf", graph(softmax_head), mode="classification")


def class_targets(X):
    a, b = X["input_1"], X["input_2"]
    return pd.DataFrame({
        "output_1": np.where(a[:, 0] + b[:, 0] > 1, "a", "b"),
        "output_2": np.array(["x", "y", "z"])[np.digitize(a[:, 1] + b[:, 1], [0.7, 1.3])],
    })


clf = two_output_clf(processed_1_units=16, processed_2_units=8, fit_epochs=args.epochs,
                     learn_rate=0.01, random_state=1)
labels_train, labels_new = class_targets(X_train), class_targets(X_new)
clf.fit(X_train, labels_train)
print("classes:", clf.classes_)
print("accuracy on new data, averaged over the two heads:",
      round(clf.score(X_new, labels_new), 3))

# %%
# Class columns are ``.pred_class_{head}``; probability columns
# ``.pred_{head}_{class}``, one set per head.

print(kerasnip.predict_table(clf, X_new).head())
print(kerasnip.predict_table(clf, X_new, type="prob").head().round(3))

# %%
# Intervals name the head in the same place: ``.pred_lower_{head}_{class}``.
# ``conf_int`` bounds each class's probability; ``pred_int`` bounds a new
# observation's indicator of the class (0 or 1): ``[1, 1]`` when the class is
# all but certain, ``[0, 0]`` when it is all but excluded, ``[0, 1]`` otherwise.
# The classes whose upper bound is 1 form a set of plausible classes per row.

conf = kerasnip.predict_table(clf, X_new, type="conf_int", level=0.9)
print(conf.filter(like="output_2").head().round(3))
pred = kerasnip.predict_table(clf, X_new, type="pred_int", level=0.9)
print(pred.filter(like="output_2").head())
classes_2 = clf.classes_["output_2"]
plausible = pred[[f".pred_upper_output_2_{c}" for c in classes_2]].to_numpy() == 1
truth = labels_new["output_2"].to_numpy()[:, None] == classes_2[None, :]
print(f"output_2: {plausible.sum(axis=1).mean():.2f} plausible classes per row on average; "
      f"the true class is among them in {(plausible & truth).any(axis=1).mean():.0%} of rows")

# %%
# Checking a graph before training: ``compile_keras_grid``
# --------------------------------------------------------
# Mark the parameters to vary with ``kerasnip.tune()`` and give a grid: every
# row is built and compiled (no training), and a row that cannot be built gets
# its error message instead of a model. Here a width of 0 is refused by Keras.

spec = two_output_reg(processed_1_units=kerasnip.tune(), processed_2_units=8)
grid = pd.DataFrame({"processed_1_units": [4, 32, 0]})
compiled = kerasnip.compile_keras_grid(spec, grid, X_train, y_train)
print(compiled[["processed_1_units", "error"]])
print(compiled["error"][2])
compiled["compiled_model"][1].summary()
print("rows that build:", kerasnip.extract_valid_grid(compiled)["processed_1_units"].tolist())
