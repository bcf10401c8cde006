"""Shared machinery: running workers, describing the machine, writing BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.worker import MARKER

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCHMARKS = ROOT / "BENCHMARKS.md"
DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist"


class WorkerError(RuntimeError):
    """A benchmark worker process failed."""


@dataclass
class Context:
    """Options of one ``python -m bench`` run."""

    quick: bool
    mnist: Path
    pythons: dict[str, str]  # backend -> interpreter that has it
    repeats: int
    out: Path
    timeout: float = 3600.0
    notes: list[str] = field(default_factory=list)

    @property
    def backends(self) -> list[str]:
        return list(self.pythons)

    def result_path(self, name: str, ext: str) -> Path:
        """``bench/results/<name>.<ext>``, or ``<name>.quick.<ext>`` for a quick run."""
        return RESULTS / f"{name}{'.quick' if self.quick else ''}.{ext}"


def run_worker(ctx: Context, task: dict[str, Any], backend: str = "jax",
               env: dict[str, str] | None = None, cache: str | None = None) -> dict[str, Any]:
    """Run one task in a fresh process of ``backend``'s interpreter and return its result.

    Parameters
    ----------
    ctx : Context
        Run options (interpreters, MNIST folder, time limit).
    task : dict
        The task (see :mod:`bench.worker`); ``mnist`` is filled in.
    backend : str
        ``"jax"`` or ``"torch"``.
    env : dict, optional
        Extra environment variables (``KERASNIP_REUSE``, ...).
    cache : str, optional
        JAX compilation cache folder; by default a new empty one (a cold cache).
    """
    with tempfile.TemporaryDirectory(prefix="kerasnip-bench-") as scratch:
        environment = {
            **os.environ,
            "KERAS_BACKEND": backend,
            "KERASNIP_JAX_CACHE": cache or str(Path(scratch) / "jax-cache"),
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
            # torch's default OpenMP pool (one thread per core) spin-waits against the
            # other jobs of a shared machine: tiny models ran up to 10x slower, erratically.
            **({"OMP_NUM_THREADS": "1"} if backend == "torch" else {}),
            **(env or {}),
        }
        payload = json.dumps({**task, "mnist": str(ctx.mnist)})
        done = subprocess.run(
            [ctx.pythons[backend], "-m", "bench.worker"], input=payload, text=True,
            capture_output=True, cwd=ROOT, env=environment, timeout=ctx.timeout,
        )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    raise WorkerError(
        f"worker {task['kind']} ({backend}) exited with {done.returncode}:\n"
        + "\n".join(done.stderr.splitlines()[-25:])
    )


def stats(values: Sequence[float]) -> tuple[float, float]:
    """(min, median)."""
    return min(values), statistics.median(values)


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def versions(python: str) -> dict[str, str]:
    """Library versions as seen by ``python`` (another venv for torch)."""
    code = (
        "import importlib.metadata as m, json, platform\n"
        "names = ['keras', 'jax', 'torch', 'scikit-learn', 'numpy', 'scikeras', 'kerasnip']\n"
        "out = {'python': platform.python_version()}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            kib = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
        memory = f", {kib / 2**20:.0f} GiB memory"
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}"


def environment_line(ctx: Context, backends: Sequence[str], started_load: str) -> str:
    """The machine, backends, library versions, date and load, for a section header."""
    parts = []
    for backend in backends:
        v = versions(ctx.pythons[backend])
        engine = f"JAX {v.get('jax', '?')}" if backend == "jax" else (
            f"torch {v.get('torch', '?')}")
        parts.append(f"{backend}: Keras {v.get('keras', '?')} on {engine} (CPU), "
                     f"scikit-learn {v.get('scikit-learn', '?')}, NumPy {v.get('numpy', '?')}"
                     + (f", SciKeras {v['scikeras']}" if "scikeras" in v else "")
                     + f", Python {v['python']}")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"*Measured {when} on {machine()}; load average (1/5/15 min) "
            f"{started_load} at the start, {load_average()} at the end. "
            + "; ".join(parts) + ".*")


def header(ctx: Context, title: str, started_load: str,
           backends: Sequence[str] = ("jax",)) -> list[str]:
    """The first lines of a section: its title and :func:`environment_line`."""
    return [f"## {title}", "", environment_line(ctx, backends, started_load), ""]


def figure(height: float) -> tuple[Any, Any]:
    """A new 6-inch-wide matplotlib figure and its axes, drawn off screen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6, height), layout="constrained")


def save_plot(fig: Any, ax: Any, path: Path) -> str:
    """Add the grid and legend, write ``path``, return it relative to the root."""
    import matplotlib.pyplot as plt

    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path.relative_to(ROOT))


def write_section(path: Path, name: str, body: str) -> None:
    """Replace the section ``name`` of ``path`` (between bench markers) or append it."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}\n"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + block + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def save_json(ctx: Context, name: str, data: Any) -> None:
    path = ctx.result_path(name, "json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


def python_for(backend: str) -> str | None:
    """The interpreter for ``backend``: this one if it has it, else ``$KERASNIP_BENCH_<B>``."""
    import importlib.util

    override = os.environ.get(f"KERASNIP_BENCH_{backend.upper()}_PYTHON")
    if override:
        return override
    return sys.executable if importlib.util.find_spec(backend) else None
