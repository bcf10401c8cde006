"""The tuning engine on torch: each fit trained by a plain loop outside ``Model.fit``.

On torch nothing is compiled, so the engine's lanes cannot share a program; what a
search can save is ``Model.fit``'s own cost per fit: a data loader per epoch,
callbacks, the validation set-up. :func:`train_lane` calls the model's
``train_step`` and ``test_step`` on batches it slices itself, and reproduces
what ``fit`` draws from torch's global random stream (the data loader's base seed,
then the shuffling seed, per epoch; one base seed per validation pass), so a lane
gives the history and weights of ``keras.Model.fit`` with the same seed (the tests
compare them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerasnip.runtime.runner import row_count, split_off_validation


def train_lane(model: Any, lane: Any, fit_kwargs: dict[str, Any],
               snapshot_epochs: Sequence[int]
               ) -> tuple[dict[str, list[float]], dict[int, tuple[list, list]]]:
    """Train ``model`` (torch backend), set to a lane's start values, as ``Model.fit``
    would train it on the lane's data.

    Parameters
    ----------
    model : keras.Model
        The lane's own compiled model, holding the lane's start values.
    lane : engine.Lane
    fit_kwargs : dict
        Arguments ``engine.unsupported`` accepted.
    snapshot_epochs : sequence of int
        1-based epochs at whose end the weights are kept.

    Returns
    -------
    history : dict of str to list of float
    snapshots : dict of int to (trainable values, non-trainable values)
    """
    import keras
    import torch

    epochs = int(fit_kwargs.get("epochs", 1))
    batch = int(fit_kwargs.get("batch_size") or 32)
    val_batch = int(fit_kwargs.get("validation_batch_size") or batch)
    shuffle = fit_kwargs.get("shuffle", True)
    training: tuple[Any, ...] = (lane.X, lane.y, lane.sample_weight)
    validation = None
    if fit_kwargs.get("validation_split"):
        training, validation = split_off_validation(training, fit_kwargs["validation_split"])
    n = row_count(training[0])
    wanted = {int(e) for e in snapshot_epochs}
    history: dict[str, list[float]] = {}
    snapshots = {}
    if lane.seed is not None:
        keras.utils.set_random_seed(lane.seed)  # as runner's Reseed when training begins
    for epoch in range(1, epochs + 1):
        model.reset_metrics()
        model.train()
        _draw_seed()  # the epoch's data loader draws its base seed
        order: np.ndarray = np.arange(n)
        if shuffle:
            generator = torch.Generator().manual_seed(_draw_seed())
            order = torch.randperm(n, generator=generator).numpy()
        for first in range(0, n, batch):
            model.train_step(_batch(training, order[first:first + batch]))
        _draw_seed()  # Keras's epoch iterator makes the next epoch's loader once exhausted
        logs = _results(model)
        model.eval()
        if validation is not None:
            model.reset_metrics()
            _draw_seed()  # evaluate's data loader, made twice as the epoch's is
            _draw_seed()
            with torch.no_grad():
                rows = np.arange(row_count(validation[0]))
                for first in range(0, len(rows), val_batch):
                    model.test_step(_batch(validation, rows[first:first + val_batch]))
            logs.update({f"val_{name}": value for name, value in _results(model).items()})
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        if epoch in wanted:
            snapshots[epoch] = ([v.numpy().copy() for v in model.trainable_variables],
                                [v.numpy().copy() for v in model.non_trainable_variables])
        if not math.isfinite(logs.get("loss", 0.0)):
            break
    return history, snapshots


def _draw_seed() -> int:
    """One draw from torch's global stream, as a data loader or a sampler takes it."""
    import torch

    return int(torch.empty((), dtype=torch.int64).random_().item())


def _batch(arrays: tuple[Any, ...], rows: np.ndarray) -> tuple[Any, ...]:
    """The rows of ``(X, y, sample_weight)`` as tensors, without the weights when None."""
    import keras

    present = arrays if arrays[2] is not None else arrays[:2]
    return keras.tree.map_structure(lambda a: keras.ops.convert_to_tensor(a[rows]), present)


def _results(model: Any) -> dict[str, float]:
    return {name: float(value) for name, value in model.get_metrics_result().items()}
