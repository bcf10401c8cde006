"""``python -m kerasnip demo --functional``: the fork-join model, end to end.

The R package's README example 2: one input forked into two dense paths
(``path_a``, ``path_b``) that are concatenated before a regression output.
The walk-through defines the blocks, creates the ``forked_mlp`` spec, fits it
with fixed widths, evaluates and predicts, then tunes both widths by
cross-validation with :func:`kerasnip.tune_grid` and refits the best. Data:
scikit-learn's diabetes data (shipped, no download) with a standardised
target.

The sections share :class:`kerasnip.demo.common.DemoContext` with the
getting-started walk-through; ``--functional`` picks them.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

import kerasnip
from kerasnip.demo.common import DemoContext, Section, print_architecture_parameters, write_pictures

MODEL_NAME = "forked_mlp"
N_SHOWN = 6
TEST_FRACTION = 0.25


# ------------------------------------------------------------------ the layer blocks


def input_block(input_shape):
    """The graph's input: a block with no upstream argument receives ``input_shape``."""
    import keras

    return keras.Input(shape=input_shape)


def path_block(tensor, units=16):
    """One path of the fork: a Dense layer with ReLU."""
    import keras

    return keras.layers.Dense(units, activation="relu")(tensor)


def concat_block(input_a, input_b):
    """The join: concatenate the two paths."""
    import keras

    return keras.layers.Concatenate()([input_a, input_b])


def output_block(tensor):
    """The regression output: one linear unit."""
    import keras

    return keras.layers.Dense(1)(tensor)


def layer_blocks() -> dict[str, Any]:
    """The graph: argument names (renamed by ``inp_spec``) are the upstream blocks."""
    return {
        "main_input": input_block,
        "path_a": kerasnip.inp_spec(path_block, "main_input"),
        "path_b": kerasnip.inp_spec(path_block, "main_input"),
        "concatenated": kerasnip.inp_spec(concat_block, {"input_a": "path_a", "input_b": "path_b"}),
        "output": kerasnip.inp_spec(output_block, "concatenated"),
    }


def _returned_dict_source(function: Any) -> str:
    """The source of the dict literal ``function`` returns, indented as at top level."""
    lines = inspect.getsource(function).splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "return {")
    return "\n".join(["{", *(line[4:] for line in lines[start + 1:])])


LAYER_BLOCKS_SOURCE = _returned_dict_source(layer_blocks)
"""The dict :func:`layer_blocks` returns, as source: the demo prints it, tests run it."""


def fit_parameters(epochs: int, seed: int) -> dict[str, Any]:
    """The README's fit: path_a 16 units, path_b 8 units."""
    return {"path_a_units": 16, "path_b_units": 8, "learn_rate": 0.01, "fit_epochs": epochs,
            "random_state": seed}


# ------------------------------------------------------------------ sections


def load_data(ctx: DemoContext) -> None:
    """scikit-learn's diabetes data, split into training and test rows."""
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    ctx.heading("Data: diabetes")
    X, y = load_diabetes(return_X_y=True)
    print(f"scikit-learn's diabetes data: {X.shape[0]} patients, {X.shape[1]} standardised "
          f"features; target: disease progression after a year, standardised "
          f"(mean {y.mean():.1f}, sd {y.std():.1f}).")
    y = (y - y.mean()) / y.std()
    ctx.x_train, ctx.x_test, ctx.y_train, ctx.y_test = train_test_split(
        X.astype("float32"), y.astype("float32"), test_size=TEST_FRACTION,
        random_state=ctx.options.seed)
    print(f"x_train: {ctx.x_train.shape}, x_test: {ctx.x_test.shape}")


def show_blocks(ctx: DemoContext) -> None:
    """Print the four block functions."""
    ctx.heading("Layer blocks")
    print("A functional block is a graph node: it takes upstream tensors, named after the\n"
          "blocks they come from, and returns a tensor.\n")
    for block in (input_block, path_block, concat_block, output_block):
        print(inspect.getsource(block))


def create_spec(ctx: DemoContext) -> None:
    """Wire the blocks into the ``forked_mlp`` spec and list its architecture parameters."""
    ctx.heading("Model specification")
    print(f'{MODEL_NAME} = kerasnip.create_keras_functional_spec(\n    "{MODEL_NAME}",\n    '
          + LAYER_BLOCKS_SOURCE.replace("\n", "\n    ") + ',\n    mode="regression",\n)\n')
    ctx.spec = kerasnip.create_keras_functional_spec(MODEL_NAME, layer_blocks(), "regression")
    print(f"{MODEL_NAME} is a scikit-learn regressor class. Its architecture parameters, "
          "by block\n(num_* repeats a single-input block; the input and the two-input join "
          "have none):")
    print_architecture_parameters(ctx.spec)


def fit_model(ctx: DemoContext) -> None:
    """Fit with the README's widths and print the branching model's summary."""
    params = fit_parameters(ctx.options.epochs, ctx.options.seed)
    ctx.heading("Fit")
    arguments = ", ".join(f"{name}={value!r}" for name, value in params.items())
    print(f"est = {MODEL_NAME}({arguments})\nest.fit(x_train, y_train)\n")
    ctx.estimator = ctx.spec(**params, verbose=0 if ctx.options.quiet else 2)
    ctx.estimator.fit(ctx.x_train, ctx.y_train)
    print(f"\nFitted in {ctx.estimator.fit_time_:.1f} s.\n")
    ctx.estimator.model_.summary(print_fn=print)


def evaluate(ctx: DemoContext) -> None:
    """Keras's test-set loss and MAE, and scikit-learn's R²."""
    ctx.heading("Evaluation on the test split")
    print("est.score(x_test, y_test); kerasnip.keras_evaluate(est, x_test, y_test)\n")
    # R² first: the demo's closing line reports the first metric after the loss
    ctx.evaluation = {"r2": ctx.estimator.score(ctx.x_test, ctx.y_test),
                      **kerasnip.keras_evaluate(ctx.estimator, ctx.x_test, ctx.y_test)}
    for name, value in ctx.evaluation.items():
        print(f"{name:>20}: {value:.4f}")


def show_predictions(ctx: DemoContext) -> None:
    """The first test rows' predictions next to the truth."""
    ctx.heading(f"Predictions for the first {N_SHOWN} test rows")
    print(f"kerasnip.predict_table(est, x_test[:{N_SHOWN}])\n")
    table = kerasnip.predict_table(ctx.estimator, ctx.x_test[:N_SHOWN])
    print(table.assign(truth=ctx.y_test[:N_SHOWN]).round(3).to_string())


def tune_widths(ctx: DemoContext) -> None:
    """Tune both path widths by 3-fold cross-validation, refit the best, plot the results."""
    ctx.heading("Tuning the widths of both paths")
    params = fit_parameters(ctx.options.epochs, ctx.options.seed)
    params.update(path_a_units=kerasnip.tune(), path_b_units=kerasnip.tune())
    spec = ctx.spec(**params)
    space = kerasnip.extract_parameter_set(spec).update(
        path_a_units=kerasnip.hidden_units((4, 32)), path_b_units=kerasnip.hidden_units((4, 32)))
    grid = kerasnip.grid_regular(space, levels=2)
    print("spec = forked_mlp(path_a_units=kerasnip.tune(), path_b_units=kerasnip.tune(), ...)\n"
          "space = kerasnip.extract_parameter_set(spec).update(\n"
          "    path_a_units=kerasnip.hidden_units((4, 32)),\n"
          "    path_b_units=kerasnip.hidden_units((4, 32)))\n"
          "res = kerasnip.tune_grid(spec, x_train, y_train, resamples=3,\n"
          "                         grid=kerasnip.grid_regular(space, levels=2))\n")
    res = kerasnip.tune_grid(spec, ctx.x_train, ctx.y_train, resamples=3, grid=grid,
                             progress=not ctx.options.quiet)
    print(res.show_best("r2", n=4).round(4).to_string())
    best = res.select_best("r2")
    final = kerasnip.finalize(spec, best).fit(ctx.x_train, ctx.y_train)
    r2 = final.score(ctx.x_test, ctx.y_test)
    widths = ", ".join(f"{name}={int(np.asarray(best[name]).item())}"
                       for name in ("path_a_units", "path_b_units"))
    print(f"\nBest widths: {widths}; test R^2 of the refitted model: {r2:.4f} "
          f"(fixed widths 16/8: {ctx.evaluation['r2']:.4f})")
    res.plot(path=ctx.output_file("tuning.png"))


def sections() -> list[Section]:
    """The ``--functional`` walk-through's sections, in order."""
    return [load_data, show_blocks, create_spec, fit_model, evaluate, show_predictions,
            tune_widths, write_pictures]
