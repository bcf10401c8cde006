"""The scikit-learn estimators behind every generated spec.

One template, skorch-style, each step a small method a subclass can override::

    fit -> initialize (reuse a compiled model, or clear_session, build_model,
                       compile_model) -> fit_loop

Parameters are routed by prefix in one place (:meth:`KerasEstimator.routed_params`):
``compile_*`` to ``keras.Model.compile``, ``fit_*`` to ``keras.Model.fit``, the
rest to the blocks.
"""

from __future__ import annotations

import contextlib
import copy
import random
import time
from collections.abc import Iterator, Mapping
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
)

from kerasnip import config, data, registry, reuse
from kerasnip.build import BuildError, build_model
from kerasnip.spec import SpecDefinition, SpecMeta, check_parameter_names
from kerasnip.tuning.markers import tune

_SEED_SPAN = 2**31


class NotTunedError(ValueError):
    """A parameter is still marked with ``tune()`` when the model is fitted."""


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
    keras_random = _swap_keras_python_random(random.Random(seed))
    try:
        yield
    finally:
        _swap_keras_python_random(keras_random)
        random.setstate(py_state)
        np.random.set_state(np_state)
        if torch is not None:
            torch.random.set_rng_state(torch_state)


def _swap_keras_python_random(replacement: Any) -> Any:
    """Set the ``random`` module Keras draws default seeds from; return the previous one."""
    from keras.src.random import seed_generator

    previous = getattr(seed_generator, "python_random", None)
    if previous is not None and replacement is not None:
        seed_generator.python_random = replacement
    return previous


def _torch_if_backend() -> Any:
    import keras

    if keras.backend.backend() != "torch":
        return None
    import torch

    return torch


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _check_fit_numbers(params: dict[str, Any]) -> None:
    """Catch mistyped epochs, batch sizes and split fractions before Keras's opaque errors."""
    epochs, batch_size = params.get("fit_epochs"), params.get("fit_batch_size")
    split = params.get("fit_validation_split")
    if epochs is not None and not (_is_int(epochs) and epochs >= 0):
        raise ValueError(f"fit_epochs must be a non-negative integer, got {epochs!r}.")
    if batch_size is not None and not (_is_int(batch_size) and batch_size > 0):
        raise ValueError(f"fit_batch_size must be a positive integer, got {batch_size!r}.")
    if split is not None and not (
        isinstance(split, Real) and not isinstance(split, bool) and 0 <= split < 1
    ):
        raise ValueError(
            f"fit_validation_split must be a fraction in [0, 1) of the rows to hold out, "
            f"got {split!r}."
        )


def _fresh_callbacks(callbacks: Any) -> list[Any]:
    """Deep copies of ``fit_callbacks``, so no state (best weights, wait counters,
    the attached model) carries over from one fit, or one clone, to the next."""
    if not isinstance(callbacks, (list, tuple)):
        callbacks = [callbacks]
    fresh = []
    for callback in callbacks:
        try:
            fresh.append(copy.deepcopy(callback))
        except Exception as exc:
            raise TypeError(
                f"fit_callbacks are copied for every fit so that no state leaks between fits, "
                f"but {callback!r} cannot be deep-copied ({type(exc).__name__}: {exc}). Give "
                "the callback only copyable attributes (e.g. open files in on_train_begin)."
            ) from exc
    return fresh


class KerasEstimator(BaseEstimator, metaclass=SpecMeta):
    """Base class of generated estimators; use a spec factory to make one.

    Subclasses are generated by :func:`kerasnip.create_keras_sequential_spec`
    and :func:`kerasnip.create_keras_functional_spec`, which set
    ``kerasnip_spec`` and an explicit ``__init__``.
    """

    kerasnip_spec: ClassVar[SpecDefinition | None] = None
    _default_metrics: ClassVar[list[str]]

    # ------------------------------------------------------------------ params

    def set_params(self, **params: Any) -> KerasEstimator:
        """Set parameters, with a "did you mean" hint for unknown names.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self
        """
        check_parameter_names(type(self), params)
        return super().set_params(**params)

    def routed_params(self) -> dict[str, dict[str, Any]]:
        """Split the parameters by destination: ``compile``, ``fit``, ``model``.

        ``None`` values are dropped from ``compile`` and ``fit`` so Keras's own
        defaults apply.
        """
        routed: dict[str, dict[str, Any]] = {"compile": {}, "fit": {}, "model": {}}
        params = self.get_params()
        for p in self._spec().parameters:
            value = params[p.name]
            if p.role in ("compile", "fit"):
                if value is not None:
                    routed[p.role][p.arg] = value
            elif p.role in ("num", "block"):
                routed["model"][p.name] = value
        return routed

    @classmethod
    def _spec(cls) -> SpecDefinition:
        if cls.kerasnip_spec is None:
            raise TypeError(
                f"{cls.__name__} is a base class; create an estimator class with "
                "kerasnip.create_keras_sequential_spec(...) or create_keras_functional_spec(...)."
            )
        return cls.kerasnip_spec

    def _validate_params(self) -> None:
        params = self.get_params()
        marked = [name for name, value in params.items() if isinstance(value, tune)]
        if marked:
            raise NotTunedError(
                f"Parameter(s) {marked} are marked with tune(); give them values (e.g. with "
                "kerasnip.finalize(spec, best) or set_params) or tune them with "
                "kerasnip.tune_grid / GridSearchCV before fitting."
            )
        for p in self._spec().parameters:
            if p.role == "num":
                value = params[p.name]
                if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
                    raise ValueError(
                        f"{p.name} must be a non-negative integer (how many times block "
                        f"{p.block!r} is applied; 0 removes it), got {value!r}."
                    )
        if params["learn_rate"] is not None and (
            not isinstance(params["learn_rate"], Real) or params["learn_rate"] <= 0
        ):
            raise ValueError(f"learn_rate must be a positive number, got {params['learn_rate']!r}.")
        _check_fit_numbers(params)

    def _draw_seed(self) -> int | None:
        """The integer seed for one fit (``None`` when ``random_state`` is unset).

        Drawn once per ``fit`` so a ``RandomState`` advances once, as in
        scikit-learn; folded into ``[0, 2**31)`` because some backends reject
        larger seeds.
        """
        state = self.random_state
        if state is None:
            return None
        if isinstance(state, Integral) and not isinstance(state, bool):
            return int(state) % _SEED_SPAN
        if isinstance(state, np.random.RandomState):
            return int(state.randint(_SEED_SPAN))
        raise ValueError(
            f"random_state must be None, an int or a numpy RandomState, got {state!r}."
        )

    def _epoch_seed(self) -> int | None:
        """The seed for the next training run: later ``partial_fit`` epochs shuffle anew."""
        return None if self.seed_ is None else (self.seed_ + len(self.history_)) % _SEED_SPAN

    # ------------------------------------------------------------------ template

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> KerasEstimator:
        """Build, compile and train the Keras model.

        Parameters
        ----------
        X : array-like or DataFrame
            Training inputs: an array of any rank ``(n, ...)``, a DataFrame of
            numeric columns, or a DataFrame with one array-valued column.
        y : array-like
            Labels (classification) or numeric targets (regression).
        sample_weight : array-like of shape (n,), optional
            Per-sample weights passed to ``keras.Model.fit``.

        Returns
        -------
        self
        """
        self._require_y(y)
        self._validate_params()
        self.seed_ = self._draw_seed()
        X = self._prepare_features(X, reset=True)
        self._check_lengths(X, y)
        self._learn_targets(y)
        sample_weight = self._sample_weight(sample_weight, X)
        self.initialize(X)
        return self.fit_loop(X, self._encode_targets(y), sample_weight)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, **kwargs: Any):
        """Train one more epoch on the current model (building it on the first call).

        Parameters
        ----------
        X : array-like or DataFrame
            Training inputs.
        y : array-like
            Targets.
        sample_weight : array-like of shape (n,), optional
            Per-sample weights.
        **kwargs : dict
            ``classes=`` for classifiers (all labels, needed on the first call
            if a batch may miss some).

        Returns
        -------
        self
        """
        self._require_y(y)
        first_call = not hasattr(self, "model_")
        if first_call:
            self._validate_params()
            self.seed_ = self._draw_seed()
        X = self._prepare_features(X, reset=first_call)
        self._check_lengths(X, y)
        if first_call:
            self._learn_targets(y, **kwargs)
            self.initialize(X)
        sample_weight = self._sample_weight(sample_weight, X)
        return self.fit_loop(X, self._encode_targets(y), sample_weight, epochs=1)

    def _require_y(self, y: Any) -> None:
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None. "
                "Pass the labels (classification) or targets (regression) to fit."
            )

    def initialize(self, X: Any) -> KerasEstimator:
        """Re-initialise a reusable compiled model, or build and compile a fresh one.

        A model compiled earlier for the same configuration (this estimator's
        previous fit, or an idle one left by a collected estimator) is reset to
        the state a fresh build with this fit's seed would have; otherwise the
        previous Keras session is cleared and a new model is built and compiled
        (see :mod:`kerasnip.reuse`).

        Parameters
        ----------
        X : array
            Prepared training inputs (their shape is recorded in ``input_shape_``).

        Returns
        -------
        self
        """
        config.enable_jax_compilation_cache()
        # A compiled model of the same configuration is re-initialised rather than
        # rebuilt: compiling costs far more than a small fit (kerasnip.reuse).
        if not reuse.reinitialize(self):
            reuse.clear_session()
            with seeded(self.seed_):
                model = self.build_model()
                self._check_model_output(model)
                self.compile_model(model)
            self.model_ = model
            reuse.adopt(self)
        self.history_ = pd.DataFrame()
        return self

    def build_model(self) -> Any:
        """Apply the blocks with this estimator's parameters.

        Returns
        -------
        keras.Model
            The uncompiled model.
        """
        return build_model(self._spec(), self.routed_params()["model"], self._injected())

    def compile_model(self, model: Any) -> None:
        """Compile ``model`` with the ``compile_*`` parameters and kerasnip's defaults.

        Parameters
        ----------
        model : keras.Model
            The freshly built model.
        """
        kwargs = self.routed_params()["compile"]
        kwargs["optimizer"] = registry.resolve_optimizer(
            kwargs.get("optimizer", "adam"), self.learn_rate
        )
        loss, metrics = self._loss_and_metrics(model, kwargs.get("loss"), kwargs.get("metrics"))
        kwargs["loss"] = registry.resolve_loss(loss)
        kwargs["metrics"] = registry.resolve_metrics(metrics)
        model.compile(**kwargs)

    def _loss_and_metrics(self, model: Any, loss: Any, metrics: Any) -> tuple[Any, Any]:
        """``compile_loss`` / ``compile_metrics``, or kerasnip's defaults where unset."""
        return (self._default_loss(self._output_units(model)) if loss is None else loss,
                list(self._default_metrics) if metrics is None else metrics)

    @staticmethod
    def _output_units(model: Any) -> int:
        return int(model.outputs[0].shape[-1])

    def fit_loop(self, X: Any, y: Any, sample_weight: Any = None,
                 epochs: int | None = None) -> KerasEstimator:
        """Run ``keras.Model.fit`` and record the history.

        Parameters
        ----------
        X, y : arrays
            Prepared training data.
        sample_weight : array or None
            Per-sample weights.
        epochs : int, optional
            Overrides ``fit_epochs`` (``partial_fit`` trains one epoch).

        Returns
        -------
        self
        """
        kwargs = self._fit_kwargs()
        class_weight = kwargs.pop("class_weight", None)
        if class_weight is not None:
            # Keras refuses class_weight together with sample_weight; as per-sample
            # weights the two simply multiply.
            sample_weight = self._class_sample_weight(class_weight, y, sample_weight)
        if epochs is not None:
            kwargs["epochs"] = epochs
        started = time.perf_counter()
        seed = self._epoch_seed()
        with seeded(seed):
            history = reuse.fit(
                self, X, y, seed, sample_weight=sample_weight, verbose=self.verbose, **kwargs
            )
        self.fit_time_ = time.perf_counter() - started
        self._record_history(history.history)
        # A reference (no copy) for kerasnip.intervals, which computes its posterior
        # lazily from the last fit's data; the count tells it when a cached one is stale.
        self._fit_data = (X, y, sample_weight)
        self._fit_count = getattr(self, "_fit_count", 0) + 1
        return self

    def _fit_kwargs(self) -> dict[str, Any]:
        kwargs = self.routed_params()["fit"]
        if "callbacks" in kwargs:
            kwargs["callbacks"] = _fresh_callbacks(kwargs["callbacks"])
        if "validation_data" in kwargs:
            kwargs["validation_data"] = self._validation_data(kwargs["validation_data"])
        return kwargs

    def _validation_data(self, validation_data: Any) -> tuple[Any, ...]:
        """Prepare ``fit_validation_data`` exactly like the training data."""
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "fit_validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                f"sample_weight_val), got {type(validation_data).__name__}"
                + (f" of length {len(validation_data)}" if isinstance(
                    validation_data, (tuple, list)) else "")
                + ". Or use fit_validation_split=0.2 to hold out part of the training data."
            )
        prepared = self._prepare_fitted_data(*validation_data)
        return prepared if len(validation_data) == 3 else prepared[:2]

    def _class_sample_weight(self, class_weight: Any, y: np.ndarray,
                             sample_weight: np.ndarray | None) -> np.ndarray:
        raise ValueError(
            "fit_class_weight applies to classifiers only; use fit(X, y, sample_weight=...) "
            "to weight samples in a regression."
        )

    def _record_history(self, logs: dict[str, list[float]]) -> None:
        frame = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in logs.items()})
        start = len(self.history_)
        frame.insert(0, "epoch", np.arange(start + 1, start + len(frame) + 1))
        self.history_ = frame if start == 0 else pd.concat(
            [self.history_, frame], ignore_index=True
        )

    # ------------------------------------------------------------------ data

    def _prepare_features(self, X: Any, reset: bool) -> np.ndarray:
        """Validate X, recording (``reset``) or checking its shape and feature names."""
        from sklearn.utils.validation import validate_data

        X = data.as_feature_array(X)
        if reset:
            X = validate_data(self, X, reset=True, allow_nd=True, dtype="numeric")
            self.input_shape_ = tuple(int(d) for d in X.shape[1:])
            return data.to_float32(X)
        check_is_fitted(self, "model_")
        # Before validate_data, whose "X has 64 features, expecting 8" misleads for images.
        data.check_sample_shape(X, self.input_shape_)
        X = validate_data(self, X, reset=False, allow_nd=True, dtype="numeric")
        return data.to_float32(X)

    def _prepare_fitted_data(self, X: Any, y: Any, sample_weight: Any = None
                             ) -> tuple[Any, Any, np.ndarray | None]:
        """Inputs, encoded targets and weights for the fitted model (evaluation, intervals)."""
        X = self._prepare_features(X, reset=False)
        self._check_lengths(X, y)
        return X, self._encode_targets(y), self._sample_weight(sample_weight, X)

    def _check_lengths(self, X: Any, y: Any) -> None:
        """Prepared X and raw y must have one row per sample (multi-input models override)."""
        check_consistent_length(X, y)

    def _sample_weight(self, sample_weight: Any, X: np.ndarray) -> np.ndarray | None:
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=np.float32)

    def _injected(self) -> dict[str, Any]:
        return {"input_shape": self.input_shape_}

    def _predict_raw(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = self._prepare_features(X, reset=False)
        return np.asarray(reuse.predict(self, X, batch_size=self.fit_batch_size or 32))

    def _check_model_output(self, model: Any) -> None:
        """Subclasses compare the model's output width to the targets."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags

    # ------------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        from kerasnip.persistence import model_to_bytes

        # object.__getstate__ returns the instance's own __dict__: copy it so that
        # pickling does not swap the live estimator's model for bytes.
        state = dict(super().__getstate__())
        state.pop("_fit_data", None)  # training data never travels with a pickle
        if "model_" in state:
            state["model_"] = model_to_bytes(state["model_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from kerasnip.persistence import model_from_bytes

        if isinstance(state.get("model_"), bytes):
            state = {**state, "model_": model_from_bytes(state["model_"])}
        super().__setstate__(state)

    def save(self, path: Any) -> None:
        """Save the fitted estimator to one safe file; read it back with :func:`kerasnip.load`.

        Parameters
        ----------
        path : str, path-like or binary file object
            Where to write: a zip holding the ``.keras`` model and the
            parameters, classes, history and block import paths as JSON (no
            pickle). See :mod:`kerasnip.persistence`.
        """
        from kerasnip.persistence import save_estimator

        save_estimator(self, path)


class KerasClassifier(ClassifierMixin, KerasEstimator):
    """Base class of generated classifiers (see :func:`create_keras_sequential_spec`)."""

    _default_metrics = ["accuracy"]

    def _learn_targets(self, y: Any, classes: Any = None) -> None:
        self.encoder_ = data.ClassEncoder(classes).fit(y)
        self.classes_ = self.encoder_.classes
        self.target_format_ = None  # decided once the model's output width is known

    def _encode_targets(self, y: Any) -> np.ndarray:
        return self.encoder_.encode(y, self.target_format_)

    def _injected(self) -> dict[str, Any]:
        return {**super()._injected(), "num_classes": len(self.classes_)}

    @staticmethod
    def _default_loss(units: int) -> str:
        return "binary_crossentropy" if units == 1 else "categorical_crossentropy"

    def _check_model_output(self, model: Any) -> None:
        self.target_format_ = data.classification_target_format(
            self._output_units(model), len(self.classes_), self.compile_loss
        )

    def _target_indices(self, y: np.ndarray) -> np.ndarray:
        """Class index per sample of an encoded target."""
        if self.target_format_ == "onehot":
            return y.argmax(axis=1)
        return y.reshape(-1).astype(int)

    def _class_sample_weight(self, class_weight: Any, y: np.ndarray,
                             sample_weight: np.ndarray | None) -> np.ndarray:
        index = self._target_indices(y)
        per_class = np.ones(len(self.classes_), dtype="float32")
        if isinstance(class_weight, str) and class_weight == "balanced":
            present = np.unique(index)
            per_class[present] = compute_class_weight("balanced", classes=present, y=index)
        elif isinstance(class_weight, Mapping):
            labels = list(class_weight)
            positions = self.encoder_.indices(labels, what="fit_class_weight")
            per_class[positions] = [float(class_weight[label]) for label in labels]
        else:
            raise ValueError(
                "fit_class_weight must be 'balanced' or a dict {label: weight} keyed by the "
                f"labels of y (classes not listed get weight 1), got {class_weight!r}."
            )
        weights = per_class[index]
        return weights if sample_weight is None else weights * sample_weight

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per entry of ``classes_``.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, in the same form as during fit.

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        return data.class_probabilities(self._predict_raw(X), self.target_format_)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, in the type of the labels given to fit.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, in the same form as during fit.

        Returns
        -------
        ndarray of shape (n,)
        """
        proba = self.predict_proba(X)
        return self.encoder_.decode(np.argmax(proba, axis=1))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy on ``(X, y)``; labels not seen in fit are an error, not a miss.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, in the same form as during fit.
        y : array-like
            True labels.
        sample_weight : array-like of shape (n,), optional
            Per-sample weights.

        Returns
        -------
        float
        """
        proba = self.predict_proba(X)
        truth = self.encoder_.indices(self.encoder_.labels(y))
        return float(accuracy_score(truth, np.argmax(proba, axis=1), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class KerasRegressor(RegressorMixin, KerasEstimator):
    """Base class of generated regressors (see :func:`create_keras_sequential_spec`)."""

    _default_metrics = ["mean_absolute_error"]

    def _learn_targets(self, y: Any) -> None:
        self.target_names_ = data.target_column_names(y)
        y = data.regression_targets(y)
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self.y_ndim_ = y.ndim

    def _encode_targets(self, y: Any) -> np.ndarray:
        return data.check_target_width(data.regression_targets(y), self.n_outputs_)

    def _injected(self) -> dict[str, Any]:
        return {**super()._injected(), "num_outputs": self.n_outputs_}

    @staticmethod
    def _default_loss(units: int) -> str:
        return "mean_squared_error"

    def _check_model_output(self, model: Any) -> None:
        units = int(model.outputs[0].shape[-1])
        if units != self.n_outputs_:
            raise BuildError(
                f"The model's output has {units} unit(s) but y has {self.n_outputs_} "
                "column(s). Give the output block a `num_outputs` argument and use it as "
                "the number of units."
            )

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values, shaped like the y given to fit.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, in the same form as during fit.

        Returns
        -------
        ndarray of shape (n,) or (n, n_outputs)
        """
        # float64 like scikit-learn's regressors: residual arithmetic on float32
        # predictions loses digits (MAPIE's conformity-score consistency check fails).
        raw = self._predict_raw(X).astype(np.float64)
        return raw.reshape(-1) if self.y_ndim_ == 1 else raw.reshape(len(raw), -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
