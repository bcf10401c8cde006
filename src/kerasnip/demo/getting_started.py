"""The getting-started walk-through as a program: ``python -m kerasnip demo``.

It replays the R package's getting-started article in Python: define three
layer blocks, turn them into the ``mnist_mlp`` estimator class, fit a
two-hidden-layer MLP, then look at the model, its test-set evaluation and its
first predictions, tune the first hidden layer's architecture, and write the
training-history plot.

The walk-through is a list of *sections*, small functions that each print one
part and share a :class:`~kerasnip.demo.common.DemoContext`; :func:`sections`
lists them in order.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import numpy as np

import kerasnip
from kerasnip import datasets
from kerasnip.demo.common import DemoContext, Section, print_architecture_parameters, write_pictures

MODEL_NAME = "mnist_mlp"
N_SHOWN = 6


# ------------------------------------------------------------------ the layer blocks
# These three functions are the walk-through's blocks; the demo prints their source,
# examples/tuning_getting_started.py imports them and examples/getting_started.py
# defines the same three in its own text.


def input_block(model, input_shape):
    """Start the model: a Keras Sequential taking inputs of ``input_shape``."""
    import keras

    return keras.Sequential([keras.Input(shape=input_shape)])


def dense_block(model, units=128, rate=0.4):
    """A hidden layer: Dense with ReLU, then Dropout."""
    import keras

    model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.Dropout(rate))
    return model


def output_block(model, num_classes):
    """The classifier head: one softmax unit per class."""
    import keras

    model.add(keras.layers.Dense(num_classes, activation="softmax"))
    return model


LAYER_BLOCKS = {
    "input": input_block,
    "hidden_1": dense_block,
    "hidden_2": dense_block,
    "output": output_block,
}


def mlp_parameters(epochs: int, seed: int) -> dict[str, Any]:
    """The walk-through's two-hidden-layer MLP (256 units with 40% dropout, then 128 with 30%)."""
    return {
        "hidden_1_units": 256,
        "hidden_1_rate": 0.4,
        "hidden_2_units": 128,
        "hidden_2_rate": 0.3,
        "compile_loss": "categorical_crossentropy",
        "compile_optimizer": "rmsprop",
        "compile_metrics": ["accuracy"],
        "fit_epochs": epochs,
        "fit_batch_size": 128,
        "fit_validation_split": 0.2,
        "random_state": seed,
    }


# ------------------------------------------------------------------ sections


def load_data(ctx: DemoContext) -> None:
    """Load the images, flatten them to vectors and scale pixels to [0, 1]."""
    options = ctx.options
    ctx.heading(f"Data: {options.data}")
    if options.data == "digits":
        (x_train, y_train), (x_test, y_test) = datasets.load_digits()
        max_pixel = datasets.DIGITS_MAX_PIXEL
        print("scikit-learn's 8x8 handwritten digits (shipped with scikit-learn).")
    else:
        (x_train, y_train), (x_test, y_test) = datasets.load_mnist(options.data_dir)
        max_pixel = datasets.MNIST_MAX_PIXEL
        print(f"MNIST from {options.data_dir or 'keras.datasets (download)'}.")
    ctx.x_train = flatten_and_scale(x_train, max_pixel)
    ctx.x_test = flatten_and_scale(x_test, max_pixel)
    ctx.y_train, ctx.y_test = y_train, y_test
    print(f"x_train: {ctx.x_train.shape}, x_test: {ctx.x_test.shape} "
          f"(images of {x_train.shape[1]}x{x_train.shape[2]} pixels, scaled to [0, 1]); "
          f"labels {', '.join(map(str, np.unique(y_train)))}")


def flatten_and_scale(images: np.ndarray, max_pixel: int) -> np.ndarray:
    """``(n, h, w)`` pixel counts to ``(n, h*w)`` float32 in [0, 1]."""
    return images.reshape(len(images), -1).astype("float32") / np.float32(max_pixel)


def show_blocks(ctx: DemoContext) -> None:
    """Print the three layer-block functions."""
    ctx.heading("Layer blocks")
    print("A layer block is a plain function that adds layers to a Keras model.\n")
    for block in (input_block, dense_block, output_block):
        print(inspect.getsource(block))


def create_spec(ctx: DemoContext) -> None:
    """Turn the blocks into the ``mnist_mlp`` estimator class."""
    ctx.heading("Model specification")
    listing = "".join(f'\n        "{name}": {fn.__name__},' for name, fn in LAYER_BLOCKS.items())
    print(f'{MODEL_NAME} = kerasnip.create_keras_sequential_spec(\n    "{MODEL_NAME}",\n'
          f'    {{{listing}\n    }},\n    mode="classification",\n)\n')
    ctx.spec = kerasnip.create_keras_sequential_spec(MODEL_NAME, LAYER_BLOCKS, "classification")
    print(f"{MODEL_NAME} is a scikit-learn classifier class. Its architecture parameters, "
          "by block:")
    print_architecture_parameters(ctx.spec)


def fit_model(ctx: DemoContext) -> None:
    """Fit the two-hidden-layer MLP and print its summary."""
    options = ctx.options
    params = mlp_parameters(options.epochs, options.seed)
    ctx.heading("Fit")
    arguments = "".join(f"\n    {name}={value!r}," for name, value in params.items())
    print(f"mlp = {MODEL_NAME}({arguments}\n)\nmlp.fit(x_train, y_train)\n")
    ctx.estimator = ctx.spec(**params, verbose=0 if options.quiet else 2)
    ctx.estimator.fit(ctx.x_train, ctx.y_train)
    epochs = f"{options.epochs} epoch" + ("s" if options.epochs > 1 else "")
    print(f"\nFitted {epochs} in {ctx.estimator.fit_time_:.1f} s.\n")
    ctx.estimator.model_.summary(print_fn=print)


def evaluate(ctx: DemoContext) -> None:
    """Evaluate on the test split with ``keras.Model.evaluate``."""
    ctx.heading("Evaluation on the test split")
    print("kerasnip.keras_evaluate(mlp, x_test, y_test)\n")
    ctx.evaluation = kerasnip.keras_evaluate(ctx.estimator, ctx.x_test, ctx.y_test)
    for name, value in ctx.evaluation.items():
        print(f"{name:>10}: {value:.4f}")


def show_predictions(ctx: DemoContext) -> None:
    """Print the first six class and probability predictions as tables."""
    ctx.heading(f"Predictions for the first {N_SHOWN} test images")
    est, x_new = ctx.estimator, ctx.x_test[:N_SHOWN]
    print(f'kerasnip.predict_table(mlp, x_test[:{N_SHOWN}], type="class")\n')
    classes = kerasnip.predict_table(est, x_new, type="class")
    print(classes.assign(truth=ctx.y_test[:N_SHOWN]).to_string())
    print(f'\nkerasnip.predict_table(mlp, x_test[:{N_SHOWN}], type="prob")\n')
    print(kerasnip.predict_table(est, x_new, type="prob").round(3).to_string())


TUNING_ROWS = 100
"""The getting-started tuning run cross-validates on the first 100 training images."""


def tune_architecture(ctx: DemoContext) -> None:
    """Tune the first hidden layer's depth, width and dropout (27 configurations x 3 folds)."""
    options = ctx.options
    ctx.heading("Tuning the architecture")
    X, y = ctx.x_train[:TUNING_ROWS], ctx.y_train[:TUNING_ROWS]
    print(f"x, y = x_train[:{TUNING_ROWS}], y_train[:{TUNING_ROWS}]\n"
          f"spec = {MODEL_NAME}(num_hidden_1=kerasnip.tune(), hidden_1_units=kerasnip.tune(),\n"
          "                 hidden_1_rate=kerasnip.tune(), num_hidden_2=0,\n"
          f"                 fit_epochs={options.epochs}, random_state={options.seed})\n"
          "params = kerasnip.extract_parameter_set(spec).update(\n"
          "    num_hidden_1=kerasnip.num_terms((1, 3)),\n"
          "    hidden_1_units=kerasnip.hidden_units((64, 256)),\n"
          "    hidden_1_rate=kerasnip.dropout((0.2, 0.4)))\n"
          "grid = kerasnip.grid_regular(params, levels=3)\n"
          "res = kerasnip.tune_grid(spec, x, y, resamples=3, grid=grid, metrics=[\"accuracy\"])\n"
          "res.show_best(\"accuracy\", n=5)\n")
    spec = ctx.spec(num_hidden_1=kerasnip.tune(), hidden_1_units=kerasnip.tune(),
                    hidden_1_rate=kerasnip.tune(), num_hidden_2=0,
                    fit_epochs=options.epochs, random_state=options.seed)
    params = kerasnip.extract_parameter_set(spec).update(
        num_hidden_1=kerasnip.num_terms((1, 3)),
        hidden_1_units=kerasnip.hidden_units((64, 256)),
        hidden_1_rate=kerasnip.dropout((0.2, 0.4)))
    grid = kerasnip.grid_regular(params, levels=3)
    started = time.perf_counter()
    res = kerasnip.tune_grid(spec, X, y, resamples=3, grid=grid, metrics=["accuracy"],
                             progress=not options.quiet)
    elapsed = time.perf_counter() - started
    print(res.show_best("accuracy", n=5).round(4).to_string())
    print(f"\n{len(grid)} configurations x {res.n_folds} folds in {elapsed:.1f} s.\n")
    print('best = res.select_best("accuracy")\n'
          "final = kerasnip.finalize(spec, best).fit(x, y)\n")
    best = res.select_best("accuracy")
    final = kerasnip.finalize(spec, best).fit(X, y)
    final.model_.summary(print_fn=print)
    res.plot(path=ctx.output_file("tuning.png"))


def sections() -> list[Section]:
    """The getting-started walk-through's sections, in order.

    :func:`tune_architecture` comes after ``show_predictions`` because it reuses
    ``ctx.spec`` and the data.
    """
    return [load_data, show_blocks, create_spec, fit_model, evaluate, show_predictions,
            tune_architecture, write_pictures]
