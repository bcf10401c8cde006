"""
Tuning the architecture: a regular grid over depth, width and dropout
=====================================================================

Tunes the first hidden layer of the getting-started ``mnist_mlp`` (how many
layers, how wide, how much dropout) with 3-fold cross-validation on 100
training images: a 27-configuration regular grid, 30 epochs per fit.

Run: ``python examples/tuning_getting_started.py [--data-dir ../shared/data/mnist]``
(scikit-learn's 8x8 digits without ``--data-dir``; ``--epochs`` to shorten it,
``--plot tuning.png`` to save the tuning plot).
"""

import argparse
import time
from pathlib import Path

import kerasnip

# isort: split
# The walk-through's blocks (input, hidden_1, hidden_2, output; see the getting-started
# example). Importing kerasnip first lets it pick an installed backend (JAX) when Keras's
# configured one is missing.
import keras

from kerasnip.demo import LAYER_BLOCKS

parser = argparse.ArgumentParser(description="The getting-started tuning run.")
parser.add_argument("--data-dir", type=Path, help="MNIST folder (default: digits)")
parser.add_argument("--rows", type=int, default=100)
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--plot", type=Path, help="where to save the tuning plot (default: not saved)")
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

# %%
# Mark, range, grid, tune
# -----------------------
# :func:`kerasnip.tune` marks a parameter for tuning; :func:`kerasnip.extract_parameter_set`
# collects the marked ones with default ranges, which ``update`` narrows. A regular
# grid of 3 levels per parameter has 27 rows; :func:`kerasnip.tune_grid` fits each on
# every fold and :meth:`~kerasnip.TuneResults.show_best` ranks them.

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

# %%
# The final model
# ---------------
# :func:`kerasnip.finalize` puts the best configuration into the spec, which is then
# fitted on all the rows.

best = res.select_best("accuracy")
final = kerasnip.finalize(spec, best).fit(X, y)
print(f"\n{len(grid)} configurations x 3 folds + final fit: "
      f"{time.perf_counter() - started:.1f} s ({keras.backend.backend()})")
final.model_.summary()

# %%
# The tuning plot
# ---------------
# Mean accuracy against each tuned parameter, one panel per parameter; every point is
# a configuration, the best one in red.

fig = res.plot(path=args.plot)
if args.plot:
    print(f"wrote {args.plot}")
