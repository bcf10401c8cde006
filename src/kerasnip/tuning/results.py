"""``TuneResults``: what ``tune_grid`` found, as tidy tables, selections and a plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kerasnip._utils import did_you_mean, python_scalar
from kerasnip.tuning.params import ParameterSet

# Numeric axes with at most this many distinct values get one tick per value.
_MAX_TICKS = 8


class TuneResults:
    """Cross-validation results of a set of configurations.

    Made by :func:`kerasnip.tune_grid` and the other search methods
    (:func:`kerasnip.tune_race`, :func:`kerasnip.tune_bayes`,
    :func:`kerasnip.tune_halving`). Column names follow R's tune package: the
    tuned parameters (by id), the method's own columns (``.iter``, ``.rung``,
    ...), ``.metric``, ``mean``, ``n``, ``std_err`` and ``.config``. Every
    metric is greater-is-better (scikit-learn scorers).

    Attributes
    ----------
    grid : pandas.DataFrame
        The configurations, in order (``.config`` ``Model01`` is row 0).
    params : ParameterSet
        The tuned parameters' search spaces.
    metrics : list of str
        Metric names, in the order given.
    n_folds : int
        Number of resamples.
    n_resumed : int
        (configuration, fold) results read back from ``save_dir`` instead of
        being fitted in this run.
    spec : kerasnip estimator
        The spec that was tuned (still with its ``tune()`` markers).
    method : str
        The search method that made the results (``"tune_grid"``, ...).
    info : pandas.DataFrame
        The method's own columns, one row per configuration (``.iter`` for
        :func:`kerasnip.tune_bayes`, ``.rung`` for :func:`kerasnip.tune_halving`,
        ``.eliminated`` for :func:`kerasnip.tune_race`); empty for a grid.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:60] / 16, y[:60]
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), num_hidden_2=0, fit_epochs=1)
    >>> grid = pd.DataFrame({"hidden_1_units": [8, 32]})
    >>> res = kerasnip.tune_grid(spec, X, y, resamples=2, grid=grid, metrics=["accuracy",
    ...                          "balanced_accuracy"], progress=False, random_state=0)
    >>> res.method, res.metrics, res.n_folds
    ('tune_grid', ['accuracy', 'balanced_accuracy'], 2)
    >>> res.collect_metrics().shape, res.collect_metrics(summarize=False).shape
    ((4, 6), (8, 5))
    >>> list(res.show_best("balanced_accuracy").columns)
    ['hidden_1_units', '.metric', 'mean', 'n', 'std_err', '.config']
    >>> res.collect_errors().empty
    True
    """

    def __init__(self, *, spec: Any, params: ParameterSet, grid: pd.DataFrame,
                 records: list[dict], metrics: list[str], n_folds: int, n_resumed: int = 0,
                 method: str = "tune_grid", info: pd.DataFrame | None = None,
                 candidates: Any = None):
        self.spec = spec
        self.params = params
        self.grid = grid.reset_index(drop=True)
        self.metrics = list(metrics)
        self.n_folds = n_folds
        self.n_resumed = n_resumed
        self.method = method
        self.info = (pd.DataFrame(index=self.grid.index) if info is None
                     else info.reset_index(drop=True))
        # Configurations show_best and select_* choose from (a race's survivors).
        self._candidates = (np.ones(len(self.grid), bool) if candidates is None
                            else np.asarray(candidates, bool))
        self._records = sorted(records, key=lambda r: (r["config"], r["fold"]))
        width = max(2, len(str(len(self.grid))))
        self._labels = [f"Model{i + 1:0{width}d}" for i in range(len(self.grid))]

    # ------------------------------------------------------------------ tables

    def collect_metrics(self, summarize: bool = True) -> pd.DataFrame:
        """Metrics per configuration (mean over folds) or per (configuration, fold).

        Parameters
        ----------
        summarize : bool, default=True
            ``True``: one row per configuration and metric with ``mean``,
            ``n`` (folds that gave a value) and ``std_err``. ``False``: one
            row per fold with ``.estimate`` and ``fold`` (1-based).

        Returns
        -------
        pandas.DataFrame
        """
        rows = [
            {"_config": r["config"], ".metric": name, ".estimate": r["metrics"][name],
             "fold": r["fold"] + 1}
            for r in self._records
            for name in self.metrics
        ]
        folds = pd.DataFrame(rows, columns=["_config", ".metric", ".estimate", "fold"])
        if summarize:
            grouped = folds.groupby(["_config", ".metric"], sort=False)[".estimate"]
            table = grouped.agg(mean="mean", n="count", std="std").reset_index()
            table["std_err"] = table.pop("std") / np.sqrt(table["n"].where(table["n"] > 0))
            table = table[["_config", ".metric", "mean", "n", "std_err"]]
        else:
            table = folds
        return self._with_params(table)

    def _with_params(self, table: pd.DataFrame) -> pd.DataFrame:
        config = table.pop("_config").to_numpy()
        params = self.grid.iloc[config].reset_index(drop=True)
        info = self.info.iloc[config].reset_index(drop=True)
        out = pd.concat([params, info, table.reset_index(drop=True)], axis=1)
        out[".config"] = [self._labels[c] for c in config]
        return out

    def collect_errors(self) -> pd.DataFrame:
        """The (configuration, fold) fits that failed or could not be scored, with messages.

        Returns
        -------
        pandas.DataFrame
            Tuned parameters, ``fold`` (1-based), ``error`` and ``.config``.
        """
        rows = [{"_config": r["config"], "fold": r["fold"] + 1, "error": r["error"]}
                for r in self._records if r["error"] is not None]
        return self._with_params(pd.DataFrame(rows, columns=["_config", "fold", "error"]))

    def collect_predictions(self) -> pd.DataFrame:
        """Assessment-set predictions of every (configuration, fold).

        Needs ``tune_grid(..., save_pred=True)``.

        Returns
        -------
        pandas.DataFrame
            ``.row`` (position in X), prediction columns (``.pred_class`` and
            ``.pred_{class}`` for classifiers, ``.pred`` for regressors),
            ``fold`` (1-based), the tuned parameters and ``.config``.
        """
        frames = []
        for r in self._records:
            if r["predictions"] is None:
                if r["error"] is None:
                    raise ValueError("No predictions were kept; rerun tune_grid(..., "
                                     "save_pred=True).")
                continue
            frame = r["predictions"].copy()
            frame.insert(0, "_config", r["config"])
            frame["fold"] = r["fold"] + 1
            frames.append(frame)
        if not frames:
            raise ValueError("No configuration produced predictions; see collect_errors().")
        return self._with_params(pd.concat(frames, ignore_index=True))

    # ------------------------------------------------------------------ selection

    def _metric(self, metric: str | None) -> str:
        if metric is None:
            return self.metrics[0]
        if metric not in self.metrics:
            hint = did_you_mean(metric, self.metrics)
            raise KeyError(f"No metric {metric!r} in these results.{hint} "
                           f"Metrics: {self.metrics}.")
        return metric

    def _ranked(self, metric: str | None) -> pd.DataFrame:
        name = self._metric(metric)
        table = self.collect_metrics()
        chosen = {label for label, ok in zip(self._labels, self._candidates, strict=True) if ok}
        table = table[(table[".metric"] == name) & table[".config"].isin(chosen)]
        return table.sort_values("mean", ascending=False, na_position="last", kind="stable")

    def show_best(self, metric: str | None = None, n: int = 5) -> pd.DataFrame:
        """The ``n`` configurations with the highest mean ``metric``.

        Parameters
        ----------
        metric : str, default=None
            One of :attr:`metrics` (default: the first).
        n : int, default=5

        Returns
        -------
        pandas.DataFrame
        """
        return self._ranked(metric).head(n).reset_index(drop=True)

    def select_best(self, metric: str | None = None) -> dict[str, Any]:
        """The tuned values of the configuration with the highest mean ``metric``.

        Parameters
        ----------
        metric : str, default=None
            One of :attr:`metrics` (default: the first).

        Returns
        -------
        dict
            Parameter id -> value, plus ``".config"``; ready for
            :func:`kerasnip.finalize`.
        """
        ranked = self._ranked(metric)
        return self._choose(ranked.iloc[0] if ranked["mean"].notna().any() else None)

    def select_by_one_std_err(self, metric: str | None = None, *order_by: str) -> dict[str, Any]:
        """The simplest configuration within one standard error of the best.

        Parameters
        ----------
        metric : str, default=None
            One of :attr:`metrics` (default: the first).
        *order_by : str
            Tuned parameter ids, simplest first; prefix ``-`` to prefer large
            values (e.g. ``"num_hidden", "hidden_units", "-hidden_rate"``).

        Returns
        -------
        dict
            Parameter id -> value, plus ``".config"``.
        """
        if not order_by:
            raise ValueError(
                "select_by_one_std_err() needs at least one tuned parameter to order by "
                f"simplicity, e.g. select_by_one_std_err({self._metric(metric)!r}, "
                f"{self.grid.columns[0] if len(self.grid.columns) else 'num_hidden'!r})."
            )
        keys, ascending = [], []
        for item in order_by:
            key = item[1:] if item.startswith("-") else item
            if key not in self.grid.columns:
                raise KeyError(f"Cannot order by {key!r}.{did_you_mean(key, self.grid.columns)} "
                               f"Tuned parameters: {list(self.grid.columns)}.")
            keys.append(key)
            ascending.append(not item.startswith("-"))
        ranked = self._ranked(metric)
        if not ranked["mean"].notna().any():
            return self._choose(None)
        best = ranked.iloc[0]
        bound = best["mean"] - (0.0 if pd.isna(best["std_err"]) else best["std_err"])
        within = ranked[ranked["mean"] >= bound]
        return self._choose(within.sort_values(keys, ascending=ascending, kind="stable").iloc[0])

    def _choose(self, row: pd.Series | None) -> dict[str, Any]:
        if row is None:
            raise ValueError("No configuration has a score: every fit failed. "
                             "See results.collect_errors() for why.")
        chosen = {c: python_scalar(row[c]) for c in self.grid.columns}
        chosen[".config"] = row[".config"]
        return chosen

    # ------------------------------------------------------------------ plot

    def plot(self, metric: str | None = None, path: str | Path | None = None) -> Any:
        """Mean metric against each tuned parameter, one panel per parameter.

        Each point is a configuration (with its standard error); the best
        one is highlighted.

        Parameters
        ----------
        metric : str, default=None
            A single metric to plot (default: one row of panels per metric).
        path : path, default=None
            Also save the figure there (PNG by default, format from the suffix).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        names = [self._metric(metric)] if metric is not None else self.metrics
        columns = list(self.grid.columns) or [None]
        fig = Figure(figsize=(3.6 * len(columns), 3.0 * len(names)), layout="constrained")
        axes = fig.subplots(len(names), len(columns), squeeze=False)
        table = self.collect_metrics()
        for i, name in enumerate(names):
            rows = table[table[".metric"] == name]
            best = rows["mean"].idxmax() if rows["mean"].notna().any() else None
            for j, column in enumerate(columns):
                self._panel(axes[i][j], rows, column, name, best)
        fig.suptitle(f"{self.method}: {len(self.grid)} configurations x {self.n_folds} folds "
                     "(mean +/- standard error; best in red)")
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig

    def _panel(self, ax: Any, rows: pd.DataFrame, column: str | None, metric: str,
               best: Any) -> None:
        if column is None:
            x = np.zeros(len(rows))
        elif pd.api.types.is_numeric_dtype(self.grid[column]) and not (
            pd.api.types.is_bool_dtype(self.grid[column])
        ):
            x = rows[column].to_numpy(dtype=float)
            if column in self.params and getattr(self.params[column], "log", False):
                ax.set_xscale("log")
            distinct = np.unique(x)
            if len(distinct) <= _MAX_TICKS:
                ax.set_xticks(distinct, [f"{v:g}" for v in distinct])
                ax.minorticks_off()
        else:
            levels = list(dict.fromkeys(self.grid[column].map(str)))
            x = rows[column].map(str).map(levels.index).to_numpy(dtype=float)
            ax.set_xticks(range(len(levels)), levels, rotation=30, ha="right")
        y, err = rows["mean"].to_numpy(), rows["std_err"].fillna(0).to_numpy()
        ax.errorbar(x, y, yerr=err, fmt="o", color="#3b75af", alpha=0.7, markersize=5,
                    elinewidth=0.8, capsize=2)
        if best is not None:
            k = rows.index.get_loc(best)
            ax.plot(x[k], y[k], "o", color="#d62728", markersize=8)
        param = self.params[column] if column is not None and column in self.params else None
        label = param.label if param is not None else None
        ax.set_xlabel(f"{label} ({column})" if label else (column or "configuration"))
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)

    # ------------------------------------------------------------------ display

    def __repr__(self) -> str:
        failed = sum(r["error"] is not None for r in self._records)
        lines = [
            f"TuneResults ({self.method}): {len(self.grid)} configuration(s) x "
            f"{self.n_folds} fold(s), "
            f"metrics {self.metrics}",
            f"  tuned: {list(self.grid.columns) or 'nothing'}",
        ]
        if failed:
            lines.append(f"  {failed} fit(s) failed: see .collect_errors()")
        if self.n_resumed:
            lines.append(f"  {self.n_resumed} fit(s) read back from save_dir")
        return "\n".join(lines)
