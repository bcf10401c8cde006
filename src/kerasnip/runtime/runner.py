"""Running a fit or a predict on an estimator's model: seeds, whole batches, padding.

:func:`fit` and :func:`predict` are the only places kerasnip calls
``keras.Model.fit`` and ``keras.Model.predict`` for an estimator. They make a
reused model (:mod:`kerasnip.runtime.pool`) train exactly like a fresh one, and
on tracing backends keep batch shapes constant so a model compiles its steps
once: inside :func:`whole_batches`, training sets are padded to whole batches;
predictions always are.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from kerasnip._compat import all_layers
from kerasnip.runtime.pool import tracked
from kerasnip.runtime.seeding import random_streams, restore_random_streams


@functools.cache
def _reseed_class() -> type:
    import keras

    class Reseed(keras.callbacks.Callback):
        """Reseed every generator when training starts, after Keras's set-up.

        On a model's first fit Keras draws one batch to build its metrics
        (consuming a shuffle permutation); a reused model skips that. Seeding
        again here makes both start the epochs from the same random state. A
        run that continues an earlier one restores the streams that run ended
        with instead, so it shuffles as the earlier run's next epochs would have.
        """

        def __init__(self, seed: int, streams: tuple | None = None):
            super().__init__()
            self.seed = seed
            self.streams = streams

        def on_train_begin(self, logs: dict | None = None) -> None:
            if self.streams is None:
                keras.utils.set_random_seed(self.seed)
            else:
                restore_random_streams(self.streams)

        def on_train_end(self, logs: dict | None = None) -> None:
            self.streams = random_streams()

    return Reseed


@functools.cache
def _stop_when_diverged_class() -> type:
    import keras

    class StopWhenDiverged(keras.callbacks.Callback):
        """Stop training once an epoch's loss is NaN or infinite: every later step would
        only spread it. Checked per epoch (a per-batch check would make Keras fetch every
        batch's loss from the device)."""

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                self.model.stop_training = True

    return StopWhenDiverged


def fit(estimator: Any, X: Any, y: Any, seed: int | None, *,
        streams: tuple | None = None, **kwargs: Any) -> tuple[Any, tuple | None]:
    """``estimator.model_.fit`` run so a reused model trains exactly like a fresh one.

    Parameters
    ----------
    estimator : KerasEstimator
        The estimator whose ``model_`` (fresh or re-initialised) is trained.
    X, y : arrays
        Prepared training data.
    seed : int or None
        This run's seed; the generators are seeded with it again once Keras has
        set up training. Training stops after an epoch whose loss is not finite.
    streams : tuple, default=None
        The random streams an earlier run of this model ended with: restored
        instead of seeding, so this run continues that one.
    **kwargs : dict
        Further arguments of ``keras.Model.fit`` (``callbacks`` are fresh copies).

    Returns
    -------
    history : keras.callbacks.History
    streams : tuple or None
        The random streams at the end of training (``None`` without a seed),
        for a run that continues this one.
    """
    callbacks = [*(kwargs.pop("callbacks", None) or ()), _stop_when_diverged_class()()]
    reseed = None
    if seed is not None:
        reseed = _reseed_class()(seed, streams)
        callbacks.insert(0, reseed)
    if _pads_training(estimator.model_, kwargs):
        X, y, kwargs["sample_weight"], validation = padded_fit_data(
            X, y, kwargs.get("sample_weight"), kwargs, seed)
        if validation is not None:
            kwargs.pop("validation_split", None)
            kwargs["validation_data"] = validation
    with tracked(estimator, callbacks):
        history = estimator.model_.fit(X, y, callbacks=callbacks, **kwargs)
    return history, None if reseed is None else reseed.streams


_whole_batches: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "kerasnip_whole_batches", default=False)


@contextlib.contextmanager
def whole_batches() -> Iterator[None]:
    """Within the block, fits train on whole batches only, as in :func:`kerasnip.tune_grid`.

    Keras trains the rows left over after the last whole batch as a smaller
    batch, and on a tracing backend every distinct remainder compiles the
    training step again: the folds of a search (66 and 67 rows in batches of
    32) cost three compilations per configuration instead of one. Here the
    training set is instead padded to a whole number of batches with copies of
    randomly chosen rows that carry a sample weight of 0, and every real row's
    weight is scaled by ``padded / n``. With Keras's default loss reduction
    (the weighted sum over a batch divided by the batch size) every real row
    then counts the same in every step, where a plain fit gives the
    remainder's few rows a whole step of their own, and an epoch's loss is
    still the real rows' mean loss.

    With ``fit_validation_split``, the last rows are held out first, as Keras
    does, and the validation part is padded the same way. kerasnip compiles
    the metrics as weighted metrics, so the copies count in neither the loss
    nor the metrics of ``history_``. What sample weights do not reach still
    sees them: metrics given to both ``compile_metrics`` and
    ``compile_weighted_metrics`` (the former are unweighted), ``add_loss``
    terms; held-out scores are not affected. Fits are left as Keras runs them
    where padding would change more than that: models with batch
    normalization (the copies would enter the batch statistics) or activity
    regularizers, losses with another reduction (``"sum"`` would scale the
    gradients by ``padded / n``), fits with ``fit_steps_per_epoch``, and models
    Keras does not compile (torch, or ``run_eagerly``).

    The setting holds for the current thread (and asyncio task) only: joblib
    workers started inside the block do not see it.

    Yields
    ------
    None

    Examples
    --------
    >>> import keras
    >>> def start(model, input_shape):
    ...     return keras.Sequential([keras.Input(shape=input_shape)])
    >>> def dense(model, units=8):
    ...     model.add(keras.layers.Dense(units, activation="relu"))
    ...     return model
    >>> def linear(model, num_outputs):
    ...     model.add(keras.layers.Dense(num_outputs))
    ...     return model
    >>> reg = kerasnip.create_keras_sequential_spec(
    ...     "small_reg", {"input": start, "hidden": dense, "output": linear}, "regression")
    >>> X = np.random.default_rng(0).normal(size=(30, 3))
    >>> y = X.sum(axis=1)
    >>> with kerasnip.whole_batches():  # 30 rows in batches of 8: the last one padded to 8
    ...     est = reg(fit_epochs=1, fit_batch_size=8, random_state=0).fit(X, y)
    >>> est.predict(X[:2]).shape
    (2,)

    Around a scikit-learn search (in this thread, so ``n_jobs=1``):

    >>> with kerasnip.whole_batches():
    ...     GridSearchCV(spec, param_grid, cv=3, n_jobs=1).fit(X, y)  # doctest: +SKIP
    """
    token = _whole_batches.set(True)
    try:
        yield
    finally:
        _whole_batches.reset(token)


def _traced(model: Any) -> bool:
    """Whether Keras compiles ``model``'s steps once per input shape."""
    import keras

    if model.run_eagerly:
        return False
    # TensorFlow traces a tf.function even without XLA; JAX and torch only jit
    # with jit_compile, which "auto" resolves to True on JAX and False on torch.
    return keras.backend.backend() == "tensorflow" or model.jit_compile is True


# Reductions that divide the weighted sum by the batch size (or the weights):
# under them, zero-weight copies and reweighted rows leave each row's share unchanged.
_PADDABLE_REDUCTIONS = {"sum_over_batch_size", "mean", "mean_with_sample_weight"}


def _pads_training(model: Any, fit_kwargs: dict[str, Any]) -> bool:
    if not (_whole_batches.get() and _traced(model)):
        return False
    if fit_kwargs.get("steps_per_epoch") is not None:
        return False
    return padding_preserves_training(model)


def padding_preserves_training(model: Any) -> bool:
    """Whether only sample-weighted terms see the rows of a batch (see :func:`whole_batches`)."""
    import keras

    for layer in all_layers(model, include_self=False):
        if (isinstance(layer, keras.layers.BatchNormalization)
                or getattr(layer, "activity_regularizer", None) is not None):
            return False
    losses = keras.tree.flatten(model.loss)
    # Names and plain functions get Keras's default reduction.
    return all(getattr(loss, "reduction", "sum_over_batch_size") in _PADDABLE_REDUCTIONS
               for loss in losses)


def padded_fit_data(X: Any, y: Any, sample_weight: np.ndarray | None,
                    fit_kwargs: dict[str, Any], seed: int | None
                    ) -> tuple[Any, Any, np.ndarray, tuple[Any, Any, np.ndarray] | None]:
    """The training rows, targets and weights of a fit padded to whole batches, and its
    validation part padded the same way (``None`` without ``validation_split``).

    Parameters
    ----------
    X, y : arrays or structures of arrays
        Prepared training data.
    sample_weight : ndarray or None
        Per-row weights.
    fit_kwargs : dict
        Arguments of ``keras.Model.fit``: ``batch_size``, ``validation_split``,
        ``validation_batch_size`` and ``validation_data`` are read.
    seed : int or None
        Seeds the choice of the rows copied as padding.

    Returns
    -------
    X, y, sample_weight, validation
    """
    batch_size = fit_kwargs.get("batch_size") or 32
    split = fit_kwargs.get("validation_split")
    validation = None
    if split and fit_kwargs.get("validation_data") is None:
        # Hold out the last rows as Keras would, then pad both parts: one training
        # and one validation step whatever the fold's size.
        (X, y, sample_weight), (X_val, y_val, weight_val) = split_off_validation(
            (X, y, sample_weight), split)
        validation = _whole_batch_data(
            X_val, y_val, weight_val, fit_kwargs.get("validation_batch_size") or batch_size,
            seed)
    X, y, weight = _whole_batch_data(X, y, sample_weight, batch_size, seed)
    return X, y, weight, validation


def _whole_batch_data(X: Any, y: Any, sample_weight: np.ndarray | None, batch_size: int,
                      seed: int | None) -> tuple[Any, Any, np.ndarray]:
    """``X``, ``y`` and sample weights padded to a whole number of batches.

    The weights are always returned (ones when none were given), so that a
    fold that needs no padding traces the same training step as one that does.
    """
    n = row_count(X)
    weight = (np.ones(n, np.float32) if sample_weight is None
              else np.asarray(sample_weight, np.float32))
    pad = -n % batch_size
    if not pad:
        return X, y, weight
    rows = np.r_[:n, np.random.default_rng(seed).choice(n, pad, replace=pad > n)]
    weight = np.concatenate([weight * np.float32((n + pad) / n), np.zeros(pad, np.float32)])
    return _take_rows(X, rows), _take_rows(y, rows), weight


def split_off_validation(arrays: tuple[Any, Any, Any], split: float
                         ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """``(training, validation)`` parts of ``(X, y, sample_weight)``: the last ``split`` of
    the rows are held out, as ``keras.Model.fit(validation_split=...)`` does."""
    n = row_count(arrays[0])
    cut = int(np.floor(n * (1.0 - split)))
    if cut in (0, n):
        raise ValueError(f"fit_validation_split={split} leaves no rows to "
                         f"{'train on' if cut == 0 else 'validate on'} among {n}; use more "
                         "rows or another split.")

    def part(rows: slice) -> tuple:
        return tuple(None if a is None else _take_rows(a, rows) for a in arrays)
    return part(slice(cut)), part(slice(cut, n))


def row_count(X: Any) -> int:
    """Rows of prepared inputs (of the first array of a structure)."""
    import keras

    return len(keras.tree.flatten(X)[0])


def _take_rows(structure: Any, rows: Any) -> Any:
    """The given rows (an index array or a slice) of every array in ``structure``."""
    import keras

    return keras.tree.map_structure(lambda a: a[rows], structure)


def predict(estimator: Any, X: Any, batch_size: int) -> Any:
    """``estimator.model_.predict`` with one batch shape, so it compiles once.

    Keras predicts the last partial batch with its own shape, which on JAX (and
    TensorFlow, or any backend with ``jit_compile``) is one more compilation
    per distinct remainder: each fold of a search has its own. There, the
    remainder is padded to a full batch by repeating its last row, and the
    padding is cut from the output; inference treats rows independently, so
    the real rows' predictions do not change. Eager backends (torch) predict
    as Keras does, since an extra call would only cost time.

    Parameters
    ----------
    estimator : KerasEstimator
        A fitted estimator.
    X : array or dict/list of arrays
        Prepared inputs (a structure for multi-input models).
    batch_size : int
        Rows per batch.

    Returns
    -------
    ndarray or structure of ndarrays
        The model's outputs for the rows of ``X``.
    """
    import keras

    n = row_count(X)
    full = n - n % batch_size if _traced(estimator.model_) else n
    parts = []
    with tracked(estimator):
        if full:
            head = X if full == n else _take_rows(X, slice(full))
            parts.append(estimator.model_.predict(head, batch_size=batch_size, verbose=0))
        if n > full:
            # The tail, then its last row again up to a whole batch.
            tail = _take_rows(X, np.r_[full:n, np.full(full + batch_size - n, n - 1)])
            # Not predict_on_batch: it traces the step with other argument structures,
            # which on JAX is one more compilation.
            out = estimator.model_.predict(tail, batch_size=batch_size, verbose=0)
            parts.append(_take_rows(out, slice(n - full)))
    if len(parts) == 1:
        return parts[0]
    return keras.tree.map_structure(lambda *a: np.concatenate(a), *parts)
