"""
Prediction intervals: conformal inference and the Laplace posterior
===================================================================

The R package's conformal-intervals vignette in Python. A network computes one
number per input; an interval needs a model of its error. Conformal inference
takes that model from held-out residuals: it treats the fitted estimator as a
black box (``fit`` and ``predict`` only), assumes nothing about the shape of the
errors, and its intervals cover new outcomes at the requested rate whenever
new rows are exchangeable with the calibration rows. kerasnip also has
``predict_table(type="pred_int")``, a last-layer Laplace approximation that
needs no held-out data; this example puts the three side by side:

* **split conformal** (R: ``probably::int_conformal_split``): fit once, take the
  quantile of the absolute residuals on a calibration set;
* **cross-validation conformal** (R: ``int_conformal_cv``): out-of-fold
  residuals of every fold, the fold models' mean as the prediction;
* **Laplace** ``pred_int`` from the fitted model alone.

Both conformal methods are a few lines of NumPy and scikit-learn here; MAPIE's
``SplitConformalRegressor`` and ``CrossConformalRegressor`` take the same
estimator unchanged. Data: scikit-learn's diabetes data (shipped, no
download), predictors standardised inside a Pipeline, as the vignette's recipe
normalises them. Run: ``python examples/conformal_intervals.py``.
"""

import argparse

import kerasnip  # before keras: picks JAX when Keras's configured backend is not installed

# isort: split
import keras
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.model_selection import KFold, cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

parser = argparse.ArgumentParser(description="Conformal and Laplace prediction intervals.")
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--folds", type=int, default=5)
parser.add_argument("--level", type=float, default=0.9)
args = parser.parse_args()
pd.set_option("display.width", 120)

# %%
# A kerasnip regression model in a Pipeline
# -----------------------------------------
# One hidden layer, as in the vignette. The scaler is part of the model, so
# every fit below (including the cross-validation folds) scales with its own
# training rows only.


def input_block(model, input_shape):
    return keras.Sequential([keras.Input(shape=input_shape)])


def dense_block(model, units=32):
    model.add(keras.layers.Dense(units, activation="relu"))
    return model


def output_block(model):
    model.add(keras.layers.Dense(1))
    return model


conf_mlp = kerasnip.create_keras_sequential_spec(
    "conf_mlp", {"input": input_block, "dense": dense_block, "output": output_block},
    mode="regression")
model = make_pipeline(StandardScaler(), conf_mlp(dense_units=32, fit_epochs=args.epochs,
                                                 learn_rate=0.01, random_state=0))

X, y = load_diabetes(return_X_y=True, as_frame=True)
y = y / 100  # hundreds: friendlier numbers for the network
X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=0.25, random_state=1)
X_train, X_cal, y_train, y_cal = train_test_split(X_fit, y_fit, test_size=0.3, random_state=1)
print(f"{len(X_train)} training, {len(X_cal)} calibration and {len(X_test)} test rows")


def conformal_quantile(residuals, level):
    """The ceil((n + 1) level)-th smallest absolute residual: the finite-sample quantile
    that gives intervals covering a new exchangeable row with probability >= level."""
    scores = np.sort(np.abs(residuals))
    rank = int(np.ceil((len(scores) + 1) * level))
    return np.inf if rank > len(scores) else scores[rank - 1]


def summary(name, lower, upper):
    inside = (y_test >= lower) & (y_test <= upper)
    return {"method": name, "coverage": round(float(inside.mean()), 3),
            "mean width": round(float(np.mean(upper - lower)), 3)}


# %%
# Method 1: split conformal
# -------------------------
# Fit on the training rows; the calibration rows' residuals set the half-width.
# The model is never refitted.

model.fit(X_train, y_train)
half = conformal_quantile(y_cal - model.predict(X_cal), args.level)
split_pred = model.predict(X_test)
split = pd.DataFrame({".pred": split_pred, ".pred_lower": split_pred - half,
                      ".pred_upper": split_pred + half}, index=X_test.index)
print(split.head().round(3))
results = [summary("split conformal", split[".pred_lower"], split[".pred_upper"])]

# %%
# Method 2: cross-validation conformal
# ------------------------------------
# No calibration set: each training row is predicted by the fold model that did
# not see it, and the pooled out-of-fold residuals set the half-width around the
# fold models' mean prediction. It costs one fit per fold.

cv = cross_validate(model, X_fit, y_fit, cv=KFold(args.folds, shuffle=True, random_state=0),
                    return_estimator=True, return_indices=True)
out_of_fold = np.empty(len(y_fit))
for fold_model, rows in zip(cv["estimator"], cv["indices"]["test"], strict=True):
    out_of_fold[rows] = fold_model.predict(X_fit.iloc[rows])
half = conformal_quantile(y_fit.to_numpy() - out_of_fold, args.level)
cv_pred = np.mean([fold_model.predict(X_test) for fold_model in cv["estimator"]], axis=0)
results.append(summary(f"{args.folds}-fold CV conformal", cv_pred - half, cv_pred + half))

# %%
# The Laplace posterior: no held-out rows
# ---------------------------------------
# ``type="pred_int"`` adds the fitted noise to the last layer's posterior
# uncertainty, from the training rows alone. Its widths vary from row to row,
# where a conformal interval here is equally wide everywhere; its coverage rests
# on the model, where conformal coverage rests only on exchangeability. It is
# computed from the same fitted Pipeline as the split-conformal interval.

laplace = kerasnip.predict_table(model, X_test, type="pred_int", level=args.level)
print(laplace.head().round(3))
results.append(summary("Laplace pred_int", laplace[".pred_lower"], laplace[".pred_upper"]))

# %%
# Side by side
# ------------
# Coverage of the test rows (the target is ``level``) and the mean width, in
# hundreds of the diabetes progression score. With a few hundred rows a
# coverage within a few points of ``level`` is all one can ask of any method.
# ``kerasnip.fit_laplace(model, X_cal, y_cal)`` recomputes the Laplace posterior
# on held-out rows when the network over-fits its training rows.

print(f"{args.level:.0%} intervals on {len(X_test)} test rows:")
print(pd.DataFrame(results).to_string(index=False))
