"""Benchmark 4: resident memory across 300 consecutive small fits in one process."""

from __future__ import annotations

from pathlib import Path

from bench.common import Context, figure, header, load_average, run_worker, save_json, save_plot

TITLE = "Memory: resident set size over consecutive fits"
GOAL_MB = 100.0
SETTLE = 20  # fits after which growth is counted


def _plot(path: Path, series: dict[str, list[float]]) -> str:
    fig, ax = figure(3.5)
    for label, rss in series.items():
        ax.plot(range(len(rss)), rss, label=label)
    ax.axvline(SETTLE, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("fits completed")
    ax.set_ylabel("resident memory (MiB)")
    ax.set_title("RSS after each fit (new estimator per fit)", fontsize=10)
    return save_plot(fig, ax, path)


def run(ctx: Context) -> str:
    load = load_average()
    fits = 40 if ctx.quick else 300
    task = {"kind": "memory", "fits": fits, "rows": 100, "grid": 27,
            "epochs": 2 if ctx.quick else 5}
    runs = {
        "kerasnip (reuse on, default)": run_worker(ctx, task),
        "reuse off (KERASNIP_REUSE=0)": run_worker(ctx, task, env={"KERASNIP_REUSE": "0"}),
    }
    save_json(ctx, "memory", runs)
    png = _plot(ctx.result_path("memory", "png"),
                {label: r["rss_mb"] for label, r in runs.items()})
    rows = []
    verdicts = []
    for label, r in runs.items():
        rss = r["rss_mb"]
        settled, last, peak = rss[SETTLE], rss[-1], max(rss[SETTLE:])
        grown = last - settled
        rows.append(f"| {label} | {rss[0]:.0f} | {settled:.0f} | {peak:.0f} | {last:.0f} | "
                    f"**{grown:+.0f}** | {sum(r['fit_seconds']):.0f} s |")
        verdicts.append(f"{label}: {grown:+.0f} MiB from fit {SETTLE} to fit {fits} "
                        f"({'meets' if grown < GOAL_MB else 'misses'} the < {GOAL_MB:.0f} MB "
                        "goal)")
    return "\n".join([
        *header(ctx, TITLE, load),
        f"{fits} fits in one process, each by a new estimator (a clone, as a search makes), "
        f"cycling through the 27 getting-started configurations: 100 MNIST rows, "
        f"{task['epochs']} epochs, then a predict; the estimator is dropped after each fit. "
        "Resident memory (VmRSS) after each fit. With reuse on, dropped estimators leave "
        "their compiled models to the idle pool (4 by default; a model pushed out of it "
        "frees its compiled functions at once). Either way a full garbage collection, "
        "which frees dead models, runs once resident memory has grown by 32 MiB "
        "(`KERASNIP_GC_MB`) since the last one; a collection that finds next to no "
        "garbage doubles that threshold, up to 64x. `python -m bench memory`.",
        "",
        f"| run | RSS before (MiB) | after fit {SETTLE} | peak after {SETTLE} | "
        f"after fit {fits} | growth after fit {SETTLE} | fit time, total |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"![RSS over fits]({png})",
        "",
        *[f"- {v}." for v in verdicts],
    ])
