"""The getting-started walk-through as a program: ``python -m kerasnip demo``.

It replays the R package's getting-started article in Python: define three
layer blocks, turn them into the ``mnist_mlp`` estimator class, fit a
two-hidden-layer MLP, then look at the model, its test-set evaluation and its
first predictions, tune the first hidden layer's architecture, and write the
training-history plot.

The walk-through is a list of *sections*, small functions that each print one
part and share a :class:`DemoContext`. :func:`sections` decides which run and
in what order; a new part of the demo (such as a different model family behind
a flag added in :func:`add_arguments`, as ``--functional`` does) is a new
section function put in that list.
"""

from __future__ import annotations

import argparse
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DATA_CHOICES = ("digits", "mnist")
DEFAULT_EPOCHS = 30
"""The walk-through's 30 epochs: on digits about 10 s here and a test accuracy near 0.97."""

MODEL_NAME = "mnist_mlp"
N_SHOWN = 6


# ------------------------------------------------------------------ the layer blocks
# These three functions are the walk-through's blocks; the demo prints their source and
# examples/getting_started.py and examples/tuning_getting_started.py import them.


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


# ------------------------------------------------------------------ options and state


@dataclass
class DemoOptions:
    """What ``python -m kerasnip demo`` was asked to do (see :func:`add_arguments`)."""

    data: str = "digits"
    data_dir: Path | None = None
    epochs: int = DEFAULT_EPOCHS
    out: Path = Path("kerasnip-demo")
    quiet: bool = False
    seed: int = 42
    functional: bool = False


@dataclass
class DemoContext:
    """State the sections share; each section reads what earlier ones left."""

    options: DemoOptions
    spec: type | None = None
    x_train: np.ndarray | None = None
    y_train: np.ndarray | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    estimator: Any = None
    evaluation: dict[str, float] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    sections_shown: int = 0

    def heading(self, title: str) -> None:
        """Print the next section's numbered, underlined title."""
        self.sections_shown += 1
        title = f"{self.sections_shown}. {title}"
        print(f"\n{title}\n{'=' * len(title)}")

    def output_file(self, name: str) -> Path:
        """``--out``/``name``, its folder made, listed among the files written."""
        self.options.out.mkdir(parents=True, exist_ok=True)
        path = self.options.out / name
        self.files.append(path)
        return path


Section = Callable[[DemoContext], None]


# ------------------------------------------------------------------ sections


def load_data(ctx: DemoContext) -> None:
    """Load the images, flatten them to vectors and scale pixels to [0, 1]."""
    from kerasnip import datasets

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
    import kerasnip

    ctx.heading("Model specification")
    listing = "".join(f'\n        "{name}": {fn.__name__},' for name, fn in LAYER_BLOCKS.items())
    print(f'{MODEL_NAME} = kerasnip.create_keras_sequential_spec(\n    "{MODEL_NAME}",\n'
          f'    {{{listing}\n    }},\n    mode="classification",\n)\n')
    ctx.spec = kerasnip.create_keras_sequential_spec(MODEL_NAME, LAYER_BLOCKS, "classification")
    print(f"{MODEL_NAME} is a scikit-learn classifier class. Its architecture parameters, "
          "by block:")
    print_architecture_parameters(ctx.spec)


def print_architecture_parameters(spec: type) -> None:
    """Print a generated class's ``num_*`` and block parameters, one line per block."""
    by_block: dict[str, list[str]] = {}
    for p in spec.kerasnip_spec.parameters:
        if p.role in ("num", "block"):
            by_block.setdefault(p.block, []).append(p.name)
    width = max(map(len, by_block), default=0) + 2
    for block, names in by_block.items():
        print(f"  {block + ':':<{width}}{', '.join(names)}")


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
    import kerasnip

    ctx.heading("Evaluation on the test split")
    print("kerasnip.keras_evaluate(mlp, x_test, y_test)\n")
    ctx.evaluation = kerasnip.keras_evaluate(ctx.estimator, ctx.x_test, ctx.y_test)
    for name, value in ctx.evaluation.items():
        print(f"{name:>10}: {value:.4f}")


def show_predictions(ctx: DemoContext) -> None:
    """Print the first six class and probability predictions as tables."""
    import kerasnip

    ctx.heading(f"Predictions for the first {N_SHOWN} test images")
    est, x_new = ctx.estimator, ctx.x_test[:N_SHOWN]
    print(f'kerasnip.predict_table(mlp, x_test[:{N_SHOWN}], type="class")\n')
    classes = kerasnip.predict_table(est, x_new, type="class")
    print(classes.assign(truth=ctx.y_test[:N_SHOWN]).to_string())
    print(f'\nkerasnip.predict_table(mlp, x_test[:{N_SHOWN}], type="prob")\n')
    print(kerasnip.predict_table(est, x_new, type="prob").round(3).to_string())


def write_pictures(ctx: DemoContext) -> None:
    """Write the training-history plot and the model graph into ``--out``."""
    from kerasnip.plotting import MissingDependencyError, plot_history, plot_model

    ctx.heading("Pictures")
    plot_history(ctx.estimator, ctx.output_file("history.png"))
    try:
        ctx.files.append(plot_model(ctx.estimator, ctx.options.out / "model.png"))
    except MissingDependencyError as exc:
        print(f"Skipped the model graph: {exc}")
    for path in ctx.files:
        print(f"wrote {path}")


TUNING_ROWS = 100
"""The getting-started tuning run cross-validates on the first 100 training images."""


def tune_architecture(ctx: DemoContext) -> None:
    """Tune the first hidden layer's depth, width and dropout (27 configurations x 3 folds)."""
    import kerasnip

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


def sections(options: DemoOptions) -> list[Section]:
    """The sections to run, in order.

    This is where the demo grows: :func:`tune_architecture` comes after
    ``show_predictions`` because it reuses ``ctx.spec`` and the data, and an
    option added in :func:`add_arguments` that shows another kind of model
    picks a different list here.
    """
    if options.functional:
        from kerasnip import demo_functional

        return demo_functional.sections()
    return [load_data, show_blocks, create_spec, fit_model, evaluate, show_predictions,
            tune_architecture, write_pictures]


# ------------------------------------------------------------------ entry points


def run(options: DemoOptions) -> DemoContext:
    """Run the walk-through, printing as it goes.

    Parameters
    ----------
    options : DemoOptions
        Data set, epochs, output folder, verbosity and seed.

    Returns
    -------
    DemoContext
        The fitted estimator, the test evaluation and the files written.
    """
    started = time.perf_counter()
    ctx = DemoContext(options)
    for section in sections(options):
        section(ctx)
    print("\nDone\n====")
    # accuracy for the getting-started classifier, the first metric after the loss otherwise
    headline = next((name for name in ctx.evaluation if name != "loss"), "loss")
    print(f"Test {headline}: {ctx.evaluation[headline]:.4f}")
    print(f"Files written: {', '.join(str(p) for p in ctx.files)}")
    print(f"Total time: {time.perf_counter() - started:.1f} s")
    return ctx


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``demo`` command's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``demo`` sub-command's parser.
    """
    defaults = DemoOptions()
    parser.add_argument("--data", choices=DATA_CHOICES, default=defaults.data,
                        help="digits: scikit-learn's 8x8 digits, no download (default); "
                             "mnist: 28x28 MNIST from --data-dir, or downloaded by Keras")
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="folder with the four MNIST IDX .gz files or mnist.npz")
    parser.add_argument("--epochs", type=positive_int, default=defaults.epochs, metavar="N",
                        help=f"training epochs (default {defaults.epochs})")
    parser.add_argument("--out", type=Path, default=defaults.out, metavar="DIR",
                        help=f"folder for the pictures (default {defaults.out})")
    parser.add_argument("--seed", type=int, default=defaults.seed,
                        help=f"random_state of the fit (default {defaults.seed})")
    parser.add_argument("--quiet", action="store_true",
                        help="no per-epoch progress lines from Keras")
    parser.add_argument("--functional", action="store_true",
                        help="instead, the functional fork-join regression (two dense paths "
                             "joined) on scikit-learn's diabetes data, fitted and tuned")


def options_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> DemoOptions:
    """Validate parsed arguments into :class:`DemoOptions` (``parser.error`` on conflicts)."""
    if args.data_dir is not None and args.data != "mnist":
        parser.error("--data-dir applies to --data mnist")
    if args.functional and args.data != "digits":
        parser.error("--functional uses scikit-learn's diabetes data; drop --data")
    return DemoOptions(data=args.data, data_dir=args.data_dir, epochs=args.epochs,
                       out=args.out, quiet=args.quiet, seed=args.seed,
                       functional=args.functional)
