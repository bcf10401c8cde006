"""What the demo's walk-throughs share: options, the context sections pass along, pictures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kerasnip

DATA_CHOICES = ("digits", "mnist")
DEFAULT_EPOCHS = 30
"""The walk-through's 30 epochs: on digits about 10 s here and a test accuracy near 0.97."""


@dataclass
class DemoOptions:
    """What ``python -m kerasnip demo`` was asked to do (see :func:`add_arguments`)."""

    data: str = "digits"
    data_dir: Path | None = None
    epochs: int = DEFAULT_EPOCHS
    out: Path = Path("kerasnip-demo")
    quiet: bool = False
    seed: int = 42
    functional: bool = False


@dataclass
class DemoContext:
    """State the sections share; each section reads what earlier ones left."""

    options: DemoOptions
    # None until the section that makes them has run (spec: the generated class).
    spec: Any = None
    x_train: Any = None
    y_train: Any = None
    x_test: Any = None
    y_test: Any = None
    estimator: Any = None
    evaluation: dict[str, float] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    sections_shown: int = 0

    def heading(self, title: str) -> None:
        """Print the next section's numbered, underlined title."""
        self.sections_shown += 1
        title = f"{self.sections_shown}. {title}"
        print(f"\n{title}\n{'=' * len(title)}")

    def output_file(self, name: str) -> Path:
        """``--out``/``name``, its folder made, listed among the files written."""
        self.options.out.mkdir(parents=True, exist_ok=True)
        path = self.options.out / name
        self.files.append(path)
        return path


Section = Callable[[DemoContext], None]


def print_architecture_parameters(spec: Any) -> None:
    """Print a generated class's ``num_*`` and block parameters, one line per block."""
    by_block: dict[str, list[str]] = {}
    for p in spec.kerasnip_spec.parameters:
        if p.role in ("num", "block"):
            by_block.setdefault(p.block, []).append(p.name)
    width = max(map(len, by_block), default=0) + 2
    for block, names in by_block.items():
        print(f"  {block + ':':<{width}}{', '.join(names)}")


def write_pictures(ctx: DemoContext) -> None:
    """Write the training-history plot and the model graph into ``--out``."""
    ctx.heading("Pictures")
    kerasnip.plot_history(ctx.estimator, ctx.output_file("history.png"))
    try:
        ctx.files.append(kerasnip.plot_model(ctx.estimator, ctx.options.out / "model.png"))
    except kerasnip.MissingDependencyError as exc:
        print(f"Skipped the model graph: {exc}")
    for path in ctx.files:
        print(f"wrote {path}")
