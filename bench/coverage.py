"""Held-out coverage of Laplace prediction intervals and of conformal intervals (MAPIE).

Every method sees the same splits of the same data and the same network:

* ``laplace (train)``: ``predict_table(type="pred_int")`` of the model fitted on
  the training part (the model split conformal wraps);
* ``laplace (train+cal)``: the same, fitted on training and calibration parts;
* ``laplace (train, posterior on cal)``: the model fitted on the training part,
  its posterior (prior precision, noise) computed on the calibration part with
  ``kerasnip.fit_laplace(est, X_cal, y_cal)``: held-out residuals, not the
  training residuals an over-fitted network shrinks;
* ``split conformal``: MAPIE's ``SplitConformalRegressor`` (train / calibrate);
* ``cross conformal``: MAPIE's ``CrossConformalRegressor`` (CV+, 5 folds) on
  training and calibration parts.

Data sets: a sine-plus-noise series (homoscedastic Gaussian noise, sd 0.2) and
scikit-learn's shipped diabetes data (442 rows, 10 features). Each is split at
random ``--repeats`` times into 50% train, 25% calibration and 25% test.

Run ``python bench/coverage.py [--repeats 5] [--out bench/results/coverage.md]``.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

import kerasnip

LEVELS = (0.8, 0.95)


def dense_input(model, input_shape):
    import keras

    return keras.Sequential([keras.Input(shape=input_shape)])


def dense_hidden(model, units=32):
    import keras

    model.add(keras.layers.Dense(units, activation="relu"))
    return model


def dense_output(model, num_outputs=1):
    import keras

    model.add(keras.layers.Dense(num_outputs))
    return model


def sine(seed: int, n: int = 800) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(n, 1))
    return X, np.sin(X[:, 0]) + 0.2 * rng.normal(size=n)


def diabetes(seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return X / X.std(axis=0), (y - y.mean()) / y.std()


# The network per data set: a tuned-by-hand MLP that does not badly over-fit.
DATASETS = {
    "sine + noise (n=800)": (sine, {"num_hidden": 2, "hidden_units": 32, "fit_epochs": 300,
                                    "learn_rate": 0.01}),
    "diabetes (n=442)": (diabetes, {"num_hidden": 1, "hidden_units": 16, "fit_epochs": 200,
                                    "learn_rate": 0.001}),
}


def coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[float, float]:
    return float(np.mean((y >= lower) & (y <= upper))), float(np.mean(upper - lower))


def one_split(make_data, params: dict, seed: int) -> list[dict]:
    from mapie.regression import CrossConformalRegressor, SplitConformalRegressor
    from sklearn.base import clone

    X, y = make_data(seed)
    X = X.astype("float32")
    order = np.random.default_rng(seed).permutation(len(X))
    train, cal, test = np.split(order, [len(X) // 2, 3 * len(X) // 4])
    fit_cal = np.concatenate([train, cal])
    spec = kerasnip.get_spec("coverage_mlp")
    model = spec(**params, random_state=seed)
    rows = []

    def record(method: str, level: float, lower, upper, seconds: float) -> None:
        covered, width = coverage(y[test], np.asarray(lower), np.asarray(upper))
        rows.append({"method": method, "level": level, "coverage": covered, "width": width,
                     "seconds": seconds})

    def laplace(name: str, part: np.ndarray, posterior_part: np.ndarray | None) -> None:
        started = time.perf_counter()
        est = clone(model).fit(X[part], y[part])
        if posterior_part is not None:
            kerasnip.fit_laplace(est, X[posterior_part], y[posterior_part])
        tables = {level: kerasnip.predict_table(est, X[test], type="pred_int", level=level)
                  for level in LEVELS}
        seconds = time.perf_counter() - started
        for level, table in tables.items():
            record(name, level, table[".pred_lower"], table[".pred_upper"], seconds)

    laplace("laplace (train)", train, None)
    laplace("laplace (train+cal)", fit_cal, None)
    laplace("laplace (train, posterior on cal)", train, cal)

    started = time.perf_counter()
    split = SplitConformalRegressor(clone(model), confidence_level=list(LEVELS), prefit=False)
    split.fit(X[train], y[train]).conformalize(X[cal], y[cal])
    _, intervals = split.predict_interval(X[test])
    seconds = time.perf_counter() - started
    for j, level in enumerate(LEVELS):
        record("split conformal", level, intervals[:, 0, j], intervals[:, 1, j], seconds)

    started = time.perf_counter()
    cross = CrossConformalRegressor(clone(model), confidence_level=list(LEVELS), cv=5,
                                    method="plus", random_state=seed)
    cross.fit_conformalize(X[fit_cal], y[fit_cal])
    _, intervals = cross.predict_interval(X[test])
    seconds = time.perf_counter() - started
    for j, level in enumerate(LEVELS):
        record("cross conformal (CV+, 5 folds)", level, intervals[:, 0, j], intervals[:, 1, j],
               seconds)
    return rows


def run(repeats: int) -> pd.DataFrame:
    kerasnip.create_keras_sequential_spec(
        "coverage_mlp", {"input": dense_input, "hidden": dense_hidden, "output": dense_output},
        "regression")
    rows = []
    for dataset, (make_data, params) in DATASETS.items():
        for seed in range(repeats):
            for row in one_split(make_data, params, seed):
                rows.append({"data": dataset, "seed": seed, **row})
            print(f"{dataset}: split {seed + 1}/{repeats} done", flush=True)
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    grouped = results.groupby(["data", "method", "level"], sort=False)
    return pd.DataFrame({
        "coverage (mean)": grouped["coverage"].mean(),
        "coverage (min-max)": grouped["coverage"].agg(lambda c: f"{c.min():.3f}-{c.max():.3f}"),
        "width (mean)": grouped["width"].mean(),
        "seconds (mean)": grouped["seconds"].mean(),
    }).reset_index()


def report(summary: pd.DataFrame, repeats: int) -> str:
    import keras
    import mapie

    header = (
        "## Coverage\n\n"
        f"`python bench/coverage.py --repeats {repeats}` on {date.today().isoformat()}, "
        f"{platform.platform()}, Python {platform.python_version()}, Keras "
        f"{keras.__version__} ({keras.backend.backend()}), MAPIE {mapie.__version__}.\n"
        f"Held-out coverage of intervals at nominal levels {list(LEVELS)} over {repeats} "
        "random 50/25/25 train/calibration/test splits (test sets of 200 and 111 rows); "
        "the same MLP per data set for every method (sine: 2 x 32 ReLU units; diabetes: "
        "1 x 16), targets standardised (widths in their units). `seconds` includes "
        "fitting (the Laplace rows time both levels together).\n\n"
    )
    return header + markdown_table(summary) + "\n"


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub table (pandas' to_markdown needs the optional tabulate package)."""
    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(frame.columns) + " |",
             "|" + "|".join("---" for _ in frame.columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/results/coverage.md"))
    args = parser.parse_args()
    text = report(summarise(run(args.repeats)), args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
