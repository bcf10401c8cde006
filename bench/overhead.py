"""Benchmark 1: wrapper overhead on the getting-started MLP (MNIST, 48,000 rows, 5 epochs)."""

from __future__ import annotations

from collections.abc import Iterable

from bench.common import Context, fmt_s, header, load_average, run_worker, save_json
from bench.common import stats as min_median

TITLE = "Wrapper overhead: kerasnip vs raw Keras"


def _flat(values: Iterable[float | list[float]]) -> list[float]:
    return [x for v in values for x in (v if isinstance(v, list) else [v])]


def run(ctx: Context) -> str:
    """Fit and predict the same network by hand and through kerasnip, alternating."""
    load = load_average()
    task = {"kind": "overhead", "epochs": 1 if ctx.quick else 5, "batch_size": 128, "seed": 42,
            "repeats": 2 if ctx.quick else max(ctx.repeats, 5),
            "rows": 6000 if ctx.quick else None, "predict_repeats": 3 if ctx.quick else 10}
    # Both sides build and compile from scratch every time: no persistent
    # compilation cache, no model reuse (those are measured in the tuning section).
    result = run_worker(ctx, task, "jax", env={"KERASNIP_JAX_CACHE": "0", "KERASNIP_REUSE": "0"})
    save_json(ctx, "overhead", result)
    runs = result["runs"]
    rows = []
    for key, label in (("fit", f"fit ({task['epochs']} epochs, batch 128)"),
                       ("fit_cpu", "fit, CPU time of the process"),
                       ("predict_first", f"first predict, {result['test_rows']:,} rows"),
                       ("predict", f"predict again, {result['test_rows']:,} rows "
                                   f"(x{task['predict_repeats']} per repeat)")):
        raw = min_median(_flat(r[key] for r in runs["keras"]))
        ours = min_median(_flat(r[key] for r in runs["kerasnip"]))
        rows.append(f"| {label} | {fmt_s(raw[0])} / {fmt_s(raw[1])} | "
                    f"{fmt_s(ours[0])} / {fmt_s(ours[1])} | "
                    f"**{ours[0] / raw[0]:.3f}** / {ours[1] / raw[1]:.3f} |")
    accuracy = {k: [round(r["accuracy"], 4) for r in v] for k, v in runs.items()}
    return "\n".join([
        *header(ctx, TITLE, load),
        f"The getting-started MLP (Dense 256 + Dropout 0.4, Dense 128 + Dropout 0.3, "
        f"softmax; RMSprop, batch 128, seed 42) on MNIST: {result['train_rows']:,} "
        "training rows (`validation_split=0.2` of the 60,000), "
        f"{task['epochs']} epochs, then `predict` on the {result['test_rows']:,} test rows. "
        "*Keras* is the model written and fitted by hand (`keras.Sequential`, `compile`, "
        "`to_categorical`, `fit`, `predict`); *kerasnip* is `mnist_mlp(...).fit(X, y)` and "
        "`predict_proba`. Both run in one process after an untimed warm-up fit (backend "
        "start-up), alternating which goes first, each fit building and "
        "compiling a new model (persistent compilation cache and model reuse off), "
        f"{len(runs['keras'])} repeats. `python -m bench overhead`.",
        "",
        "| step | Keras min / median | kerasnip min / median | kerasnip / Keras min / median |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Test accuracy per repeat: Keras {accuracy['keras']}, kerasnip {accuracy['kerasnip']} "
        "(same seed; kerasnip reseeds once Keras has set training up, so the shuffles "
        "differ from the hand-written run).",
        "",
        "Goal: kerasnip / Keras <= 1.03 for fit and predict. The first predict of a new "
        "model includes compiling its predict step: Keras compiles it once per batch "
        "shape, so the 10,000 rows (78 full batches and one of 16) cost two compilations; "
        "kerasnip pads the last batch to a full one and compiles once."
        + (f" On later predicts kerasnip's extra work is scikit-learn's input validation "
           f"(shape, dtype, every value finite), measured alone at "
           f"{1000 * min(_flat(r['checks'] for r in runs['kerasnip'])):.1f} ms (min) for "
           f"the {result['test_rows']:,} x 784 values; the estimator contract requires it."
           if all("checks" in r for r in runs["kerasnip"]) else ""),
    ])
