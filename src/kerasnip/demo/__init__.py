"""The demo: ``python -m kerasnip demo`` replays a walk-through, printing as it goes.

:mod:`.getting_started` is the R package's getting-started article (an MLP on
handwritten digits, fitted, evaluated and tuned); :mod:`.functional` is the
fork-join functional model (``--functional``). Each is a list of *sections*,
small functions that print one part and share a
:class:`~kerasnip.demo.common.DemoContext`; a new part of the demo is a new
section put in a list, and a new walk-through a new list picked here by an
option added in :func:`add_arguments`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kerasnip.demo import functional, getting_started
from kerasnip.demo.common import DATA_CHOICES, DemoContext, DemoOptions, Section

# The walk-through's blocks, as the README and the examples import them.
from kerasnip.demo.getting_started import (
    LAYER_BLOCKS,
    dense_block,
    input_block,
    output_block,
)


def sections(options: DemoOptions) -> list[Section]:
    """The sections to run, in order: the walk-through ``options`` pick."""
    if options.functional:
        return functional.sections()
    return getting_started.sections()


def run(options: DemoOptions) -> DemoContext:
    """Run the walk-through, printing as it goes.

    Parameters
    ----------
    options : DemoOptions
        Data set, epochs, output folder, verbosity and seed.

    Returns
    -------
    DemoContext
        The fitted estimator, the test evaluation and the files written.
    """
    started = time.perf_counter()
    ctx = DemoContext(options)
    for section in sections(options):
        section(ctx)
    print("\nDone\n====")
    # accuracy for the getting-started classifier, the first metric after the loss otherwise
    headline = next((name for name in ctx.evaluation if name != "loss"), "loss")
    print(f"Test {headline}: {ctx.evaluation[headline]:.4f}")
    print(f"Files written: {', '.join(str(p) for p in ctx.files)}")
    print(f"Total time: {time.perf_counter() - started:.1f} s")
    return ctx


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``demo`` command's options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``demo`` sub-command's parser.
    """
    defaults = DemoOptions()
    parser.add_argument("--data", choices=DATA_CHOICES, default=defaults.data,
                        help="digits: scikit-learn's 8x8 digits, no download (default); "
                             "mnist: 28x28 MNIST from --data-dir, or downloaded by Keras")
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="folder with the four MNIST IDX .gz files or mnist.npz")
    parser.add_argument("--epochs", type=positive_int, default=defaults.epochs, metavar="N",
                        help=f"training epochs (default {defaults.epochs})")
    parser.add_argument("--out", type=Path, default=defaults.out, metavar="DIR",
                        help=f"folder for the pictures (default {defaults.out})")
    parser.add_argument("--seed", type=int, default=defaults.seed,
                        help=f"random_state of the fit (default {defaults.seed})")
    parser.add_argument("--quiet", action="store_true",
                        help="no per-epoch progress lines from Keras")
    parser.add_argument("--functional", action="store_true",
                        help="instead, the functional fork-join regression (two dense paths "
                             "joined) on scikit-learn's diabetes data, fitted and tuned")


def options_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> DemoOptions:
    """Validate parsed arguments into :class:`DemoOptions` (``parser.error`` on conflicts)."""
    if args.data_dir is not None and args.data != "mnist":
        parser.error("--data-dir applies to --data mnist")
    if args.functional and args.data != "digits":
        parser.error("--functional uses scikit-learn's diabetes data; drop --data")
    return DemoOptions(data=args.data, data_dir=args.data_dir, epochs=args.epochs,
                       out=args.out, quiet=args.quiet, seed=args.seed,
                       functional=args.functional)


__all__ = ["LAYER_BLOCKS", "add_arguments", "dense_block", "input_block", "options_from_args",
           "output_block", "run", "sections"]
