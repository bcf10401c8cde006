"""The getting-started tuning run (API.md section 5), as a script.

Tunes the first hidden layer of the walk-through's ``mnist_mlp`` (how many
layers, how wide, how much dropout) with 3-fold cross-validation on 100
training images: a 27-configuration regular grid, 30 epochs per fit.

Run: ``python examples/tuning_getting_started.py [--data-dir ../shared/data/mnist]``
(scikit-learn's 8x8 digits without ``--data-dir``; ``--epochs`` to shorten it).
"""

import argparse
import time
from pathlib import Path

import kerasnip

# The walk-through's blocks (input, hidden_1, hidden_2, output; see getting_started.py).
# Keras is imported inside main: importing kerasnip first lets it pick an installed
# backend (JAX) when Keras's configured one is missing.
from kerasnip.demo import LAYER_BLOCKS


def main() -> None:
    import keras

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="MNIST folder (default: digits)")
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--plot", type=Path, default=Path("tuning.png"))
    args = parser.parse_args()

    if args.data_dir:
        (X, y), _ = kerasnip.datasets.load_mnist(args.data_dir)
        scale = 255.0
    else:
        (X, y), _ = kerasnip.datasets.load_digits()
        scale = 16.0
    X = X[: args.rows].reshape(args.rows, -1).astype("float32") / scale
    y = y[: args.rows]

    mnist_mlp = kerasnip.create_keras_sequential_spec("mnist_mlp", LAYER_BLOCKS,
                                                      mode="classification")

    started = time.perf_counter()
    spec = mnist_mlp(num_hidden_1=kerasnip.tune(), hidden_1_units=kerasnip.tune(),
                     hidden_1_rate=kerasnip.tune(), num_hidden_2=0, fit_epochs=args.epochs)
    params = kerasnip.extract_parameter_set(spec).update(
        num_hidden_1=kerasnip.num_terms((1, 3)),
        hidden_1_units=kerasnip.hidden_units((64, 256)),
        hidden_1_rate=kerasnip.dropout((0.2, 0.4)))
    grid = kerasnip.grid_regular(params, levels=3)            # DataFrame, 27 rows
    res = kerasnip.tune_grid(spec, X, y, resamples=3, grid=grid, metrics=["accuracy"])
    print(res.show_best("accuracy", n=5).to_string())
    best = res.select_best("accuracy")
    final = kerasnip.finalize(spec, best).fit(X, y)
    print(f"\n{len(grid)} configurations x 3 folds + final fit: "
          f"{time.perf_counter() - started:.1f} s ({keras.backend.backend()})")
    final.model_.summary()
    res.plot(path=args.plot)
    print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
