"""Tuning parameters: search-space objects, dials-style constructors and parameter sets.

A *parameter object* describes the values one tuned parameter may take:
:class:`Int` and :class:`Float` are ranges (optionally on a log scale),
:class:`Choice` a list of values. The same three classes serve as block
argument annotations (``units: kerasnip.Int(16, 512, log=True) = 128``), so a
block can carry its own search space.

The constructors named after R's dials package (:func:`num_terms`,
:func:`hidden_units`, :func:`dropout`, :func:`learn_rate`, :func:`epochs`,
:func:`batch_size`, :func:`optimizer_function`, :func:`loss_function_keras`)
return parameter objects with sensible default ranges and a label.

:func:`extract_parameter_set` reads the ``tune()`` markers of a spec and gives
each one a default range from its block-argument annotation or its name;
:meth:`ParameterSet.update` overrides them.
"""

from __future__ import annotations

import builtins
import inspect
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from kerasnip import registry
from kerasnip._utils import did_you_mean, format_choices, python_scalar
from kerasnip.markers import tune
from kerasnip.pipelines import check_tunable, final_step

# --------------------------------------------------------------------------- parameter objects


class Param:
    """Base class of parameter objects (:class:`Int`, :class:`Float`, :class:`Choice`)."""

    label: str | None

    def regular(self, levels: int) -> list[Any]:
        """``levels`` evenly spaced values (on the log scale for ``log=True``)."""
        raise NotImplementedError

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map points of [0, 1) to values; uniform points give uniform (or log-uniform) values."""
        raise NotImplementedError

    def sample(self, n: int, rng: np.random.Generator) -> list[Any]:
        """``n`` values drawn at random."""
        return self.from_unit(rng.random(n))

    def to_distribution(self) -> Any:
        """A ``scipy.stats`` distribution (or a list) for ``RandomizedSearchCV``."""
        raise NotImplementedError

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        """Values as model inputs: ``(n, width)`` numbers in [0, 1].

        A range is one column on its own scale (log for ``log=True``), 0 at
        ``low`` and 1 at ``high``; a :class:`Choice` is one-hot. Used by
        :func:`kerasnip.tune_bayes`'s Gaussian process.
        """
        raise NotImplementedError

    def suggest(self, trial: Any, name: str) -> Any:
        """A value drawn by an Optuna ``trial`` from this search space."""
        raise NotImplementedError

    @property
    def log(self) -> bool:
        return False


class _Range(Param):
    """A numeric range ``[low, high]``, uniform or log-uniform."""

    _kind = "number"

    def __init__(self, low: float, high: float, *, log: bool = False, label: str | None = None):
        for bound, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
                raise TypeError(
                    f"{type(self).__name__}() {bound} must be a finite {self._kind}, got {value!r}."
                )
        if low > high:
            raise ValueError(
                f"{type(self).__name__}() needs low <= high, got low={low!r}, high={high!r}."
            )
        if log and low <= 0:
            raise ValueError(
                f"{type(self).__name__}(log=True) needs a positive low end, got {low!r}."
            )
        self.low, self.high, self._log, self.label = low, high, bool(log), label

    @property
    def log(self) -> bool:
        return self._log

    def _transform(self, value: float) -> float:
        return math.log(value) if self._log else float(value)

    def _untransform(self, values: np.ndarray) -> np.ndarray:
        return np.exp(values) if self._log else values

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        lo, hi = self._transform(self.low), self._transform(self.high)
        scaled = np.array([self._transform(v) for v in values], float) - lo
        return (scaled / (hi - lo) if hi > lo else np.zeros_like(scaled))[:, None]

    def suggest(self, trial: Any, name: str) -> Any:
        method = trial.suggest_int if isinstance(self, Int) else trial.suggest_float
        return method(name, self.low, self.high, log=self._log)

    def with_range(self, low: float, high: float) -> _Range:
        """The same kind of parameter (scale and label) over a new range."""
        return type(self)(low, high, log=self._log, label=self.label)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (other.low, other.high, other.log, other.label) == (
            self.low, self.high, self.log, self.label)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.low, self.high, self.log, self.label))

    def __repr__(self) -> str:
        extra = ", log=True" if self._log else ""
        if self.label:
            extra += f", label={self.label!r}"
        return f"{type(self).__name__}({self.low!r}, {self.high!r}{extra})"


class Int(_Range):
    """An integer range ``[low, high]`` (both ends included).

    Parameters
    ----------
    low, high : int
        The smallest and largest value.
    log : bool, default=False
        Space values evenly on the log scale (e.g. batch sizes, wide unit
        ranges).
    label : str, default=None
        A readable name used in plots.

    Examples
    --------
    >>> kerasnip.Int(16, 512, log=True).regular(3)
    [16, 91, 512]

    As a block argument's annotation, the default search space of a ``tune()``
    marker on that argument:

    >>> def dense_block(model, units: kerasnip.Int(16, 512, log=True) = 128):
    ...     ...
    """

    _kind = "integer"
    low: int
    high: int

    def __init__(self, low: int, high: int, *, log: bool = False, label: str | None = None):
        for bound, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, Integral):
                raise TypeError(f"Int() {bound} must be an integer, got {value!r}; "
                                "use Float() for a real-valued range.")
        super().__init__(int(low), int(high), log=log, label=label)

    def regular(self, levels: int) -> list[int]:
        values = _spaced(self._transform(self.low), self._transform(self.high), levels)
        return _unique([int(v) for v in np.rint(self._untransform(values))])

    def from_unit(self, u: np.ndarray) -> list[int]:
        # Stretch to [low, high + 1) and floor, so each integer gets an equal
        # share (equal on the log scale for log=True) including both ends.
        lo, hi = self._transform(self.low), self._transform(self.high + 1)
        values = np.floor(self._untransform(lo + np.asarray(u) * (hi - lo)))
        return [int(v) for v in np.clip(values, self.low, self.high)]

    def to_distribution(self) -> Any:
        from scipy import stats

        if self._log:
            return _IntegerLogUniform(self.low, self.high)
        return stats.randint(self.low, self.high + 1)


class Float(_Range):
    """A real-valued range ``[low, high]``.

    Parameters
    ----------
    low, high : float
        The range's ends.
    log : bool, default=False
        Space values evenly on the log scale (learning rates, regularisation).
    label : str, default=None
        A readable name used in plots.

    Examples
    --------
    >>> kerasnip.Float(0.0, 0.5).regular(3)
    [0.0, 0.25, 0.5]
    >>> kerasnip.Float(1e-4, 1e-2, log=True).regular(3)
    [0.0001, 0.001, 0.01]
    """

    def regular(self, levels: int) -> list[float]:
        values = _spaced(self._transform(self.low), self._transform(self.high), levels)
        # Round away float noise (0.30000000000000004, exp(log(x)) != x) so
        # grids print and compare cleanly.
        return _unique([float(f"{v:.12g}") for v in self._untransform(values)])

    def from_unit(self, u: np.ndarray) -> list[float]:
        lo, hi = self._transform(self.low), self._transform(self.high)
        values = self._untransform(lo + np.asarray(u) * (hi - lo))
        return [float(v) for v in np.clip(values, self.low, self.high)]

    def to_distribution(self) -> Any:
        from scipy import stats

        if self._log:
            return stats.loguniform(self.low, self.high)
        return stats.uniform(self.low, self.high - self.low)


class Choice(Param):
    """A finite set of values (strings, numbers, ``None``, ...).

    Parameters
    ----------
    *values
        The values, given one by one or as a single list/tuple.
    label : str, default=None
        A readable name used in plots.

    Examples
    --------
    >>> Choice("relu", "tanh")
    Choice('relu', 'tanh')
    >>> Choice([32, 64, 128])
    Choice(32, 64, 128)
    """

    def __init__(self, *values: Any, label: str | None = None):
        if len(values) == 1 and isinstance(values[0], (list, tuple, np.ndarray)):
            values = tuple(values[0])
        if not values:
            raise ValueError("Choice() needs at least one value.")
        values = tuple(python_scalar(v) for v in values)
        self.values = _unique(values)
        self.label = label

    def regular(self, levels: int) -> list[Any]:
        # A qualitative parameter always contributes all of its values.
        return list(self.values)

    def from_unit(self, u: np.ndarray) -> list[Any]:
        index = np.minimum((np.asarray(u) * len(self.values)).astype(int), len(self.values) - 1)
        return [self.values[i] for i in index]

    def to_distribution(self) -> list[Any]:
        return list(self.values)

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        index = [self.values.index(python_scalar(v)) for v in values]
        return np.eye(len(self.values))[index]

    def suggest(self, trial: Any, name: str) -> Any:
        # Optuna stores choices itself and takes only None, bool, int, float and str:
        # other values are suggested by position.
        if all(v is None or isinstance(v, (bool, int, float, str)) for v in self.values):
            return trial.suggest_categorical(name, list(self.values))
        return self.values[trial.suggest_categorical(name, list(range(len(self.values))))]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (other.values, other.label) == (
            self.values, self.label)

    def __hash__(self) -> int:
        return hash(("Choice", self.values, self.label))

    def __repr__(self) -> str:
        shown = ", ".join(repr(v) for v in self.values)
        return f"Choice({shown}{f', label={self.label!r}' if self.label else ''})"


class _IntegerLogUniform:
    """Integers drawn log-uniformly from ``[low, high]`` (scipy has no such distribution)."""

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def rvs(self, size: Any = None, random_state: Any = None) -> Any:
        from scipy import stats

        draws = stats.loguniform(self.low, self.high + 1).rvs(size=size, random_state=random_state)
        values = np.clip(np.floor(draws), self.low, self.high).astype(int)
        return int(values) if np.ndim(values) == 0 else values

    def __repr__(self) -> str:
        return f"integer log-uniform on [{self.low}, {self.high}]"


def _spaced(low: float, high: float, levels: int) -> np.ndarray:
    if isinstance(levels, bool) or not isinstance(levels, Integral) or levels < 1:
        raise ValueError(f"levels must be a positive integer, got {levels!r}.")
    return np.linspace(low, high, int(levels))


def _unique(values: Sequence[Any]) -> Any:
    seen: list[Any] = []
    for v in values:
        if not any(v == s and type(v) is type(s) for s in seen):
            seen.append(v)
    return type(values)(seen) if isinstance(values, tuple) else seen


# ------------------------------------------------------------------- dials-style constructors


def _bounds(range: Any, what: str, *, minimum: int | None = None) -> tuple[Any, Any]:
    if not isinstance(range, (tuple, list)) or len(range) != 2:
        raise TypeError(f"{what}() takes a range (low, high), got {range!r}.")
    low, high = (python_scalar(v) for v in range)
    if minimum is not None and isinstance(low, Integral) and low < minimum:
        raise ValueError(f"{what}() must be at least {minimum}, got {low}.")
    return low, high


def num_terms(range: tuple[int, int] = (1, 3)) -> Int:
    """How many times a block is repeated (the default for ``num_*`` parameters).

    Parameters
    ----------
    range : (int, int), default=(1, 3)
        Smallest and largest count; 0 removes the block.

    Returns
    -------
    Int

    Examples
    --------
    >>> kerasnip.num_terms()
    Int(1, 3, label='# Block Repeats')
    >>> kerasnip.num_terms((0, 2)).regular(3)
    [0, 1, 2]
    """
    low, high = _bounds(range, "num_terms", minimum=0)
    return Int(low, high, label="# Block Repeats")


def hidden_units(range: tuple[int, int] = (16, 256), *, log: bool = False) -> Int:
    """Number of units (or filters) of a layer (the default for ``*units``/``*filters``).

    Parameters
    ----------
    range : (int, int), default=(16, 256)
        Smallest and largest width.
    log : bool, default=False
        Space values evenly on the log scale.

    Returns
    -------
    Int

    Examples
    --------
    >>> kerasnip.hidden_units()
    Int(16, 256, label='# Hidden Units')
    >>> kerasnip.hidden_units((32, 512), log=True).regular(5)
    [32, 64, 128, 256, 512]
    """
    low, high = _bounds(range, "hidden_units", minimum=1)
    return Int(low, high, log=log, label="# Hidden Units")


def dropout(range: tuple[float, float] = (0.0, 0.5)) -> Float:
    """A dropout rate (the default for ``*rate``/``*dropout`` block arguments).

    Parameters
    ----------
    range : (float, float), default=(0.0, 0.5)
        Both ends in [0, 1).

    Returns
    -------
    Float

    Examples
    --------
    >>> kerasnip.dropout()
    Float(0.0, 0.5, label='Dropout Rate')
    >>> kerasnip.dropout((0.1, 0.3)).regular(3)
    [0.1, 0.2, 0.3]
    """
    low, high = _bounds(range, "dropout")
    if not all(isinstance(v, Real) and 0 <= float(v) < 1 for v in (low, high)):
        raise ValueError(f"dropout() rates must lie in [0, 1), got {range!r}.")
    return Float(float(low), float(high), label="Dropout Rate")


def learn_rate(range: tuple[float, float] = (1e-4, 1e-1), *, log: bool = True) -> Float:
    """The optimizer's learning rate (the default for ``learn_rate``).

    Unlike R's dials, the range is given in learning-rate units, not log10.

    Parameters
    ----------
    range : (float, float), default=(1e-4, 1e-1)
        Smallest and largest learning rate.
    log : bool, default=True
        Space values evenly on the log scale.

    Returns
    -------
    Float

    Examples
    --------
    >>> kerasnip.learn_rate()
    Float(0.0001, 0.1, log=True, label='Learning Rate')
    >>> kerasnip.learn_rate().regular(4)
    [0.0001, 0.001, 0.01, 0.1]
    """
    low, high = _bounds(range, "learn_rate")
    return Float(low, high, log=log, label="Learning Rate")


def epochs(range: tuple[int, int] = (10, 100)) -> Int:
    """Number of training epochs (the default for ``fit_epochs``).

    Parameters
    ----------
    range : (int, int), default=(10, 100)

    Returns
    -------
    Int

    Examples
    --------
    >>> kerasnip.epochs()
    Int(10, 100, label='# Epochs')
    >>> kerasnip.epochs((5, 20)).regular(4)
    [5, 10, 15, 20]
    """
    low, high = _bounds(range, "epochs", minimum=1)
    return Int(low, high, label="# Epochs")


def batch_size(range: tuple[int, int] = (16, 256), *, log: bool = True) -> Int:
    """Training batch size (the default for ``fit_batch_size``).

    Parameters
    ----------
    range : (int, int), default=(16, 256)
    log : bool, default=True
        Space values evenly on the log scale (16, 64, 256 for three levels).

    Returns
    -------
    Int

    Examples
    --------
    >>> kerasnip.batch_size()
    Int(16, 256, log=True, label='Batch Size')
    >>> kerasnip.batch_size().regular(3)
    [16, 64, 256]
    """
    low, high = _bounds(range, "batch_size", minimum=1)
    return Int(low, high, log=log, label="Batch Size")


def optimizer_function(values: Sequence[str] = ("adam", "rmsprop", "sgd")) -> Choice:
    """Optimizer names (the default for ``compile_optimizer``).

    Parameters
    ----------
    values : sequence of str, default=("adam", "rmsprop", "sgd")
        Names of Keras optimizers or of optimizers registered with
        :func:`kerasnip.register_keras_optimizer`.

    Returns
    -------
    Choice

    Examples
    --------
    >>> kerasnip.optimizer_function()
    Choice('adam', 'rmsprop', 'sgd', label='Optimizer')
    >>> kerasnip.optimizer_function(["adam", "sgd"]).regular(3)
    ['adam', 'sgd']
    """
    known = registry.optimizer_names()
    registered = registry.registered_optimizers()
    _check_names("optimizer", values, lambda v: v in registered or v.lower() in known, known,
                 "kerasnip.register_keras_optimizer(name, fn)")
    return Choice(list(values), label="Optimizer")


_DEFAULT_LOSSES = {
    "classification": ("categorical_crossentropy", "categorical_focal_crossentropy"),
    "regression": ("mean_squared_error", "mean_absolute_error", "huber"),
}


def loss_function_keras(values: Sequence[str] | None = None, *,
                        mode: str = "classification") -> Choice:
    """Loss names (the default for ``compile_loss``).

    Parameters
    ----------
    values : sequence of str, default=None
        Names of Keras losses or of losses registered with
        :func:`kerasnip.register_keras_loss`. By default a few losses that
        suit ``mode``.
    mode : {"classification", "regression"}, default="classification"
        Chooses the default values.

    Returns
    -------
    Choice

    Examples
    --------
    >>> kerasnip.loss_function_keras()
    Choice('categorical_crossentropy', 'categorical_focal_crossentropy', label='Loss Function')
    >>> kerasnip.loss_function_keras(["mean_squared_error", "huber"], mode="regression")
    Choice('mean_squared_error', 'huber', label='Loss Function')
    """
    if values is None:
        if mode not in _DEFAULT_LOSSES:
            raise ValueError(f"mode must be one of {list(_DEFAULT_LOSSES)}, got {mode!r}.")
        values = _DEFAULT_LOSSES[mode]
    known = list(registry.registered_losses()) + list(registry.keras_loss_names())
    _check_names("loss", values, lambda v: v in known, known,
                 "kerasnip.register_keras_loss(name, fn)")
    return Choice(list(values), label="Loss Function")


def _check_names(kind: str, values: Any, is_known: Any, known: Sequence[str], how: str) -> None:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise TypeError(f"Give the {kind} names as a non-empty list, got {values!r}.")
    for value in values:
        if not isinstance(value, str) or not is_known(value):
            raise ValueError(
                f"Unknown {kind} {value!r}.{did_you_mean(str(value), known)} Known: "
                f"{format_choices(known, limit=20)}. Register your own with {how}."
            )


# --------------------------------------------------------------------------- parameter sets


@dataclass(frozen=True)
class TunedParameter:
    """One ``tune()``-marked parameter of a spec.

    Attributes
    ----------
    id : str
        Its name in grids and results (the ``tune("id")`` id, else ``name``).
    name : str
        The estimator parameter it sets.
    param : Param or None
        Its search space; ``None`` when no range is known yet.
    """

    id: str
    name: str
    param: Param | None

    @property
    def space(self) -> Param:
        """``param``, or a ``ValueError`` when no range is known yet."""
        if self.param is None:
            raise ValueError(f"No range is known for tuned parameter {self.id!r}; give one "
                             f"with params.update({self.id}=(low, high)).")
        return self.param


class ParameterSet:
    """The tuned parameters of a spec and their search spaces.

    Made by :func:`extract_parameter_set`; :meth:`update` returns a new set
    with some search spaces replaced. Iterating gives
    :class:`TunedParameter` entries in the spec's parameter order.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> params = kerasnip.extract_parameter_set(
    ...     mlp(hidden_1_units=kerasnip.tune(), compile_optimizer=kerasnip.tune()))
    >>> params.ids, len(params)
    (['hidden_1_units', 'compile_optimizer'], 2)
    >>> params["hidden_1_units"]
    Int(16, 256, label='# Hidden Units')
    >>> params.to_sklearn(levels=2)
    {'hidden_1_units': [16, 256], 'compile_optimizer': ['adam', 'rmsprop', 'sgd']}
    """

    def __init__(self, entries: Sequence[TunedParameter]):
        self._entries = {e.id: e for e in entries}

    # ------------------------------------------------------------------ access

    @property
    def ids(self) -> list[str]:
        """Column names of grids built from this set."""
        return list(self._entries)

    def names(self) -> dict[str, str]:
        """Mapping id -> estimator parameter name."""
        return {e.id: e.name for e in self}

    def __iter__(self) -> Iterator[TunedParameter]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, id: object) -> bool:
        return id in self._entries

    def __getitem__(self, id: str) -> Param | None:
        return self._entry(id).param

    def _entry(self, id: str) -> TunedParameter:
        try:
            return self._entries[id]
        except KeyError:
            raise KeyError(
                f"No tuned parameter {id!r}.{did_you_mean(id, self._entries)} "
                f"Tuned parameters: {self.ids or 'none (mark some with kerasnip.tune())'}."
            ) from None

    def __repr__(self) -> str:
        if not self._entries:
            return "ParameterSet(no tuned parameters)"
        width = max(len(i) for i in self.ids)
        lines = [f"ParameterSet({len(self)} tuned parameter{'s' * (len(self) != 1)})"]
        for e in self:
            where = "" if e.id == e.name else f"  [{e.name}]"
            shown = repr(e.param) if e.param is not None else "no range known: use .update()"
            lines.append(f"  {e.id:<{width}}  {shown}{where}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ update

    def update(self, **changes: Param | tuple[float, float] | Sequence[Any]) -> ParameterSet:
        """A copy with the search space of some parameters replaced.

        Parameters
        ----------
        **changes
            ``id=`` a parameter object (``hidden_units((64, 256))``,
            ``Float(1e-4, 1e-2, log=True)``), a ``(low, high)`` tuple (keeps
            the current scale and label; integers give an :class:`Int`), or a
            list of explicit values (a :class:`Choice`).

        Returns
        -------
        ParameterSet

        Examples
        --------
        >>> from kerasnip.demo import LAYER_BLOCKS
        >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS,
        ...                                             "classification")
        >>> params = kerasnip.extract_parameter_set(
        ...     mlp(hidden_1_units=kerasnip.tune(), compile_optimizer=kerasnip.tune()))
        >>> params.update(hidden_1_units=(64, 256), compile_optimizer=["adam", "sgd"])
        ParameterSet(2 tuned parameters)
          hidden_1_units     Int(64, 256, label='# Hidden Units')
          compile_optimizer  Choice('adam', 'sgd')
        """
        entries = dict(self._entries)
        for id_, value in changes.items():
            entry = self._entry(id_)
            entries[id_] = TunedParameter(entry.id, entry.name, _as_param(id_, value, entry.param))
        return ParameterSet(list(entries.values()))

    def to_optuna(self, trial: Any) -> dict[str, Any]:
        """One configuration drawn by an Optuna trial: the set as Optuna's search space.

        Each range becomes ``trial.suggest_int`` or ``trial.suggest_float``
        (``log=`` kept), each :class:`Choice` ``trial.suggest_categorical``,
        named by parameter id. Pass the result to :func:`kerasnip.finalize`.

        Parameters
        ----------
        trial : optuna.trial.Trial
            The trial that draws the values.

        Returns
        -------
        dict
            Value by parameter id.

        Examples
        --------
        >>> import optuna                                                 # doctest: +SKIP
        >>> def objective(trial):                                         # doctest: +SKIP
        ...     model = kerasnip.finalize(spec, params.to_optuna(trial))
        ...     return cross_val_score(model, X, y, cv=3).mean()
        >>> optuna.create_study(direction="maximize").optimize(objective, n_trials=20)
        ... # doctest: +SKIP
        """
        self.check_complete()
        return {entry.id: entry.space.suggest(trial, entry.id) for entry in self}

    def check_complete(self) -> None:
        """Raise ``ValueError`` naming every parameter that still has no range."""
        missing = [e for e in self if e.param is None]
        if missing:
            first = missing[0].id
            raise ValueError(
                f"No range is known for tuned parameter(s) {[e.id for e in missing]}. Give one, "
                f"e.g. params.update({first}=(low, high)) or params.update({first}=[value, ...]),"
                " or annotate the block argument (units: kerasnip.Int(16, 256) = 64)."
            )

    # ------------------------------------------------------------------ scikit-learn

    def to_sklearn(self, levels: int | dict[str, int] = 3, *, prefix: str = "") -> dict[str, list]:
        """A ``param_grid`` for :class:`sklearn.model_selection.GridSearchCV`.

        Parameters
        ----------
        levels : int or dict, default=3
            Values per numeric parameter, as in :func:`kerasnip.grid_regular`.
        prefix : str, default=""
            Prepended to every key, e.g. ``"model__"`` for a pipeline step.

        Returns
        -------
        dict of str to list
            Estimator parameter name -> candidate values.
        """
        self.check_complete()
        counts = _levels_by_id(self, levels)
        return {prefix + e.name: e.space.regular(counts[e.id]) for e in self}

    def to_distributions(self, *, prefix: str = "") -> dict[str, Any]:
        """``param_distributions`` for :class:`sklearn.model_selection.RandomizedSearchCV`.

        Parameters
        ----------
        prefix : str, default=""
            Prepended to every key, e.g. ``"model__"`` for a pipeline step.

        Returns
        -------
        dict of str to distribution or list
            ``scipy.stats`` distributions for ranges (log-uniform for
            ``log=True``), lists for choices.
        """
        self.check_complete()
        return {prefix + e.name: e.space.to_distribution() for e in self}


def _levels_by_id(params: ParameterSet, levels: int | dict[str, int]) -> dict[str, int]:
    if isinstance(levels, dict):
        unknown = [k for k in levels if k not in params]
        if unknown:
            hints = "".join(did_you_mean(k, params.ids) for k in unknown)
            raise KeyError(f"levels names unknown parameter(s) {unknown}.{hints} "
                           f"Tuned parameters: {params.ids}.")
        return {i: levels.get(i, 3) for i in params.ids}
    return dict.fromkeys(params.ids, levels)


def _as_param(id_: str, value: Any, current: Param | None) -> Param:
    if isinstance(value, Param):
        return value
    if isinstance(value, tuple):
        if len(value) != 2 or not all(
            isinstance(v, Real) and not isinstance(v, bool) for v in value
        ):
            raise TypeError(
                f"{id_}: a tuple means a (low, high) numeric range, got {value!r}; give "
                "explicit values as a list instead."
            )
        low, high = (python_scalar(v) for v in value)
        if isinstance(current, _Range) and (
            not isinstance(current, Int) or all(isinstance(v, Integral) for v in value)
        ):
            return current.with_range(low, high)
        if all(isinstance(v, Integral) for v in (low, high)):
            return Int(low, high)
        return Float(float(low), float(high))
    if isinstance(value, (list, np.ndarray, builtins.range)):
        return Choice(list(value))
    raise TypeError(
        f"{id_}: expected a parameter object (e.g. kerasnip.hidden_units((64, 256))), a "
        f"(low, high) tuple or a list of values, got {type(value).__name__}: {value!r}."
    )


# --------------------------------------------------------------------------- extraction


def extract_parameter_set(spec: Any) -> ParameterSet:
    """The ``tune()``-marked parameters of a spec, with default search spaces.

    A default comes from the block argument's annotation when it is a
    parameter object (``units: kerasnip.Int(16, 512, log=True) = 128``, also
    inside ``typing.Annotated``), otherwise from the parameter's name:
    ``num_*`` -> :func:`num_terms`, ``*units``/``*filters`` ->
    :func:`hidden_units`, ``*rate``/``*dropout`` -> :func:`dropout`,
    ``learn_rate``, ``fit_epochs`` -> :func:`epochs`, ``fit_batch_size`` ->
    :func:`batch_size`, ``compile_optimizer`` -> :func:`optimizer_function`,
    ``compile_loss`` -> :func:`loss_function_keras`; a boolean block argument
    becomes ``Choice(False, True)``. Other parameters get no range until
    :meth:`ParameterSet.update` gives one.

    Parameters
    ----------
    spec : kerasnip estimator or Pipeline
        An instance of a generated spec, e.g. ``mlp(hidden_units=tune())``, or a
        scikit-learn Pipeline ending in one, whose steps' parameters may be
        marked too (``PCA(n_components=tune())``); their ids are scikit-learn's
        ``step__param`` names. Common preprocessing parameters (``degree``,
        ``n_bins``, ``n_knots``, ``n_neighbors``, ``n_quantiles``, booleans) get
        a default range; others, such as ``n_components``, need ``update``.

    Returns
    -------
    ParameterSet

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), hidden_1_rate=kerasnip.tune("dropout"),
    ...            learn_rate=kerasnip.tune())
    >>> kerasnip.extract_parameter_set(spec)
    ParameterSet(3 tuned parameters)
      hidden_1_units  Int(16, 256, label='# Hidden Units')
      dropout         Float(0.0, 0.5, label='Dropout Rate')  [hidden_1_rate]
      learn_rate      Float(0.0001, 0.1, log=True, label='Learning Rate')
    """
    final = check_tunable(spec, "extract_parameter_set")
    _, prefix = final_step(spec)
    definition = final._spec()
    values = spec.get_params(deep=True)
    found: list[tuple[str, str, Param | None]] = []  # (marker id or "", name, default)
    # Preprocessing steps' parameters first, in pipeline order; the model's in its order.
    for name, value in values.items():
        if isinstance(value, tune) and not name.startswith(prefix):
            found.append((value.id, name, _transformer_param(values, name)))
    for info in definition.parameters:
        marker = values[prefix + info.name]
        if isinstance(marker, tune):
            found.append((marker.id, prefix + info.name, default_param(info, definition)))
    entries: list[TunedParameter] = []
    seen: dict[str, str] = {}
    for marker_id, name, param in found:
        id_ = marker_id or name
        if id_ in seen:
            raise ValueError(
                f"tune({id_!r}) is used for both {seen[id_]!r} and {name!r}; "
                "each tuned parameter needs its own id."
            )
        seen[id_] = name
        entries.append(TunedParameter(id_, name, param))
    return ParameterSet(entries)


#: Default search spaces of common preprocessing parameters, by parameter name.
_TRANSFORMER_RANGES: dict[str, Any] = {
    "degree": lambda: Int(1, 3),  # PolynomialFeatures, SplineTransformer
    "n_knots": lambda: Int(3, 10),  # SplineTransformer
    "n_bins": lambda: Int(3, 10),  # KBinsDiscretizer
    "n_neighbors": lambda: Int(2, 15),  # KNNImputer
    "n_quantiles": lambda: Int(10, 1000, log=True),  # QuantileTransformer
}


def _transformer_param(values: dict[str, Any], name: str) -> Param | None:
    """A default search space for a preprocessing step's parameter ``step__param``: from
    its name, or ``Choice(False, True)`` when the step's own default is a bool. None
    (a range must be given with ``update``) for the others, e.g. PCA's
    ``n_components``, whose sensible range depends on the data. ``values`` is the
    Pipeline's ``get_params(deep=True)``."""
    *path, param = name.split("__")
    if param in _TRANSFORMER_RANGES:
        return _TRANSFORMER_RANGES[param]()
    step = values.get("__".join(path)) if path else None
    try:
        default = inspect.signature(type(step)).parameters[param].default
    except (KeyError, TypeError, ValueError):
        return None
    return Choice(False, True) if isinstance(default, bool) else None


def default_param(info: Any, definition: Any) -> Param | None:
    """The default search space of one generated parameter, or ``None`` if none is known.

    Parameters
    ----------
    info : kerasnip.definition.spec.ParamInfo
        The parameter.
    definition : kerasnip.definition.spec.SpecDefinition
        The spec it belongs to (for its mode).

    Returns
    -------
    Param or None
    """
    if info.role == "block":
        annotated = _annotation_param(info.annotation)
        if annotated is not None:
            return annotated
        if isinstance(info.default, bool):
            return Choice(False, True)
    if info.role == "num":
        return num_terms()
    if info.role == "learn_rate":
        return learn_rate()
    by_name: dict[str, Callable[[], Param]] = {
        "fit_epochs": epochs,
        "fit_batch_size": batch_size,
        "compile_optimizer": optimizer_function,
        "compile_loss": lambda: loss_function_keras(mode=definition.mode),
    }
    if info.name in by_name:
        return by_name[info.name]()
    if info.role == "block":
        arg = info.arg.lower()
        if arg.endswith(("units", "filters")):
            return hidden_units()
        if arg.endswith(("rate", "dropout")):
            return dropout()
    return None


def _annotation_param(annotation: Any) -> Param | None:
    # String annotations were evaluated when the block was introspected
    # (definition.blocks.block_signature).
    if isinstance(annotation, Param):
        return annotation
    for extra in getattr(annotation, "__metadata__", ()):  # typing.Annotated[int, Int(...)]
        if isinstance(extra, Param):
            return extra
    return None
