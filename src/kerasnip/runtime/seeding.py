"""Seeding a block of work without touching the user's random streams."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from typing import Any

import numpy as np

from kerasnip._compat import swap_keras_python_random

#: Seeds are folded into ``[0, SEED_SPAN)``: some backends reject larger ones.
SEED_SPAN = 2**31


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Seed Python, NumPy and the Keras backend for a block of work, then restore.

    ``keras.utils.set_random_seed`` reseeds the global ``random`` and
    ``numpy.random`` state (and torch's, on that backend); restoring them
    afterwards keeps a user's own random streams untouched by fitting a model.

    Parameters
    ----------
    seed : int or None
        The seed; ``None`` leaves every random state alone.
    """
    if seed is None:
        yield
        return
    import keras

    torch = _torch_if_backend()
    py_state, np_state = random.getstate(), np.random.get_state()
    torch_state = None if torch is None else torch.random.get_rng_state()
    keras.utils.set_random_seed(seed)
    # Keras draws the seeds of unseeded initializers from Python's global
    # ``random``, which other threads may use meanwhile (a Dask worker's event
    # loop does): a private stream, equal to the global one just seeded, makes
    # the draws depend on the seed alone.
    keras_random = swap_keras_python_random(random.Random(seed))
    try:
        yield
    finally:
        swap_keras_python_random(keras_random)
        random.setstate(py_state)
        np.random.set_state(np_state)
        if torch is not None:
            torch.random.set_rng_state(torch_state)


def random_streams() -> tuple[Any, ...]:
    """The state of Python's, NumPy's and (on torch) torch's global random streams.

    Keras shuffles the training rows of every epoch from them, so restoring
    this state with :func:`restore_random_streams` continues a training run
    exactly where it stopped.

    Returns
    -------
    tuple
        An opaque state for :func:`restore_random_streams`.
    """
    torch = _torch_if_backend()
    return (random.getstate(), np.random.get_state(),
            None if torch is None else torch.random.get_rng_state())


def restore_random_streams(state: tuple[Any, ...]) -> None:
    """Put the global random streams back as :func:`random_streams` found them.

    Parameters
    ----------
    state : tuple
        A value returned by :func:`random_streams`.
    """
    py_state, np_state, torch_state = state
    random.setstate(py_state)
    np.random.set_state(np_state)
    torch = _torch_if_backend()
    if torch is not None and torch_state is not None:
        torch.random.set_rng_state(torch_state)


def _torch_if_backend() -> Any:
    import keras

    if keras.backend.backend() != "torch":
        return None
    import torch

    return torch
