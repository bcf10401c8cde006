"""``python -m bench [names...] [--quick]``: run benchmarks and write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import accuracy, memory, overhead, scaling, search, speed, tuning
from bench.common import BENCHMARKS, DEFAULT_MNIST, RESULTS, Context, python_for, write_section

BENCHMARKS_BY_NAME = {
    "overhead": overhead,
    "speed": speed,
    "tuning": tuning,
    "scaling": scaling,
    "memory": memory,
    "accuracy": accuracy,
    "search": search,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS_BY_NAME],
                        metavar="NAME", help=f"benchmarks to run (default: all of "
                        f"{', '.join(BENCHMARKS_BY_NAME)})")
    parser.add_argument("--quick", action="store_true",
                        help="tiny settings to check the suite works; writes "
                        "bench/results/BENCHMARKS.quick.md instead of BENCHMARKS.md")
    parser.add_argument("--mnist", type=Path, default=DEFAULT_MNIST,
                        help=f"folder with the MNIST IDX files (default {DEFAULT_MNIST})")
    parser.add_argument("--backends", default="jax,torch",
                        help="backends for the tuning comparison (default jax,torch; a "
                        "backend missing from this interpreter is taken from "
                        "$KERASNIP_BENCH_TORCH_PYTHON / $KERASNIP_BENCH_JAX_PYTHON, "
                        "else skipped)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="repeats per measurement (default 2; overhead runs at least 5)")
    parser.add_argument("--out", type=Path, help="markdown file to write the sections to")
    args = parser.parse_args(argv)

    if not args.mnist.is_dir():
        parser.error(f"MNIST folder {args.mnist} not found; pass --mnist DIR.")
    pythons = {}
    skipped = []
    for backend in args.backends.split(","):
        python = python_for(backend.strip())
        if python:
            pythons[backend.strip()] = python
        else:
            skipped.append(backend.strip())
    if "jax" not in pythons:
        parser.error("the benchmarks need JAX: install kerasnip[jax] or set "
                     "KERASNIP_BENCH_JAX_PYTHON.")
    out = args.out or (RESULTS / "BENCHMARKS.quick.md" if args.quick else BENCHMARKS)
    ctx = Context(quick=args.quick, mnist=args.mnist, pythons=pythons,
                  repeats=1 if args.quick else args.repeats, out=out)
    if skipped:
        ctx.notes.append(f"backend(s) {', '.join(skipped)} not available to this run "
                         "(set KERASNIP_BENCH_TORCH_PYTHON to a venv with torch==2.13.0).")
    for name in args.names or list(BENCHMARKS_BY_NAME):
        started = time.perf_counter()
        print(f"[bench] {name} ...", flush=True)
        section = BENCHMARKS_BY_NAME[name].run(ctx)
        write_section(out, name, section)
        print(f"[bench] {name} done in {time.perf_counter() - started:.0f} s -> {out}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
