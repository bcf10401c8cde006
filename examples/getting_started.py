"""
Getting started: layer blocks in, a scikit-learn classifier out
===============================================================

Fits the walk-through's two-hidden-layer MLP on handwritten digits, then looks
at the model, its test-set evaluation, its first predictions and its training
history.

Run: ``python examples/getting_started.py`` (scikit-learn's 8x8 digits), or
``python examples/getting_started.py --data-dir ../shared/data/mnist`` for MNIST;
``--out history.png`` saves the history plot. ``python -m kerasnip demo`` runs the
same walk-through with commentary.
"""

import argparse

import kerasnip  # before keras: picks JAX when Keras's configured backend is not installed

# isort: split
import keras

parser = argparse.ArgumentParser(description="Getting started with kerasnip.")
parser.add_argument("--data-dir", help="folder with the MNIST IDX files (default: digits)")
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--out", help="where to save the history plot (default: not saved)")
args = parser.parse_args()

# %%
# Layer blocks
# ------------
# A layer block is a plain function. The first block creates the model, later
# blocks add layers to it. ``input_shape`` and ``num_classes`` are filled in from
# the data; every other argument is a hyperparameter and needs a default.


def input_block(model, input_shape):
    return keras.Sequential([keras.Input(shape=input_shape)])


def dense_block(model, units=128, rate=0.4):
    model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.Dropout(rate))
    return model


def output_block(model, num_classes):
    model.add(keras.layers.Dense(num_classes, activation="softmax"))
    return model


# %%
# Data
# ----
# :mod:`kerasnip.datasets` returns data in ``keras.datasets`` form. The images are
# flattened to vectors and their pixels scaled to [0, 1].

if args.data_dir:
    (x_train, y_train), (x_test, y_test) = kerasnip.datasets.load_mnist(args.data_dir)
    max_pixel = kerasnip.datasets.MNIST_MAX_PIXEL
else:
    (x_train, y_train), (x_test, y_test) = kerasnip.datasets.load_digits()
    max_pixel = kerasnip.datasets.DIGITS_MAX_PIXEL
x_train = x_train.reshape(len(x_train), -1).astype("float32") / max_pixel
x_test = x_test.reshape(len(x_test), -1).astype("float32") / max_pixel
print(x_train.shape, x_test.shape)

# %%
# The spec
# --------
# :func:`kerasnip.create_keras_sequential_spec` makes a new estimator class with one
# keyword parameter per block argument (``hidden_1_units``, ``hidden_2_rate``, ...),
# plus ``num_{block}``, ``compile_*``, ``fit_*``, ``learn_rate``, ``random_state``
# and ``verbose``.

mnist_mlp = kerasnip.create_keras_sequential_spec(
    "mnist_mlp",
    {"input": input_block, "hidden_1": dense_block, "hidden_2": dense_block,
     "output": output_block},
    mode="classification",
)

# %%
# Fit
# ---
# 256 units with 40% dropout, then 128 with 30%; 20% of the training rows are
# held out for validation.

mlp = mnist_mlp(
    hidden_1_units=256, hidden_1_rate=0.4,
    hidden_2_units=128, hidden_2_rate=0.3,
    compile_loss="categorical_crossentropy", compile_optimizer="rmsprop",
    compile_metrics=["accuracy"],
    fit_epochs=args.epochs, fit_batch_size=128, fit_validation_split=0.2,
    random_state=42, verbose=0,
)
mlp.fit(x_train, y_train)
kerasnip.extract_keras_model(mlp).summary()

# %%
# Evaluate and predict
# --------------------
# ``mlp`` is a scikit-learn classifier; the tables name their columns as the R
# package does (``.pred_class``, ``.pred_0`` ... ``.pred_9``).

print(kerasnip.keras_evaluate(mlp, x_test, y_test))
print(kerasnip.predict_table(mlp, x_test[:6]))
print(kerasnip.predict_table(mlp, x_test[:6], type="prob").round(3))

# %%
# Training history
# ----------------
# :func:`kerasnip.plot_history` returns a matplotlib figure, one panel per metric,
# training and validation lines.

fig = kerasnip.plot_history(mlp, args.out)
if args.out:
    print(f"wrote {args.out}")
