"""The Keras callback behind the epochs sub-model trick of ``tune_grid``.

Kept in its own module so that importing kerasnip does not import Keras.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import keras


class EpochSnapshots(keras.callbacks.Callback):
    """Keep a copy of the model's weights at the end of the requested epochs.

    Training once to the largest epoch count and reading these snapshots
    gives the same models as separate trainings to each smaller count,
    because nothing in a fit depends on how many epochs are still to come.

    Parameters
    ----------
    epochs : iterable of int
        1-based epoch numbers to snapshot.
    """

    def __init__(self, epochs: Iterable[int]):
        super().__init__()
        self.epochs = frozenset(int(e) for e in epochs)
        self.weights: dict[int, list[Any]] = {}

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.weights = {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch + 1 in self.epochs:
            self.weights[epoch + 1] = self.model.get_weights()

    def __deepcopy__(self, memo: dict) -> EpochSnapshots:
        # Estimators deep-copy fit_callbacks before each fit so user callbacks
        # start fresh; tune_grid must read what this one recorded, so every
        # copy is the object itself.
        return self
