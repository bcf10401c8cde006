"""Custom optimizers, losses and metrics usable by name, and name resolution.

Strings given to ``compile_optimizer``, ``compile_loss`` and
``compile_metrics`` resolve through these registries first, then through
Keras. An unknown name raises with the close matches, instead of Keras's
generic "could not interpret" error deep inside ``compile``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from kerasnip._compat import keras_objects
from kerasnip._utils import did_you_mean, format_choices

_OPTIMIZERS: dict[str, Callable[..., Any]] = {}
_LOSSES: dict[str, Callable[..., Any]] = {}
_METRICS: dict[str, Callable[..., Any]] = {}

# Metric names Keras's compile understands without a metric object.
_SPECIAL_METRICS = ("accuracy", "acc", "crossentropy", "ce")


def _check_name(kind: str, name: object) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"A {kind} name must be a non-empty string, got {name!r}.")
    return name


def register_keras_optimizer(name: str, optimizer: Callable[..., Any]) -> None:
    """Make an optimizer usable by name in ``compile_optimizer`` and tuning grids.

    Parameters
    ----------
    name : str
        The name users will write, e.g. ``"adamw_warmup"``.
    optimizer : callable
        A ``keras.optimizers.Optimizer`` subclass or a factory returning an
        optimizer instance. It is called with ``learning_rate=learn_rate``
        when the estimator's ``learn_rate`` is set, and with no argument
        otherwise. Saved models using it (``est.save``, pickles) reload when
        the same name is registered; a factory returning an instance of a
        custom class also needs ``keras.saving.register_keras_serializable``
        on that class.

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
    >>> kerasnip.register_keras_optimizer(
    ...     "sgd_momentum",
    ...     lambda learning_rate=0.01: keras.optimizers.SGD(learning_rate, momentum=0.9))
    >>> est = reg(compile_optimizer="sgd_momentum", learn_rate=0.05, fit_epochs=1).fit(X, y)
    >>> type(est.model_.optimizer).__name__
    'SGD'
    """
    if not callable(optimizer):
        raise TypeError(f"optimizer must be a class or factory, got {optimizer!r}.")
    _OPTIMIZERS[_check_name("optimizer", name)] = optimizer


def register_keras_loss(name: str, loss: Callable[..., Any]) -> None:
    """Make a loss usable by name in ``compile_loss`` and tuning grids.

    Parameters
    ----------
    name : str
        The name users will write.
    loss : callable
        A loss function ``loss(y_true, y_pred)`` or a ``keras.losses.Loss``
        instance. Saved models using it (``est.save``, pickles) reload when
        the same name is registered again before loading.

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
    >>> def half_mse(y_true, y_pred):
    ...     return 0.5 * keras.ops.mean((y_true - y_pred) ** 2)
    >>> kerasnip.register_keras_loss("half_mse", half_mse)
    >>> est = reg(compile_loss="half_mse", fit_epochs=1).fit(X, y)
    >>> est.history_.columns.tolist()
    ['epoch', 'loss', 'mean_absolute_error']
    """
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {loss!r}.")
    _LOSSES[_check_name("loss", name)] = loss


def register_keras_metric(name: str, metric: Callable[..., Any]) -> None:
    """Make a metric usable by name in ``compile_metrics``.

    Parameters
    ----------
    name : str
        The name users will write.
    metric : callable
        A metric function ``metric(y_true, y_pred)`` or a
        ``keras.metrics.Metric`` instance. Saved models using it reload when
        the same name is registered again before loading.

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
    >>> def max_error(y_true, y_pred):
    ...     return keras.ops.max(keras.ops.abs(y_true - y_pred))
    >>> kerasnip.register_keras_metric("max_error", max_error)
    >>> est = reg(compile_metrics=["max_error"], fit_epochs=1).fit(X, y)
    >>> est.history_.columns.tolist()
    ['epoch', 'loss', 'max_error']
    """
    if not callable(metric):
        raise TypeError(f"metric must be callable, got {metric!r}.")
    _METRICS[_check_name("metric", name)] = metric


def registered_optimizers() -> dict[str, Callable[..., Any]]:
    """A copy of the optimizer registry (name -> factory)."""
    return dict(_OPTIMIZERS)


def registered_losses() -> dict[str, Callable[..., Any]]:
    """A copy of the loss registry (name -> loss)."""
    return dict(_LOSSES)


def registered_metrics() -> dict[str, Callable[..., Any]]:
    """A copy of the metric registry (name -> metric)."""
    return dict(_METRICS)


def tables() -> dict[str, dict[str, Callable[..., Any]]]:
    """The registries by the kind names saved files use: optimizer, loss, metric.

    Returns
    -------
    dict of str to dict
        Kind -> {registered name: object}, copies of the registries.
    """
    return {"optimizer": registered_optimizers(), "loss": registered_losses(),
            "metric": registered_metrics()}


def registered_entry(value: Any) -> tuple[str, str] | None:
    """``(kind, name)`` when ``value`` is itself a registered optimizer/loss/metric.

    Parameters
    ----------
    value : object
        Any value.

    Returns
    -------
    tuple of (str, str) or None
    """
    for kind, table in tables().items():
        for name, obj in table.items():
            if obj is value:
                return kind, name
    return None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_NOT_USABLE_BY_NAME = frozenset(
    {"loss", "loss_function_wrapper", "metric", "mean_metric_wrapper", "mean", "sum",
     "optimizer", "optimizermap", "lossscaleoptimizer", "multioptimizer"}
)


def _lowercase_keys(objects: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        sorted(k for k in objects if k[:1].islower() and k not in _NOT_USABLE_BY_NAME)
    )


@functools.cache
def keras_optimizer_names() -> tuple[str, ...]:
    """Built-in optimizer names accepted by ``keras.optimizers.get``."""
    return _lowercase_keys(keras_objects("optimizers"))


@functools.cache
def keras_loss_names() -> tuple[str, ...]:
    """Built-in loss names (and aliases such as ``"mse"``) accepted by Keras."""
    return _lowercase_keys(keras_objects("losses"))


@functools.cache
def keras_metric_names() -> tuple[str, ...]:
    """Built-in metric names accepted by ``compile(metrics=...)``."""
    return tuple(sorted(set(_SPECIAL_METRICS) | set(_lowercase_keys(keras_objects("metrics")))))


def optimizer_names() -> list[str]:
    """Every optimizer name usable in ``compile_optimizer`` (registered first)."""
    return list(_OPTIMIZERS) + [n for n in keras_optimizer_names() if n not in _OPTIMIZERS]


def resolve_optimizer(optimizer: Any, learn_rate: float | None) -> Any:
    """Turn ``compile_optimizer`` and ``learn_rate`` into what ``compile`` takes.

    Names build a fresh optimizer (with ``learn_rate`` when set). An
    optimizer instance is used as is; ``learn_rate`` is then an error because
    it would be silently ignored.
    """
    if isinstance(optimizer, str):
        kwargs = {} if learn_rate is None else {"learning_rate": float(learn_rate)}
        if optimizer in _OPTIMIZERS:
            return _OPTIMIZERS[optimizer](**kwargs)
        key = optimizer.lower()
        if key not in keras_optimizer_names():
            raise ValueError(
                f"Unknown optimizer {optimizer!r}.{did_you_mean(key, optimizer_names())} "
                f"Known optimizers: {format_choices(optimizer_names(), limit=20)}. "
                "Register your own with kerasnip.register_keras_optimizer(name, fn)."
            )
        return keras_objects("optimizers")[key](**kwargs)
    if isinstance(optimizer, type):
        return optimizer() if learn_rate is None else optimizer(learning_rate=float(learn_rate))
    if learn_rate is not None:
        raise ValueError(
            "learn_rate is set but compile_optimizer is an optimizer instance; set the "
            "learning rate on the instance, or give the optimizer by name."
        )
    return optimizer


def resolve_loss(loss: Any) -> Any:
    """Resolve a loss name (registered names first) and check it exists."""
    if isinstance(loss, dict):
        return {key: resolve_loss(value) for key, value in loss.items()}
    if isinstance(loss, (list, tuple)):
        return [resolve_loss(value) for value in loss]
    if not isinstance(loss, str):
        return loss
    if loss in _LOSSES:
        return _LOSSES[loss]
    if loss not in keras_loss_names():
        choices = list(_LOSSES) + list(keras_loss_names())
        raise ValueError(
            f"Unknown loss {loss!r}.{did_you_mean(loss, choices)} Known losses include "
            f"{format_choices(choices, limit=15)}. Register your own with "
            "kerasnip.register_keras_loss(name, fn)."
        )
    return loss


def resolve_metrics(metrics: Any) -> Any:
    """Resolve metric names (registered names first) and check they exist."""
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {key: resolve_metrics(value) for key, value in metrics.items()}
    if isinstance(metrics, (list, tuple)):
        return [resolve_metrics(m) if isinstance(m, (list, tuple, dict)) else _metric(m)
                for m in metrics]
    # compile() wants a list at the top level; ``compile_metrics="accuracy"`` is
    # too natural (and too common in grids) to reject.
    return [_metric(metrics)]


def _metric(metric: Any) -> Any:
    if not isinstance(metric, str):
        return metric
    if metric in _METRICS:
        return _METRICS[metric]
    if metric not in keras_metric_names():
        choices = list(_METRICS) + list(keras_metric_names())
        raise ValueError(
            f"Unknown metric {metric!r}.{did_you_mean(metric, choices)} Known metrics include "
            f"{format_choices(choices, limit=15)}. Register your own with "
            "kerasnip.register_keras_metric(name, fn)."
        )
    return metric


def loss_name(loss: Any) -> str:
    """A snake_case name for a loss given as a string, function or ``Loss`` object."""
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return _snake(name) if any(c.isupper() for c in name) else name
