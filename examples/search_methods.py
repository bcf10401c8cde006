"""
Beyond the grid: racing, successive halving and Bayesian optimisation
=====================================================================

A regular grid fits every configuration on every fold for every epoch. Three
searches spend less where it is clearly wasted, and return the same
``TuneResults`` as ``tune_grid``:

* ``tune_race`` (R: ``finetune::tune_race_anova``) stops fitting a
  configuration on the remaining folds once it is significantly worse than the
  best;
* ``tune_halving`` trains every configuration a few epochs, and only the best
  third continue, from where they stopped, three times as long in all;
* ``tune_bayes`` (R: ``tune::tune_bayes``) fits a Gaussian process to the
  scores so far and proposes each next configuration.

Data: scikit-learn's digits (shipped). Run: ``python examples/search_methods.py``.
"""

import argparse

import kerasnip  # before keras: picks JAX when Keras's configured backend is not installed

# isort: split
import keras
import pandas as pd
from sklearn.datasets import load_digits

parser = argparse.ArgumentParser(description="tune_race, tune_halving and tune_bayes.")
parser.add_argument("--epochs", type=int, default=9, help="most epochs of a fit (default 9)")
parser.add_argument("--rows", type=int, default=600, help="digits rows used (default 600)")
args = parser.parse_args()


def input_block(model, input_shape):
    return keras.Sequential([keras.Input(shape=input_shape)])


def dense_block(model, units=64, rate=0.2):
    model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.Dropout(rate))
    return model


def output_block(model, num_classes):
    model.add(keras.layers.Dense(num_classes, activation="softmax"))
    return model


digits_mlp = kerasnip.create_keras_sequential_spec(
    "digits_mlp", {"input": input_block, "hidden": dense_block, "output": output_block},
    mode="classification")
X, y = load_digits(return_X_y=True)
X, y = X[: args.rows] / 16.0, y[: args.rows]

spec = digits_mlp(hidden_units=kerasnip.tune(), learn_rate=kerasnip.tune(),
                  fit_epochs=args.epochs, fit_batch_size=32, random_state=0)
params = kerasnip.extract_parameter_set(spec).update(
    hidden_units=(8, 128), learn_rate=kerasnip.learn_rate((1e-4, 3e-2)))
grid = kerasnip.grid_regular(params, levels={"hidden_units": 3, "learn_rate": 3})
print(grid.to_string(index=False))

# %%
# Racing over the folds
# ---------------------
# Every configuration is fitted on the first 3 of 5 folds; then, before each further
# fold, those significantly worse than the best (one-sided test at level 0.05 on a
# two-way model of configuration and fold) are dropped. ``.eliminated`` is the fold
# count at which a configuration left the race (0: it ran on every fold).

race = kerasnip.tune_race(spec, X, y, resamples=5, grid=grid, burn_in=3, progress=False)
summary = race.collect_metrics()
print(summary[["hidden_units", "learn_rate", ".eliminated", "mean", "n"]].to_string(index=False))
print(f"fits: {int(summary['n'].sum())} instead of the grid's {len(grid) * 5}")
print("best:", race.select_best())

# %%
# Successive halving over epochs
# ------------------------------
# 9 configurations train 1 epoch, the best 3 continue to 3 epochs, the best one to
# ``args.epochs``. Each row of the results is a (configuration, rung) with its total
# epochs in ``fit_epochs``, so ``finalize`` of a chosen row sets them.

halving = kerasnip.tune_halving(spec, X, y, resamples=3, grid=grid, max_epochs=args.epochs,
                                factor=3, progress=False)
rungs = halving.collect_metrics()
print(rungs[["hidden_units", "learn_rate", "fit_epochs", ".rung", "mean"]]
      .to_string(index=False))
print("best:", halving.select_best())

# %%
# Bayesian optimisation
# ---------------------
# Four space-filling configurations, then a Gaussian process proposes six more, each
# where the expected improvement over the best so far is largest.

bayes = kerasnip.tune_bayes(spec, X, y, resamples=3, params=params, initial=4,
                            iterations=6, seed=1, progress=False)
proposals = bayes.collect_metrics()
print(proposals[["hidden_units", "learn_rate", ".iter", "mean"]].to_string(index=False))
best = bayes.select_best()
print("best:", best)

# %%
# The three side by side
# ----------------------

print(pd.DataFrame({
    "method": ["tune_race", "tune_halving", "tune_bayes"],
    "best mean accuracy": [r.show_best(n=1)["mean"].iloc[0] for r in (race, halving, bayes)],
}).to_string(index=False))
final = kerasnip.finalize(spec, best).fit(X, y)
print(f"finalized: hidden_units={final.hidden_units}, learn_rate={final.learn_rate:.4g}")
