"""Every exception kerasnip raises on purpose, under one base class.

Each keeps the standard base it has always had (a wrong block is a
``ValueError``, a missing import an ``ImportError``), so code that catches
those keeps working; ``except kerasnip.KerasnipError`` catches them all.
"""

from __future__ import annotations


class KerasnipError(Exception):
    """Base class of kerasnip's own exceptions.

    Examples
    --------
    >>> _ = open("empty.kerasnip", "wb").write(b"")
    >>> try:
    ...     kerasnip.load("empty.kerasnip")
    ... except kerasnip.KerasnipError as error:
    ...     print(type(error).__name__)
    LoadError
    """


class BlockError(KerasnipError, ValueError):
    """A layer block or a set of blocks cannot be turned into a spec.

    Examples
    --------
    A hyperparameter without a default:

    >>> def dense(model, units):
    ...     return model
    >>> kerasnip.create_keras_sequential_spec(
    ...     "no_default", {"input": dense, "hidden": dense}, "regression")
    Traceback (most recent call last):
    ...
    kerasnip.errors.BlockError: Argument 'units' of block 'input' has no default. ...
    """


class BuildError(KerasnipError, RuntimeError):
    """A block raised or returned something unusable while building the model.

    Examples
    --------
    >>> import keras
    >>> def start(model, input_shape):
    ...     return keras.Sequential([keras.Input(shape=input_shape)])
    >>> def broken(model, units=4):
    ...     raise RuntimeError("oops")
    >>> spec = kerasnip.create_keras_sequential_spec(
    ...     "broken_spec", {"input": start, "hidden": broken}, "regression")
    >>> spec().fit(np.zeros((8, 2)), np.zeros(8))
    Traceback (most recent call last):
    ...
    kerasnip.errors.BuildError: Block 'hidden' failed with {'units': 4}: RuntimeError: oops
    """


class NotTunedError(KerasnipError, ValueError):
    """A parameter is still marked with ``tune()`` when the model is fitted.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> mlp = kerasnip.create_keras_sequential_spec("not_tuned_mlp", LAYER_BLOCKS,
    ...                                             "classification")
    >>> mlp(hidden_1_units=kerasnip.tune()).fit(np.zeros((6, 2)), [0, 1] * 3)
    Traceback (most recent call last):
    ...
    kerasnip.errors.NotTunedError: Parameter(s) ['hidden_1_units'] are marked with tune(); ...
    """


class TrainingError(KerasnipError, RuntimeError):
    """Training diverged: the loss became NaN or infinite.

    Its message suggests what to change (scale the inputs, lower ``learn_rate``).

    Examples
    --------
    >>> issubclass(kerasnip.TrainingError, RuntimeError)
    True
    """


class LoadError(KerasnipError, ValueError):
    """A file cannot be loaded as a kerasnip estimator.

    Raised for a file that is truncated, corrupted, not written by
    :meth:`KerasEstimator.save`, written by a newer kerasnip format version,
    or whose model needs registered optimizers/losses/metrics that are not
    registered now. Nothing is half-loaded: either :func:`kerasnip.load`
    returns a complete estimator or it raises.

    Examples
    --------
    >>> _ = open("junk.kerasnip", "wb").write(b"not a zip")
    >>> kerasnip.load("junk.kerasnip")
    Traceback (most recent call last):
    ...
    kerasnip.errors.LoadError: Cannot load 'junk.kerasnip': it is not a kerasnip file, ...
    """


class BlockImportError(KerasnipError, ImportError):
    """A loaded estimator is refitted but one of its block functions cannot be imported.

    Examples
    --------
    >>> issubclass(kerasnip.BlockImportError, ImportError)
    True
    """


class IntervalsNotAvailableError(KerasnipError, ValueError):
    """The model's structure does not allow Laplace intervals.

    Examples
    --------
    >>> issubclass(kerasnip.IntervalsNotAvailableError, ValueError)
    True
    """


class MissingDependencyError(KerasnipError, ImportError):
    """An optional piece of software needed for a picture is not installed.

    Examples
    --------
    >>> issubclass(kerasnip.MissingDependencyError, ImportError)
    True
    """


class DatasetError(KerasnipError, ValueError):
    """A data file was found but is not in the format it claims to be.

    Examples
    --------
    >>> _ = open("junk-idx", "wb").write(b"not idx")
    >>> kerasnip.datasets.read_idx("junk-idx")
    Traceback (most recent call last):
    ...
    kerasnip.errors.DatasetError: junk-idx is not an IDX file: ...
    """
