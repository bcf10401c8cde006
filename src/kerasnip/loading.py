"""``kerasnip.load``: a ``.kerasnip`` file back into a fitted estimator.

A file is untrusted input, and loading it runs none of its code:

- nothing in it is unpickled, no module it names is imported at load, and the
  Keras model is loaded in Keras's safe mode;
- a block function it names is imported and called when the estimator is
  refitted (``clone`` + ``fit``, ``cross_val_score``, tuning). So a file is
  loaded only when each block function it names is *trusted*: a block of a
  spec created in this process, or listed in ``trusted=``
  (:func:`get_untrusted_blocks` lists the others without loading), and its
  block hyperparameters are plain data;
- the fitted state it sets is checked: only known attributes, of the right
  types, consistent with the model (classes and output width, input shape).

The estimator's class is the live one it was saved from when this process
still has it, else one the factory rebuilds from the saved spec, whose blocks
import their functions only when a model is built
(:class:`~kerasnip.saving.spec_data.SavedBlock`).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from kerasnip import factory
from kerasnip.encoding.targets import HEAD_KINDS, TARGET_FORMATS, ClassEncoder, Head
from kerasnip.errors import BuildError, LoadError
from kerasnip.estimators.base import KerasEstimator
from kerasnip.estimators.functional import FunctionalEstimator, MultiOutputEstimator
from kerasnip.estimators.sequential import KerasClassifier
from kerasnip.intervals import LaplaceApproximation
from kerasnip.saving.archive import PathOrFile, objects_for, read_archive
from kerasnip.saving.codec import decode
from kerasnip.saving.keras_bytes import model_from_bytes
from kerasnip.saving.names import STABLE_NAMES
from kerasnip.saving.spec_data import block_import_path, is_plain_data, spec_from_data


def load(path: PathOrFile, *, trusted: Iterable[str | Callable[..., Any]] | None = None,
         safe_mode: bool = True) -> Any:
    """Load an estimator written by :meth:`KerasEstimator.save`.

    Nothing in the file is unpickled and no module it names is imported; the
    Keras model is loaded in Keras's safe mode. The block functions are not
    needed to predict, evaluate, ``partial_fit`` or plot; a new ``fit``
    imports them by the paths recorded at save time, so a file is loaded only
    when every block function it names is trusted.

    Parameters
    ----------
    path : str, path-like or binary file object
        The saved file.
    trusted : list of str or callable, default=None
        Block functions to trust besides those of the specs created in this
        process: ``"module:qualname"`` paths as :func:`get_untrusted_blocks`
        lists them, or the functions themselves. Check what a file names
        before trusting it: refitting calls these functions.
    safe_mode : bool, default=True
        Keras's safe mode. Turn it off only for a file you trust whose model
        has ``Lambda`` layers (their Python code would then run).

    Returns
    -------
    estimator
        The fitted estimator, of the class it was saved from when that class
        still exists in this process, else of a class rebuilt from the file.

    Raises
    ------
    LoadError
        The file is truncated, corrupted or not a kerasnip file, comes from a
        newer format version, needs registered optimizers/losses/metrics that
        are not registered, names block functions that are not trusted, or
        sets fitted state that is unknown or inconsistent with its model.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS  # the getting-started blocks
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), [0, 1, 2] * 10
    >>> est = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, random_state=0).fit(X, y)
    >>> est.save("mlp.kerasnip")
    >>> loaded = kerasnip.load("mlp.kerasnip")
    >>> type(loaded).__name__, bool((loaded.predict(X) == est.predict(X)).all())
    ('digits_mlp', True)
    """
    source = getattr(path, "name", path)
    with _manifest_errors(source):
        manifest, model_bytes = read_archive(path)
        untrusted = _untrusted_blocks(manifest, trusted)
        if untrusted:
            raise LoadError(_untrusted_message(untrusted))
        objects = objects_for(manifest.get("registered", {}))
    try:
        model = model_from_bytes(model_bytes, safe_mode=safe_mode, objects=objects)
    except Exception as exc:
        raise LoadError(
            f"Cannot load the Keras model in {source!r}: {type(exc).__name__}: "
            f"{str(exc).rstrip('.')}. "
            "If it uses custom layers, losses or metrics, register them (kerasnip."
            "register_keras_loss / register_keras_metric, or "
            "keras.saving.register_keras_serializable) before loading."
        ) from exc
    with _manifest_errors(source):
        return _restore(manifest, model)


@contextlib.contextmanager
def _manifest_errors(source: Any) -> Iterator[None]:
    """Every failure to make sense of a file becomes a LoadError naming the file: a
    manifest's values can have any JSON shape, so reading one can fail in any of these
    ways."""
    try:
        yield
    except LoadError as exc:
        raise LoadError(f"Cannot load {source!r}: {exc}") from exc.__cause__
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError,
            OverflowError) as exc:
        raise LoadError(
            f"Cannot load {source!r}: its manifest is damaged ({type(exc).__name__}: {exc})."
        ) from exc


def _restore(manifest: Mapping[str, Any], model: Any) -> Any:
    cls = _estimator_class(manifest["spec"])
    params = decode(manifest["params"])
    roles = {p.name: p.role for p in cls._spec().parameters}
    unknown = {name: value for name, value in params.items() if name not in roles}
    # compile_*/fit_* follow the installed Keras: one saved under another version
    # may name an argument this Keras lacks. Any other unknown name is tampering.
    foreign = sorted(name for name in unknown if not name.startswith(("compile_", "fit_")))
    if foreign:
        raise LoadError(f"the manifest sets parameter(s) {foreign}, which "
                        f"{cls.__name__} does not have.")
    if any(value is not None for value in unknown.values()):
        warnings.warn(
            f"Parameter(s) {sorted(unknown)} of the saved estimator are not arguments of the "
            "installed Keras and are ignored.", UserWarning, stacklevel=3,
        )
    for name, value in params.items():
        # These reach the block functions as keyword arguments.
        if roles.get(name) in ("num", "block") and not is_plain_data(value):
            raise LoadError(f"parameter {name!r} is a {type(value).__name__}; a file's block "
                            "parameters may only be numbers, strings, None and lists or dicts "
                            "of them.")
    est = cls(**{name: value for name, value in params.items() if name in roles})
    fitted = decode(manifest["fitted"])
    _check_fitted_types(est, fitted)
    for name, value in fitted.items():
        setattr(est, name, value)
    est.model_ = model
    _check_consistent(est)
    return est


def _estimator_class(data: Mapping[str, Any]) -> type[KerasEstimator]:
    """The live class the estimator was saved from if this process still has it, else a
    class rebuilt from the saved spec."""
    names = [p["name"] for p in data["parameters"]]
    live = factory.live_class(data["token"])
    if live is None or [p.name for p in live._spec().parameters] != names:
        live = factory.make_class(spec_from_data(data))
    return factory.register_loaded(live)


# --------------------------------------------------------------------------- trust


def get_untrusted_blocks(path: PathOrFile) -> list[str]:
    """The block functions a saved file names that this process does not trust yet.

    Reads the file's manifest only: nothing is imported and no model is built.
    Pass the ones you have checked to ``kerasnip.load(path, trusted=[...])``.

    Parameters
    ----------
    path : str, path-like or binary file object
        A file written by :meth:`KerasEstimator.save`.

    Returns
    -------
    list of str
        ``"module:qualname"`` paths, sorted; empty when every block function
        is a block of a spec created in this process.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS  # the getting-started blocks
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), [0, 1, 2] * 10
    >>> est = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, random_state=0).fit(X, y)
    >>> est.save("mlp.kerasnip")

    The blocks belong to a spec created in this process, so they are trusted here; in a
    fresh process the list would name them (``"kerasnip.demo.getting_started:dense_block"``,
    ...):

    >>> kerasnip.get_untrusted_blocks("mlp.kerasnip")
    []
    """
    with _manifest_errors(getattr(path, "name", path)):
        return _untrusted_blocks(read_archive(path)[0], None)


def _untrusted_blocks(manifest: Mapping[str, Any],
                      trusted: Iterable[str | Callable[..., Any]] | None) -> list[str]:
    paths = []
    for block in manifest["spec"]["blocks"]:
        path = block["function"]
        if path is not None and not isinstance(path, str):
            raise LoadError(f"block {block.get('name')!r} names {path!r} as its function, "
                            "which is not an import path.")
        # A path without an importable name never resolves (SavedBlock refuses it).
        if path is not None and "<locals>" not in path and "<lambda>" not in path:
            paths.append(path)
    allowed = factory.live_block_paths()
    for item in trusted or ():
        named = item if isinstance(item, str) else block_import_path(item)
        if named is not None:  # a function without an import path cannot be named
            allowed.add(named)
    # kerasnip's own blocks that have moved are named as they were when the file was written.
    return sorted({path for path in paths
                   if path not in allowed and STABLE_NAMES.get(path) not in allowed})


def _untrusted_message(untrusted: list[str]) -> str:
    return (
        f"it names block function(s) {untrusted} that this process does not trust. Refitting "
        "a loaded estimator (fit, clone, cross-validation, tuning) imports and calls them, so "
        "a file loads only when each is a block of a spec created in this process or listed "
        "in trusted=. If you trust the file's source and these functions, load it with "
        f"kerasnip.load(path, trusted={untrusted!r}); kerasnip.get_untrusted_blocks(path) "
        "lists them without loading."
    )


# --------------------------------------------------------------------------- fitted state


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple) and all(_is_int(d) and d > 0 for d in value)


_STATE: dict[str, Callable[[Any], bool]] = {
    "seed_": lambda v: v is None or _is_int(v),
    "n_features_in_": lambda v: _is_int(v) and v > 0,
    "input_shape_": lambda v: _is_shape(v) or (
        isinstance(v, dict) and all(isinstance(k, str) and _is_shape(s) for k, s in v.items())),
    "feature_names_in_": lambda v: isinstance(v, np.ndarray) and v.ndim == 1 and all(
        isinstance(name, str) for name in v),
    "history_": lambda v: isinstance(v, pd.DataFrame),
    "fit_time_": lambda v: isinstance(v, Real) and not isinstance(v, bool),
    "_fit_count": lambda v: _is_int(v) and v >= 0,
    "laplace_": lambda v: isinstance(v, LaplaceApproximation),
}
_CLASSIFIER_STATE: dict[str, Callable[[Any], bool]] = {
    "encoder_": lambda v: isinstance(v, ClassEncoder) and isinstance(v.classes, np.ndarray),
    "classes_": lambda v: isinstance(v, np.ndarray) and v.ndim == 1,
    "target_format_": lambda v: v in TARGET_FORMATS,
}
_REGRESSOR_STATE: dict[str, Callable[[Any], bool]] = {
    "target_names_": lambda v: v is None or (
        isinstance(v, list) and all(isinstance(name, str) for name in v)),
    "n_outputs_": lambda v: _is_int(v) and v > 0,
    "y_ndim_": lambda v: v in (1, 2),
}
_MULTI_OUTPUT_STATE: dict[str, Callable[[Any], bool]] = {
    "heads_": lambda v: isinstance(v, dict) and all(
        isinstance(h, Head) and h.kind in HEAD_KINDS for h in v.values()),
    "classes_": lambda v: isinstance(v, dict) and all(
        isinstance(c, np.ndarray) for c in v.values()),
}


def _state_for(est: Any) -> tuple[dict[str, Callable[[Any], bool]], set[str]]:
    """The fitted attributes a file may set on ``est``, with their checks, and those it must."""
    if isinstance(est, MultiOutputEstimator):
        return {**_STATE, **_MULTI_OUTPUT_STATE}, {"heads_", "input_shape_"}
    if isinstance(est, KerasClassifier):
        return {**_STATE, **_CLASSIFIER_STATE}, {
            "encoder_", "classes_", "target_format_", "input_shape_"}
    return {**_STATE, **_REGRESSOR_STATE}, {"n_outputs_", "y_ndim_", "input_shape_"}


def _check_fitted_types(est: Any, fitted: Mapping[str, Any]) -> None:
    checks, required = _state_for(est)
    unknown = sorted(name for name in fitted if name not in checks)
    if unknown:
        raise LoadError(f"the manifest sets {unknown}, which are not fitted attributes of "
                        f"{type(est).__name__}; a file may set only {sorted(checks)}.")
    missing = sorted(required - set(fitted))
    if missing:
        raise LoadError(f"the manifest lacks the fitted attribute(s) {missing}.")
    wrong = sorted(name for name, value in fitted.items() if not checks[name](value))
    if wrong:
        raise LoadError(f"the manifest's fitted attribute(s) {wrong} do not have the type "
                        "and form kerasnip writes.")


def _check_consistent(est: Any) -> None:
    """The fitted state agrees with the model: input shapes, classes, output widths."""
    model = est.model_
    multi_input = isinstance(est, FunctionalEstimator) and est._graph().multi_input
    inputs = dict(zip(est._graph().inputs, model.inputs, strict=False)) if multi_input else {
        None: model.inputs[0]}
    expected = est.input_shape_ if multi_input else {None: est.input_shape_}
    shapes = {name: tuple(tensor.shape[1:]) for name, tensor in inputs.items()}
    if not isinstance(expected, dict) or shapes != expected:
        raise LoadError(f"its input_shape_ {est.input_shape_!r} does not match the model's "
                        f"inputs {shapes if multi_input else shapes[None]}.")
    if isinstance(est, MultiOutputEstimator):
        _check_heads(est)
        return
    if isinstance(est, KerasClassifier):
        if not (np.array_equal(est.classes_, est.encoder_.classes)
                and est.classes_.dtype == est.encoder_.classes.dtype):
            raise LoadError(f"its classes_ {est.classes_.tolist()} differ from the classes "
                            f"its encoder decodes to {est.encoder_.classes.tolist()}.")
        saved = est.target_format_
    elif est.y_ndim_ == 1 and est.n_outputs_ != 1:
        raise LoadError(f"it says y was 1-D but had {est.n_outputs_} columns.")
    try:
        est._check_model_output(model)  # a classifier's target format follows from the model
    except BuildError as exc:
        raise LoadError(f"its fitted state does not match its model: {exc}") from None
    if isinstance(est, KerasClassifier) and est.target_format_ != saved:
        raise LoadError(f"its target_format_ {saved!r} does not fit the model's output, "
                        f"which takes {est.target_format_!r} targets.")


def _check_heads(est: Any) -> None:
    outputs = list(est._graph().outputs)
    if sorted(est.heads_) != sorted(outputs) or sorted(est.model_.output) != sorted(outputs):
        raise LoadError(f"its heads_ {sorted(est.heads_)} do not match the model's outputs "
                        f"{sorted(outputs)}.")
    saved = {name: head.target_format for name, head in est.heads_.items()}
    for head in est.heads_.values():
        if (head.kind == "classification") != (head.encoder is not None):
            raise LoadError(f"its head {head.name!r} is {head.kind} but "
                            f"{'lacks' if head.encoder is None else 'has'} a class encoder.")
    try:
        est._check_model_output(est.model_)
    except BuildError as exc:
        raise LoadError(f"its fitted state does not match its model: {exc}") from None
    changed = sorted(name for name, head in est.heads_.items()
                     if head.target_format != saved[name])
    classes = {name: head.classes for name, head in est.heads_.items()
               if head.encoder is not None}
    if changed or set(getattr(est, "classes_", {})) != set(classes) or not all(
            np.array_equal(est.classes_[name], values) for name, values in classes.items()):
        raise LoadError("its heads_ and classes_ do not agree with each other and the model.")

