"""Prediction intervals from a last-layer Laplace approximation.

The network's last ``Dense`` layer maps the penultimate activations ``phi``
(with a constant 1 appended for the bias) to outputs ``z = phi @ W``. Keeping
every other layer at its trained values, the posterior over ``W`` is
approximated by a Gaussian centred on the trained weights with precision
``B ⊗ G + alpha I`` (``vec(W)`` stacks the output columns), where

* ``G = sum_i w_i phi_i phi_i^T`` is the features' (weighted) Gram matrix;
* ``B`` is the curvature of the loss in the outputs: for regression the inverse
  noise covariance (then ``B ⊗ G`` is the exact Gauss-Newton Hessian of a
  Gaussian likelihood); for classification the mean of ``diag(p) - p p^T``
  (softmax) or ``diag(p (1 - p))`` (sigmoid) over the training rows, the
  Kronecker-factored Gauss-Newton approximation;
* ``alpha`` is the prior precision and, for regression, the noise covariance is
  ``tau * S`` with ``S`` the residual covariance. Both are fitted by maximising
  the Laplace approximation of the marginal likelihood.

With ``B = U diag(s) U^T`` and ``G = V diag(g) V^T`` the posterior covariance is
``(U ⊗ V) diag(1 / (s_a g_b + alpha)) (U ⊗ V)^T``, so a predictive covariance is
``U diag(c) U^T`` with ``c_a = sum_b (V^T phi)_b^2 / (s_a g_b + alpha)``: a few
matrix products per row, never the full ``(d k) x (d k)`` matrix.

The posterior is computed on the first interval request from the data of the
last ``fit``/``partial_fit`` call (the estimator keeps a reference to it) and
cached in the estimator's ``laplace_`` attribute until the next fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from sklearn.utils.validation import check_is_fitted

from kerasnip._compat import producing_operation
from kerasnip._utils import did_you_mean
from kerasnip.errors import IntervalsNotAvailableError
from kerasnip.pipelines import unwrap

INTERVAL_TYPES = ("conf_int", "pred_int")
DEFAULT_DRAWS = 1000

# Curvatures below this fraction of the largest one are numerical noise (e.g. the
# softmax's flat direction along (1, ..., 1)).
_EIGEN_FLOOR = 1e-12


# ---------------------------------------------------------------------------- posterior


@dataclass
class HeadPosterior:
    """The Laplace posterior over one output head's last ``Dense`` layer.

    Attributes
    ----------
    name : str or None
        The output's name for multi-output models, ``None`` for a single output.
    task : {"regression", "classification"}
        What the head predicts.
    target_ndim : int
        Regression: 1 for a 1-D target, 2 for an ``(n, k)`` one (names its columns).
    activation : {"linear", "softmax", "sigmoid"}
        The output activation applied to ``phi @ weights``.
    weights : ndarray of shape (p, k)
        The trained weights; the bias is the last row when ``has_bias``.
    has_bias : bool
        Whether the layer has a bias (a constant 1 is appended to the features).
    feature_basis, feature_curvature : ndarray
        Eigenvectors ``V`` (p, p) and eigenvalues ``g`` (p,) of the Gram matrix ``G``.
    output_basis, output_curvature : ndarray
        Eigenvectors ``U`` (k, k) and eigenvalues ``s`` (k,) of the output curvature ``B``.
    prior_precision : float
        ``alpha``, fitted by marginal likelihood.
    noise_cov : ndarray of shape (k, k) or None
        The fitted noise covariance (regression only).
    log_marginal_likelihood : float
        The Laplace approximation of the log evidence at the fitted values.
    """

    name: str | None
    task: str
    target_ndim: int
    activation: str
    weights: np.ndarray
    has_bias: bool
    feature_basis: np.ndarray
    feature_curvature: np.ndarray
    output_basis: np.ndarray
    output_curvature: np.ndarray
    prior_precision: float
    noise_cov: np.ndarray | None
    log_marginal_likelihood: float

    def logits(self, phi: np.ndarray) -> np.ndarray:
        """The pre-activation outputs ``phi @ weights`` (``(n, k)``)."""
        return _design(phi, self.has_bias) @ self.weights

    def epistemic(self, phi: np.ndarray) -> np.ndarray:
        """Per-row variances of the outputs in the ``output_basis`` (``(n, k)``).

        The covariance of row ``i``'s outputs is ``U diag(c_i) U^T``.
        """
        psi = _design(phi, self.has_bias) @ self.feature_basis
        inverse = 1.0 / (
            self.feature_curvature[:, None] * self.output_curvature[None, :] + self.prior_precision
        )
        return np.square(psi) @ inverse

    def noise(self) -> np.ndarray:
        """Noise variances in the ``output_basis`` (``(k,)``); zero for classification."""
        if self.noise_cov is None:
            return np.zeros(len(self.output_curvature))
        return 1.0 / self.output_curvature

    def variance(self, phi: np.ndarray, type: str) -> np.ndarray:
        """Per-row variances in the ``output_basis``: of the mean for ``"conf_int"``, of a
        new observation (adding the noise) for ``"pred_int"`` (``(n, k)``)."""
        c = self.epistemic(phi)
        return c + self.noise()[None, :] if type == "pred_int" else c

    def marginal_variance(self, c: np.ndarray) -> np.ndarray:
        """Per-output variances from variances ``c`` in the ``output_basis``."""
        return c @ np.square(self.output_basis).T

    def draw(self, mean: np.ndarray, c: np.ndarray, n_draws: int,
             rng: np.random.Generator) -> np.ndarray:
        """Draws ``(n_draws, n, k)`` of ``N(mean_i, U diag(c_i) U^T)``, jointly over outputs."""
        eps = rng.standard_normal((n_draws, *mean.shape))
        return mean[None] + (eps * np.sqrt(c)[None]) @ self.output_basis.T


@dataclass
class LaplaceApproximation:
    """The cached last-layer Laplace posterior of a fitted estimator (``est.laplace_``).

    Attributes
    ----------
    heads : list of HeadPosterior
        One posterior per model output.
    fit_count : int
        Which fit of the estimator it belongs to (a later fit invalidates it).
    """

    heads: list[HeadPosterior]
    fit_count: int
    _feature_model: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        # The feature model shares layers with est.model_ and is rebuilt on demand.
        return {**self.__dict__, "_feature_model": None}

    def features(self, est: Any, X: np.ndarray) -> list[np.ndarray]:
        """Penultimate activations (float64) for every head."""
        if self._feature_model is None:
            self._feature_model = _feature_model(est.model_)
        batch_size = getattr(est, "fit_batch_size", None) or 32
        out = self._feature_model.predict(X, batch_size=batch_size, verbose=0)
        out = out if isinstance(out, (list, tuple)) else [out]
        return [np.asarray(phi, dtype=np.float64) for phi in out]


# ---------------------------------------------------------------------------- model structure


@dataclass
class _OutputLayer:
    name: str | None
    dense: Any
    activation: str
    features: Any


def _activation_name(fn: Any) -> str:
    import keras

    name = keras.activations.serialize(fn)  # a string for Keras's own activations
    return name if isinstance(name, str) else str(getattr(fn, "__name__", name))


def _producer(tensor: Any) -> tuple[Any, Any]:
    """The layer that produced a symbolic tensor and that call's input tensor."""
    layer, node = producing_operation(tensor)
    inputs = node.input_tensors
    return layer, inputs[0] if len(inputs) == 1 else None


def _output_layers(model: Any) -> list[_OutputLayer]:
    """Find each output's last ``Dense`` layer and the tensor feeding it."""
    import keras

    output = model.outputs if isinstance(model, keras.Sequential) else model.output
    if isinstance(output, dict):  # multi-output functional models, keyed by output block
        named = list(output.items())
    elif isinstance(output, (list, tuple)) and len(output) > 1:
        named = [(f"output_{i + 1}", tensor) for i, tensor in enumerate(output)]
    else:
        named = [(None, model.outputs[0])]
    found = []
    for name, tensor in named:
        layer, feeding = _producer(tensor)
        activation = None
        if isinstance(layer, (keras.layers.Activation, keras.layers.Softmax)) and (
                feeding is not None):
            activation = "softmax" if isinstance(layer, keras.layers.Softmax) else (
                _activation_name(layer.activation))
            inner, inner_feeding = _producer(feeding)
            if isinstance(inner, keras.layers.Dense) and (
                    _activation_name(inner.activation) == "linear"):
                layer, feeding = inner, inner_feeding
        if not isinstance(layer, keras.layers.Dense) or feeding is None:
            where = "" if name is None else f" of output {name!r}"
            raise IntervalsNotAvailableError(
                f"Intervals not available for this model: the last layer{where} is "
                f"{type(layer).__name__} ({layer.name!r}), not Dense. Laplace intervals need "
                "each output to come from a keras.layers.Dense layer (optionally followed by "
                "an Activation/Softmax layer); for other models use conformal intervals, "
                "e.g. mapie.regression.SplitConformalRegressor around the estimator."
            )
        found.append(_OutputLayer(name, layer, activation or _activation_name(layer.activation),
                                  feeding))
    return found


def _feature_model(model: Any) -> Any:
    import keras

    return keras.Model(model.inputs, [head.features for head in _output_layers(model)])


def _design(phi: np.ndarray, has_bias: bool) -> np.ndarray:
    return np.hstack([phi, np.ones((len(phi), 1))]) if has_bias else phi


def _trained_weights(dense: Any) -> np.ndarray:
    from keras.ops import convert_to_numpy

    # `.value` (the backend array) converts without Keras's Variable.__array__ warning.
    kernel = convert_to_numpy(dense.kernel.value).astype(np.float64)
    if dense.bias is None:
        return kernel
    return np.vstack([kernel, convert_to_numpy(dense.bias.value).astype(np.float64)[None, :]])


# ---------------------------------------------------------------------------- fitting


def _eigh(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    floor = _EIGEN_FLOOR * max(float(values.max()), 0.0)
    return np.clip(values, floor, None), vectors


def _activate(z: np.ndarray, activation: str) -> np.ndarray:
    if activation == "softmax":
        return special.softmax(z, axis=-1)
    if activation == "sigmoid":
        return special.expit(z)
    return z


def _output_curvature(p: np.ndarray, activation: str, w: np.ndarray) -> np.ndarray:
    """The weighted mean over rows of the log-likelihood's Hessian in the logits."""
    share = w / w.sum()
    if activation == "sigmoid":
        return np.diag(share @ (p * (1.0 - p)))
    return np.diag(share @ p) - (p * share[:, None]).T @ p


def _log_likelihood_classes(p: np.ndarray, y: np.ndarray, activation: str,
                            w: np.ndarray) -> float:
    tiny = np.finfo(np.float64).tiny
    if activation == "sigmoid":
        y = y.reshape(p.shape)
        per_row = (y * np.log(p + tiny) + (1 - y) * np.log(1 - p + tiny)).sum(axis=1)
    elif y.ndim == 1:
        per_row = np.log(p[np.arange(len(p)), y.astype(int)] + tiny)
    else:
        per_row = (y * np.log(p + tiny)).sum(axis=1)
    return float(w @ per_row)


def _fit_head(out: _OutputLayer, task: str, target_ndim: int, phi: np.ndarray, y: np.ndarray,
              w: np.ndarray) -> HeadPosterior:
    """Fit one head's posterior: curvatures, then prior precision (and noise) by evidence."""
    if task == "regression" and out.activation != "linear":
        raise IntervalsNotAvailableError(
            f"Intervals not available for this model: the output layer {out.dense.name!r} "
            f"uses a {out.activation!r} activation; Laplace intervals for regression need a "
            "linear output (activation=None)."
        )
    if task == "classification" and out.activation not in ("softmax", "sigmoid"):
        raise IntervalsNotAvailableError(
            f"Intervals not available for this model: the output layer {out.dense.name!r} "
            f"uses a {out.activation!r} activation; class-probability intervals need a "
            "softmax or sigmoid output."
        )
    weights = _trained_weights(out.dense)
    has_bias = out.dense.bias is not None
    X = _design(phi, has_bias)
    g, V = _eigh((X * w[:, None]).T @ X)
    z = X @ weights
    n_params = weights.size
    norm = float(np.sum(np.square(weights)))

    if task == "regression":
        resid = y.reshape(len(z), -1) - z
        n_eff = float(w.sum())
        k = resid.shape[1]
        S = (resid * w[:, None]).T @ resid / n_eff
        S += np.eye(k) * 1e-10 * max(float(np.trace(S)) / k, 1e-30)
        sigma, U = np.linalg.eigh(S)

        def neg_evidence(theta: np.ndarray) -> float:
            alpha, tau = np.exp(theta)
            s = 1.0 / (tau * sigma)
            log_lik = -0.5 * n_eff * (k * np.log(2 * np.pi * tau) + np.sum(np.log(sigma))
                                      + k / tau)
            return -(log_lik - 0.5 * alpha * norm + 0.5 * n_params * np.log(alpha)
                     - 0.5 * np.sum(np.log(np.outer(g, s) + alpha)))

        start = np.array([np.log(n_params / max(norm, 1e-12)), 0.0])
        result = optimize.minimize(neg_evidence, start, method="L-BFGS-B",
                                   bounds=[(-25.0, 25.0), (-15.0, 15.0)])
        alpha, tau = (float(v) for v in np.exp(result.x))
        return HeadPosterior(
            out.name, task, target_ndim, out.activation, weights, has_bias, V, g, U,
            1.0 / (tau * sigma),
            alpha, tau * S, -float(result.fun))

    p = _activate(z, out.activation)
    s, U = _eigh(_output_curvature(p, out.activation, w))
    log_lik = _log_likelihood_classes(p, y, out.activation, w)
    lam = np.outer(g, s)

    def neg_evidence_alpha(log_alpha: float) -> float:
        alpha = np.exp(log_alpha)
        return (0.5 * alpha * norm - 0.5 * n_params * log_alpha
                + 0.5 * np.sum(np.log(lam + alpha)))

    result = optimize.minimize_scalar(neg_evidence_alpha, bounds=(-25.0, 25.0), method="bounded")
    return HeadPosterior(
        out.name, task, target_ndim, out.activation, weights, has_bias, V, g, U, s,
        float(np.exp(result.x)), None, log_lik - float(result.fun))


def _head_kind(est: Any, name: str | None) -> tuple[str, int]:
    """A head's task and (regression) target rank, from the fitted estimator."""
    from sklearn.base import is_classifier

    heads = getattr(est, "heads_", None)
    if isinstance(heads, dict) and name in heads:  # multi-output functional models
        return heads[name].kind, heads[name].ndim
    if is_classifier(est):
        return "classification", 1
    return "regression", est.y_ndim_


def _head_targets(y: Any, outputs: list[_OutputLayer]) -> list[Any]:
    if len(outputs) == 1:
        return [y]
    if isinstance(y, dict):
        return [y[out.name] for out in outputs]
    return list(y)


def fit_laplace(est: Any, X: Any = None, y: Any = None,
                sample_weight: Any = None) -> LaplaceApproximation:
    """Compute (or return the cached) last-layer Laplace posterior of a fitted estimator.

    Called without data it uses the data of the estimator's last ``fit`` or
    ``partial_fit`` call and caches the result in ``est.laplace_`` (recomputed
    after the next fit). With ``X`` and ``y`` it recomputes the posterior from
    that data, e.g. for an estimator loaded from disk (which does not carry its
    training data), or to use the whole training set after ``partial_fit``.

    Parameters
    ----------
    est : KerasRegressor or KerasClassifier
        A fitted kerasnip estimator whose outputs come from Dense layers.
    X, y : array-like, default=None
        Training data, in the same forms ``fit`` accepts.
    sample_weight : array-like of shape (n,), default=None
        Per-row weights (with ``X`` and ``y``).

    Returns
    -------
    LaplaceApproximation

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
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> est = reg(fit_epochs=2, random_state=0).fit(X[:30], X[:30].sum(axis=1))

    Recompute the posterior on held-out rows; the intervals then use it:

    >>> laplace = kerasnip.fit_laplace(est, X[30:], X[30:].sum(axis=1))
    >>> kerasnip.predict_table(est, X[:2], type="pred_int", level=0.9).columns.tolist()
    ['.pred', '.pred_lower', '.pred_upper']
    """
    est, X = unwrap(est, X)
    check_is_fitted(est, "model_")
    fit_count = getattr(est, "_fit_count", 0)
    cached = getattr(est, "laplace_", None)
    if X is None and y is None:
        if isinstance(cached, LaplaceApproximation) and cached.fit_count == fit_count:
            return cached
        fit_data = getattr(est, "_fit_data", None)
        if fit_data is None:
            raise ValueError(
                "The training data needed for the Laplace posterior is not available: an "
                "estimator keeps a reference to it only in the process that fitted it (not "
                "through pickling or kerasnip.load). Call kerasnip.fit_laplace(est, X_train, "
                "y_train) once, then ask for intervals again."
            )
        X_fit, y_fit, weight = fit_data
    elif X is None or y is None:
        raise ValueError("Pass both X and y to fit_laplace (or neither, to use the fit's data).")
    else:
        X_fit, y_fit, weight = est._prepare_fitted_data(X, y, sample_weight)
    outputs = _output_layers(est.model_)
    approx = LaplaceApproximation([], fit_count)
    phis = approx.features(est, X_fit)
    n = len(phis[0])
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64).reshape(n)
    approx.heads = [
        _fit_head(out, *_head_kind(est, out.name), phi, np.asarray(target, dtype=np.float64), w)
        for out, phi, target in zip(outputs, phis, _head_targets(y_fit, outputs), strict=True)
    ]
    est.laplace_ = approx
    return approx


# ---------------------------------------------------------------------------- requests


def _check_request(type: str, level: Any, n_draws: Any) -> None:
    if type not in INTERVAL_TYPES:
        raise ValueError(
            f"Unknown interval type {type!r}; choose one of {list(INTERVAL_TYPES)}."
            + did_you_mean(type, INTERVAL_TYPES)
        )
    if isinstance(level, bool) or not isinstance(level, Real) or not 0 < float(level) < 1:
        raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}.")
    if isinstance(n_draws, bool) or not isinstance(n_draws, Integral) or n_draws < 2:
        raise ValueError(f"n_draws must be an integer of at least 2, got {n_draws!r}.")


def _rng(est: Any, seed: Any) -> np.random.Generator:
    if seed is None:
        state = getattr(est, "random_state", None)
        seed = state if isinstance(state, Integral) and not isinstance(state, bool) else None
    return np.random.default_rng(seed)


def _request(est: Any, X: Any, regression_only: str | None
             ) -> tuple[list[tuple[HeadPosterior, np.ndarray]], pd.Index]:
    """The heads to answer for, with their features of ``X``, and the table's index.

    ``regression_only`` names the request that only regression outputs support.
    """
    approx = fit_laplace(est)
    heads = approx.heads
    if regression_only is not None:
        heads = [head for head in heads if head.task == "regression"]
        if not heads:
            raise ValueError(
                f"{regression_only} is for regression outputs and this model has none; class "
                "probabilities and class indicators have per-class intervals (joint=False)."
            )
    index = X.index if isinstance(X, pd.DataFrame) else None
    phis = approx.features(est, est._prepare_features(X, reset=False))
    by_head = {id(head): phi for head, phi in zip(approx.heads, phis, strict=True)}
    index = pd.RangeIndex(len(phis[0])) if index is None else index
    return [(head, by_head[id(head)]) for head in heads], index


def _class_draws(head: HeadPosterior, phi: np.ndarray, n_draws: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Monte Carlo class probabilities ``(n_draws, n, n_classes)`` from logit draws."""
    probs = _activate(head.draw(head.logits(phi), head.epistemic(phi), n_draws, rng),
                      head.activation)
    if head.activation == "sigmoid" and probs.shape[-1] == 1:
        probs = np.concatenate([1.0 - probs, probs], axis=-1)
    return probs


def _outcome_draws(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One class per probability draw, one-hot: posterior-predictive draws of a new
    observation's class indicators (same shape as ``probs``, values 0.0 and 1.0)."""
    u = rng.random((*probs.shape[:-1], 1))
    chosen = np.minimum((np.cumsum(probs, axis=-1) < u).sum(axis=-1),
                        probs.shape[-1] - 1)  # rounding can leave the last sum below u
    return (chosen[..., None] == np.arange(probs.shape[-1])).astype(np.float64)


@dataclass
class Bounds:
    """The interval of every column of one output, for each row.

    Attributes
    ----------
    head : HeadPosterior
        The output (its ``name``, ``task`` and ``target_ndim``).
    lower, upper : ndarray of shape (n, k)
        The bounds: of each target column (regression), or per class (columns in
        the order of the classes) of its probability (``"conf_int"``) or of a new
        observation's indicator ``1{y = class}`` (``"pred_int"``, 0 or 1).
    mean : ndarray of shape (n, k) or None
        Regression: the centre of the intervals (the model's prediction).
    """

    head: HeadPosterior
    lower: np.ndarray
    upper: np.ndarray
    mean: np.ndarray | None = None


def _regression_bounds(head: HeadPosterior, phi: np.ndarray, type: str, level: float,
                       joint: bool, n_draws: int, rng: np.random.Generator) -> Bounds:
    mean = head.logits(phi)
    c = head.variance(phi, type)
    sd = np.sqrt(head.marginal_variance(c))
    if joint:
        # Simultaneous band over a row's outputs: the `level` quantile of the largest
        # standardised deviation among joint draws (the "max-t" band).
        draws = head.draw(mean, c, n_draws, rng)
        t = np.max(np.abs(draws - mean[None]) / sd[None], axis=2)
        half = np.quantile(t, level, axis=0)[:, None] * sd
    else:
        half = stats.norm.ppf(0.5 + level / 2) * sd
    return Bounds(head, mean - half, mean + half, mean)


def _classification_bounds(head: HeadPosterior, phi: np.ndarray, type: str, level: float,
                           n_draws: int, rng: np.random.Generator) -> Bounds:
    """Per-class bounds, marginal per class.

    ``"conf_int"``: the central ``level`` quantiles of each class's probability over
    the posterior draws. ``"pred_int"``: the central interval of a new observation's
    indicator ``1{y = c}``, which under the posterior predictive is Bernoulli with
    ``pbar_c``, the mean of the probability draws; its quantiles are exact: lower is
    1 when ``pbar_c > (1 + level) / 2`` (else 0), upper is 1 when
    ``pbar_c > (1 - level) / 2`` (else 0). The R package takes the same quantiles of
    Monte Carlo categorical draws (interpolating linearly, so near a threshold its
    bound can fall between 0 and 1); these are their exact values.
    """
    probs = _class_draws(head, phi, n_draws, rng)
    low, high = (1 - level) / 2, (1 + level) / 2
    if type == "pred_int":
        mean = probs.mean(axis=0)
        return Bounds(head, (mean > high).astype(np.float64), (mean > low).astype(np.float64))
    lower, upper = np.quantile(probs, [low, high], axis=0)
    return Bounds(head, lower, upper)


def interval_bounds(est: Any, X: Any, *, type: str, level: float = 0.95,
                    n_draws: int = DEFAULT_DRAWS, seed: int | None = None,
                    joint: bool = False) -> tuple[list[Bounds], pd.Index]:
    """Laplace intervals of every output of a fitted estimator, as arrays.

    The arguments are :func:`kerasnip.predictions.interval_table`'s, which puts
    these bounds in a table with the R package's column names.

    Returns
    -------
    bounds : list of Bounds
        One per output answered (regression outputs only for ``joint=True``).
    index : pandas.Index
        The rows' index (a DataFrame ``X``'s own).
    """
    _check_request(type, level, n_draws)
    heads, index = _request(est, X, "joint=True" if joint else None)
    rng = _rng(est, seed)
    bounds = []
    for head, phi in heads:
        if head.task == "regression":
            bounds.append(_regression_bounds(head, phi, type, float(level), joint,
                                             int(n_draws), rng))
        else:
            bounds.append(_classification_bounds(head, phi, type, float(level), int(n_draws),
                                                 rng))
    return bounds, index


def predictive_draws(est: Any, X: Any, *, type: str = "pred_int", n_draws: int = DEFAULT_DRAWS,
                     seed: int | None = None) -> np.ndarray | dict[str, np.ndarray]:
    """Joint Monte Carlo draws from the Laplace predictive distribution.

    Each draw is joint over a row's outputs (e.g. one whole multi-step
    trajectory); rows are drawn independently.

    Parameters
    ----------
    est : KerasRegressor or KerasClassifier
        A fitted kerasnip estimator whose outputs come from Dense layers.
    X : array-like or DataFrame
        Inputs, in the same form as during fit.
    type : {"conf_int", "pred_int"}, default="pred_int"
        Regression: draws of the mean (``"conf_int"``) or of new observations
        (``"pred_int"``). Classification: draws of the class probabilities
        (``"conf_int"``), or of a new observation's class, one-hot (``"pred_int"``:
        each probability draw followed by one categorical draw from it).
    n_draws : int, default=1000
        Number of draws.
    seed : int, default=None
        Seed of the draws; by default the estimator's integer ``random_state``.

    Returns
    -------
    ndarray or dict of ndarray
        ``(n_draws, n, k)`` per output (``(n_draws, n)`` for a regressor fitted
        on a 1-D y; classes ``(n_draws, n, n_classes)``, in the order of
        ``classes_``); a dict keyed by output name for multi-output models.

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
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> est = reg(fit_epochs=2, random_state=0).fit(X[:30], X[:30].sum(axis=1))
    >>> draws = kerasnip.predictive_draws(est, X[:5], n_draws=200, seed=0)
    >>> draws.shape  # (n_draws, rows)
    (200, 5)

    For a classifier, each draw is one-hot over ``classes_``:

    >>> draws = kerasnip.predictive_draws(clf, X_new, n_draws=500)  # doctest: +SKIP
    >>> draws.shape, draws.mean(axis=0)  # one-hot classes; their means  # doctest: +SKIP
    """
    est, X = unwrap(est, X)
    _check_request(type, 0.5, n_draws)
    heads, _ = _request(est, X, None)
    rng = _rng(est, seed)
    draws: dict[Any, np.ndarray] = {}  # keyed by output name, or None for one output
    for head, phi in heads:
        if head.task == "classification":
            probs = _class_draws(head, phi, n_draws, rng)
            draws[head.name] = _outcome_draws(probs, rng) if type == "pred_int" else probs
            continue
        sample = head.draw(head.logits(phi), head.variance(phi, type), n_draws, rng)
        draws[head.name] = sample[..., 0] if head.target_ndim == 1 else sample
    return draws[None] if list(draws) == [None] else draws
