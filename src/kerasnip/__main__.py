"""Command line: ``kerasnip demo`` / ``python -m kerasnip demo``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kerasnip import __version__, demo
from kerasnip.errors import DatasetError


def build_parser() -> argparse.ArgumentParser:
    """The ``kerasnip`` argument parser with its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="kerasnip",
        description="Keras 3 layer blocks as scikit-learn estimators with tunable architectures.",
    )
    parser.add_argument("--version", action="version", version=f"kerasnip {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo_parser = commands.add_parser(
        "demo",
        help="run the getting-started walk-through (an MLP on handwritten digits)",
        description="Replay the getting-started walk-through: define layer blocks, create the "
                    "mnist_mlp spec, fit a two-hidden-layer MLP, evaluate it, show predictions, "
                    "tune its first hidden layer and write the pictures.",
    )
    demo.add_arguments(demo_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        Arguments without the program name (``sys.argv[1:]`` when omitted).

    Returns
    -------
    int
        The exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    options = demo.options_from_args(args, parser)
    try:
        demo.run(options)
    except (FileNotFoundError, DatasetError, RuntimeError) as exc:
        # Data problems are the user's to fix; a traceback would hide the message.
        print(f"kerasnip demo: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
