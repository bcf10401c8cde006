"""
Multi-step forecasting with joint prediction intervals
======================================================

A noisy sine series is cut into windows of its last ``timesteps`` values
(:class:`~kerasnip.SequenceWindows`), the next ``horizon`` values become the targets
(:class:`~kerasnip.LeadTargets`), and a functional spec with one vector-valued output
(``num_outputs = horizon``) learns to forecast them all at once. The
last-layer Laplace posterior then gives prediction intervals: per step, and
joint bands (``joint=True``) that hold for the whole forecast trajectory at once.
The script prints held-out accuracy and coverage and plots a few forecasts
with both bands.

Run ``python examples/forecasting.py --out forecasting.png`` (under a minute on
a CPU; ``--n 150 --epochs 3`` for a quick check).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import kerasnip
from kerasnip import LeadTargets, SequenceWindows, inp_spec


# The blocks import keras themselves: importing kerasnip first picks the backend.
def window_input(input_shape):
    import keras

    return keras.Input(shape=input_shape)


def flatten(window):
    import keras

    return keras.layers.Flatten()(window)


def hidden(tensor, units=64):
    import keras

    return keras.layers.Dense(units, activation="relu")(tensor)


def forecast(tensor, num_outputs):
    import keras

    # A linear Dense output: what the Laplace intervals need.
    return keras.layers.Dense(num_outputs)(tensor)


def make_series(n: int, seed: int = 0) -> pd.DataFrame:
    """A sine with a 25-step period plus Gaussian noise (sd 0.2), one row per day."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = np.sin(2 * np.pi * t / 25) + 0.2 * rng.normal(size=n)
    return pd.DataFrame({"y": values}, index=pd.date_range("2024-01-01", periods=n, freq="D"))


def supervised(series: pd.DataFrame, timesteps: int, horizon: int):
    """Windows of the past and the next ``horizon`` values, for rows that have both."""
    windows = SequenceWindows(timesteps=timesteps)
    leads = LeadTargets("y", leads=tuple(range(1, horizon + 1)))
    X = windows.fit_transform(series[["y"]])
    Y = windows.align_target(leads.fit_transform(series)[leads.target_names_])
    complete = Y.notna().all(axis=1).to_numpy()
    return X[complete], Y[complete]


parser = argparse.ArgumentParser(description="Multi-step forecast with joint intervals.")
parser.add_argument("--n", type=int, default=600, help="length of the series")
parser.add_argument("--timesteps", type=int, default=24)
parser.add_argument("--horizon", type=int, default=8)
parser.add_argument("--epochs", type=int, default=100)
parser.add_argument("--level", type=float, default=0.9)
parser.add_argument("--draws", type=int, default=2000, help="draws for the joint bands")
parser.add_argument("--out", type=Path, help="where to save the plot (default: not saved)")
args = parser.parse_args()

# %%
# Windows and leads
# -----------------
# Each row of ``X`` is a window of the last ``timesteps`` values; each row of ``Y`` the
# next ``horizon`` values (``lead_1_y`` ... ``lead_8_y``). The past trains, the future
# tests.

series = make_series(args.n)
X, Y = supervised(series, args.timesteps, args.horizon)
split = int(0.7 * len(X))
print(X.shape, list(Y.columns))

# %%
# A functional spec with a vector-valued output
# ---------------------------------------------
# The output block gets ``num_outputs`` from the width of ``Y``. The network is small on
# purpose: an over-fitted network shrinks its training residuals, and with them the
# noise the intervals are built from.

spec = kerasnip.create_keras_functional_spec(
    "sine_forecaster",
    {"window": window_input, "flat": inp_spec(flatten, "window"),
     "hidden": inp_spec(hidden, "flat"), "output": inp_spec(forecast, "hidden")},
    mode="regression")
est = spec(hidden_units=16, fit_epochs=args.epochs, learn_rate=0.003, random_state=0)
est.fit(X[:split], Y.iloc[:split])

# %%
# Per-step and joint intervals
# ----------------------------
# ``type="pred_int"`` gives a band per step; ``joint=True`` widens them (from
# ``n_draws`` posterior draws) so that the whole trajectory lies inside with the given
# probability. Coverage on the held-out forecasts:

X_test, Y_test = X[split:], Y.iloc[split:].to_numpy()
marginal = kerasnip.predict_table(est, X_test, type="pred_int", level=args.level)
joint = kerasnip.predict_table(est, X_test, type="pred_int", level=args.level,
                               joint=True, n_draws=args.draws, seed=0)
steps = list(Y.columns)  # predict_table names columns after y's: .pred_lead_1_y, ...


def band(table, side):
    return table[[f".pred_{side}_{k}" for k in steps]].to_numpy()


mean = marginal[[f".pred_{k}" for k in steps]].to_numpy()
inside_marginal = (Y_test >= band(marginal, "lower")) & (Y_test <= band(marginal, "upper"))
inside_joint = (Y_test >= band(joint, "lower")) & (Y_test <= band(joint, "upper"))
results = {
    "rmse": float(np.sqrt(np.mean((Y_test - mean) ** 2))),
    "per-step coverage": float(inside_marginal.mean()),
    "whole-trajectory coverage, per-step bands": float(inside_marginal.all(axis=1).mean()),
    "whole-trajectory coverage, joint bands": float(inside_joint.all(axis=1).mean()),
}
print(f"{len(X_test)} held-out forecasts of {args.horizon} steps, level {args.level}:")
for name, value in results.items():
    print(f"  {name}: {value:.3f}")

# %%
# Three forecasts with both bands
# -------------------------------


def plot(series, X_test, origins, marginal, joint, steps, args):
    """Three forecasts, their per-step and joint bands, and what happened."""
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    picks = np.linspace(0, len(X_test) - 1, 3).astype(int)
    fig = Figure(figsize=(9, 2.6 * len(picks)), layout="constrained")
    axes = fig.subplots(len(picks), 1, sharey=True)
    for ax, i in zip(np.atleast_1d(axes), picks, strict=True):
        origin = series.index.get_loc(origins[i])
        past = series.iloc[max(origin - args.timesteps + 1, 0): origin + 1]
        future = series.iloc[origin + 1: origin + 1 + args.horizon]
        ax.plot(past.index, past["y"], color="0.3", label="history")
        ax.plot(future.index, future["y"], "o", color="0.3", ms=3, label="actual")
        ax.plot(future.index, [marginal[f".pred_{k}"].iloc[i] for k in steps],
                color="C0", label="forecast")
        ax.fill_between(future.index, [joint[f".pred_lower_{k}"].iloc[i] for k in steps],
                        [joint[f".pred_upper_{k}"].iloc[i] for k in steps], color="C1",
                        alpha=0.3, label=f"joint band ({args.level:.0%}, whole trajectory)")
        for side in ("lower", "upper"):
            ax.plot(future.index, [marginal[f".pred_{side}_{k}"].iloc[i] for k in steps],
                    "--", color="C0", lw=1,
                    label=f"per-step band ({args.level:.0%})" if side == "lower" else None)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        ax.set_title(f"forecast from {origins[i]:%Y-%m-%d}", fontsize=9)
    np.atleast_1d(axes)[0].legend(fontsize=7, ncol=5, loc="upper left")
    return fig


fig = plot(series, X_test, Y.index[split:], marginal, joint, steps, args)
if args.out:
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
