"""Benchmark 3: how tuning and fitting time grow with grid size and training rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from bench.common import (
    Context,
    figure,
    fmt_s,
    header,
    load_average,
    run_worker,
    save_json,
    save_plot,
)

TITLE = "Scaling: tuning time against grid size and rows, fit time against rows"


def growth(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log(y) on log(x): time grows like x to this power."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx)


def _plot(path: Path, series: dict[str, tuple[list[float], list[float]]],
          xlabel: str, title: str) -> str:
    from matplotlib.ticker import FuncFormatter

    fig, ax = figure(4)
    for label, (xs, ys) in series.items():
        ax.plot(xs, ys, marker="o", label=label)
        for x, y in zip(xs, ys, strict=True):
            ax.annotate(f"{y:.1f} s", (x, y), textcoords="offset points", xytext=(4, 4),
                        fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks([x for xs, _ in series.values() for x in xs])
    ax.get_xaxis().set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("seconds (log scale)")
    ax.set_title(title, fontsize=10)
    return save_plot(fig, ax, path)


def run(ctx: Context) -> str:
    load = load_average()
    epochs = 2 if ctx.quick else 30
    grids = (9, 27) if ctx.quick else (9, 27, 81)
    row_counts = (100, 1000) if ctx.quick else (100, 1000, 10000)
    grid_runs = {g: run_worker(ctx, {"kind": "tune", "contender": "tune_grid", "rows": 100,
                                     "grid": g, "epochs": epochs}) for g in grids}
    row_runs = {n: run_worker(ctx, {"kind": "tune", "contender": "tune_grid", "rows": n,
                                    "grid": 9, "epochs": epochs}) for n in row_counts}
    # No persistent cache here: each row count's first fit compiles from scratch,
    # instead of finding the full-batch step cached by the previous row count.
    fits = run_worker(ctx, {"kind": "fit_rows", "rows": list(row_counts),
                            "epochs": epochs}, env={"KERASNIP_JAX_CACHE": "0"})["fits"]
    save_json(ctx, "scaling", {"by_grid": grid_runs, "by_rows": row_runs, "fits": fits})
    by_grid = {g: r["seconds"] for g, r in grid_runs.items()}
    by_rows = {n: r["seconds"] for n, r in row_runs.items()}

    grid_png = _plot(ctx.result_path("scaling_grid", "png"),
                     {"tune_grid, 100 rows": (list(by_grid), list(by_grid.values()))},
                     "grid size (configurations)", f"tune_grid time vs grid size ({epochs} "
                     "epochs, 3 folds, JAX, cold cache)")
    rows_png = _plot(
        ctx.result_path("scaling_rows", "png"),
        {"tune_grid, 9 configurations x 3 folds": (list(by_rows), list(by_rows.values())),
         "one fit, new model": ([f["rows"] for f in fits], [f["first_fit"] for f in fits]),
         "one refit, reused model": ([f["rows"] for f in fits], [f["refit"] for f in fits])},
        "training rows", f"time vs training rows ({epochs} epochs, JAX)")

    g_growth = growth(list(by_grid), list(by_grid.values()))
    r_growth = growth(list(by_rows), list(by_rows.values()))
    refit_growth = growth([f["rows"] for f in fits], [f["refit"] for f in fits])
    last_r = growth(row_counts[-2:], [by_rows[n] for n in row_counts[-2:]])
    last_fit = growth(row_counts[-2:], [f["refit"] for f in fits[-2:]])
    grid_rows = [f"| {g} | {g * 3} | {fmt_s(r['seconds'])} | {r['seconds'] / (g * 3):.2f} s | "
                 f"{compile_share(r)} |" for g, r in grid_runs.items()]
    row_rows = [f"| {n:,} | {fmt_s(row_runs[n]['seconds'])} | {compile_share(row_runs[n])} | "
                f"{fmt_s(f['first_fit'])} | {fmt_s(f['refit'])} |"
                for n, f in zip(row_counts, fits, strict=True)]
    return "\n".join([
        *header(ctx, TITLE, load),
        f"`tune_grid` on JAX with a cold compilation cache, 3 folds, {epochs} epochs, batch 32 "
        "(getting-started grids: 9 = 3 depths x 3 widths at dropout 0.2, 27 = the standard "
        "grid, 81 = 3 depths x 9 widths x 3 dropouts). Rows: the first *n* MNIST training "
        "rows, 9-configuration grid. One fit: one configuration (1 x 160 units, dropout 0.3) "
        "fitted on *n* rows by a new estimator (build and compile included, no persistent "
        "cache), then refitted by the same estimator (compiled model reused); the first row "
        "count's first fit is also the first build of this architecture in the process, "
        "which compiles the weight initialisers' small eager operations once. One run each. "
        "`python -m bench scaling`.",
        "",
        "| grid size | fits | tune_grid | per fit | in XLA compilation |",
        "|---|---|---|---|---|",
        *grid_rows,
        "",
        "| rows | tune_grid (9 configurations) | in XLA compilation | one fit, new model | "
        "one refit, reused |",
        "|---|---|---|---|---|",
        *row_rows,
        "",
        f"![tune_grid time vs grid size]({grid_png}) ![time vs rows]({rows_png})",
        "",
        f"Observed growth (log-log slope over the whole range; 1 = linear): tuning time ~ "
        f"grid size^{g_growth:.2f}; tuning time ~ rows^{r_growth:.2f} "
        f"(^{last_r:.2f} over the last step, {row_counts[-2]:,} to {row_counts[-1]:,} rows); "
        f"a reused model's fit ~ rows^{refit_growth:.2f} (^{last_fit:.2f} over the last "
        "step). Compilation costs the same whatever the rows, so tuning time grows much "
        "slower than the rows while compilation is a large share of it, and approaches "
        "linear as the epochs take over. "
        "\"In XLA compilation\" is the share of the wall time JAX reports spending in "
        "compiling Keras's train and predict steps.",
    ])


def compile_share(run: dict) -> str:
    seconds = sum(run.get("compile_seconds", {}).values())
    return f"{seconds:.0f} s ({seconds / run['seconds']:.0%})"
