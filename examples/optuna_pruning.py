"""
Optuna: a kerasnip search space, and trials pruned by their epoch scores
========================================================================

Optuna users tune by writing an objective that draws a configuration from a
trial, and let a pruner stop trials whose intermediate scores are unpromising.
kerasnip's parameter set is an Optuna search space
(``params.to_optuna(trial)``: ``suggest_int`` / ``suggest_float`` with the
same ranges and log scales, ``suggest_categorical`` for choices), and the
``OptunaPruning`` callback reports each epoch's validation accuracy to the
trial and stops the fit when the pruner says so. Data: scikit-learn's digits
(shipped). Needs ``pip install kerasnip[optuna]``. Run:
``python examples/optuna_pruning.py``.
"""

import argparse

import kerasnip  # before keras: picks JAX when Keras's configured backend is not installed

# isort: split
import keras
import optuna
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from kerasnip.tuning.optuna_bridge import OptunaPruning

parser = argparse.ArgumentParser(description="Optuna search with pruning by epoch.")
parser.add_argument("--trials", type=int, default=16, help="Optuna trials (default 16)")
parser.add_argument("--epochs", type=int, default=12, help="epochs per trial (default 12)")
args = parser.parse_args()

# %%
# The spec and its search space
# -----------------------------
# One hidden block whose width, dropout and the learning rate are tuned.


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
spec = digits_mlp(hidden_units=kerasnip.tune(), hidden_rate=kerasnip.tune(),
                  learn_rate=kerasnip.tune(), fit_epochs=args.epochs, fit_batch_size=64,
                  fit_validation_split=0.25, random_state=0)
params = kerasnip.extract_parameter_set(spec).update(
    hidden_units=(16, 256), learn_rate=kerasnip.learn_rate((1e-5, 1e-1)))
print(params)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y)

# %%
# The objective
# -------------
# Each trial draws a configuration, trains with ``OptunaPruning`` in its callbacks
# (the validation accuracy of every epoch goes to the trial), and returns the last
# epoch's validation accuracy. A pruned trial's ``fit`` raises ``optuna.TrialPruned``.


def objective(trial):
    model = kerasnip.finalize(spec, params.to_optuna(trial)).set_params(
        fit_callbacks=[OptunaPruning(trial, "val_accuracy")])
    model.fit(X_train, y_train)
    return float(model.history_["val_accuracy"].iloc[-1])


optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(
    direction="maximize", sampler=optuna.samplers.TPESampler(seed=0),
    pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2))
study.optimize(objective, n_trials=args.trials)

# %%
# What the pruner saved
# ---------------------
# Pruned trials stopped after a few epochs; the epochs column is how many each ran.

table = study.trials_dataframe(attrs=("number", "value", "params", "state"))
table["epochs"] = [len(t.intermediate_values) for t in study.trials]
print(table.to_string(index=False))
pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
ran = int(table["epochs"].sum())
print(f"{pruned} of {len(study.trials)} trials pruned: {ran} epochs trained instead of "
      f"{len(study.trials) * args.epochs}")

# %%
# The best configuration, refitted and tested
# -------------------------------------------

best = kerasnip.finalize(spec, study.best_params).fit(X_train, y_train)
print(f"best trial {study.best_trial.number}: validation accuracy {study.best_value:.3f}, "
      f"test accuracy {best.score(X_test, y_test):.3f} with {study.best_params}")
