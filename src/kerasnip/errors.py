"""Every exception kerasnip raises on purpose, under one base class.

Each keeps the standard base it has always had (a wrong block is a
``ValueError``, a missing import an ``ImportError``), so code that catches
those keeps working; ``except kerasnip.KerasnipError`` catches them all.
"""

from __future__ import annotations


class KerasnipError(Exception):
    """Base class of kerasnip's own exceptions."""


class BlockError(KerasnipError, ValueError):
    """A layer block or a set of blocks cannot be turned into a spec."""


class BuildError(KerasnipError, RuntimeError):
    """A block raised or returned something unusable while building the model."""


class NotTunedError(KerasnipError, ValueError):
    """A parameter is still marked with ``tune()`` when the model is fitted."""


class TrainingError(KerasnipError, RuntimeError):
    """Training diverged: the loss became NaN or infinite."""


class LoadError(KerasnipError, ValueError):
    """A file cannot be loaded as a kerasnip estimator.

    Raised for a file that is truncated, corrupted, not written by
    :meth:`KerasEstimator.save`, written by a newer kerasnip format version,
    or whose model needs registered optimizers/losses/metrics that are not
    registered now. Nothing is half-loaded: either :func:`kerasnip.load`
    returns a complete estimator or it raises.
    """


class BlockImportError(KerasnipError, ImportError):
    """A loaded estimator is refitted but one of its block functions cannot be imported."""


class IntervalsNotAvailableError(KerasnipError, ValueError):
    """The model's structure does not allow Laplace intervals."""


class MissingDependencyError(KerasnipError, ImportError):
    """An optional piece of software needed for a picture is not installed."""


class DatasetError(KerasnipError, ValueError):
    """A data file was found but is not in the format it claims to be."""
