"""The spec factory: layer blocks in, a registered scikit-learn estimator class out.

``create_keras_sequential_spec`` and ``create_keras_functional_spec`` read the
blocks' signatures into a :class:`~kerasnip.definition.spec.SpecDefinition` and
generate a class with an explicit ``__init__`` so ``help()``, IDE completion and
``get_params()`` show every parameter. Classes are registered by name
(:func:`get_spec`, :func:`model_exists`, :func:`remove_keras_spec`).

Generated classes pickle by *definition*, not by import path: a reducer
registered for :class:`SpecMeta` (our own metaclass, so nothing of Keras or
the standard library is patched) serialises the blocks with cloudpickle, which
stores functions from ``__main__`` or a notebook by value. A loky or Dask
worker therefore rebuilds the class without being able to import it.
"""

from __future__ import annotations

import copyreg
import inspect
import textwrap
import warnings
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import cloudpickle

from kerasnip._utils import did_you_mean, format_choices
from kerasnip.definition.blocks import INJECTED_ARGS, BlockInfo, inspect_sequential_block
from kerasnip.definition.graph import inspect_functional_blocks
from kerasnip.definition.spec import MODES, ParamInfo, SpecDefinition, SpecMeta
from kerasnip.errors import BlockError
from kerasnip.estimators.base import KerasEstimator
from kerasnip.estimators.functional import (
    FunctionalClassifier,
    FunctionalRegressor,
    MultiOutputClassifier,
    MultiOutputRegressor,
)
from kerasnip.estimators.sequential import KerasClassifier, KerasRegressor
from kerasnip.saving.spec_data import recorded_block

# Weak, so classes replaced in the registry (and their blocks) can be freed;
# it only makes unpickling in the defining process return the very same class.
_CLASSES_BY_TOKEN: weakref.WeakValueDictionary[str, type[KerasEstimator]] = (
    weakref.WeakValueDictionary())
_REGISTRY: dict[str, type[KerasEstimator]] = {}


def _reduce_spec_class(cls: SpecMeta) -> Any:
    spec = cls.__dict__.get("kerasnip_spec")
    if spec is None:  # a library base class such as KerasClassifier: by reference
        return cls.__qualname__
    return _rebuild_spec_class, (cloudpickle.dumps(spec),)


def _rebuild_spec_class(payload: bytes) -> type[KerasEstimator]:
    spec: SpecDefinition = cloudpickle.loads(payload)
    existing = _CLASSES_BY_TOKEN.get(spec.token)
    return register_loaded(existing if existing is not None else make_class(spec))


def register_loaded(cls: type[KerasEstimator]) -> type[KerasEstimator]:
    """Register the class of an estimator read from a pickle or a file under its name,
    unless a spec of that name is registered already (loading never replaces a spec
    the user has since redefined).

    Parameters
    ----------
    cls : type
        A generated estimator class.

    Returns
    -------
    type
        ``cls``.
    """
    _REGISTRY.setdefault(cls._spec().model_name, cls)
    return cls


copyreg.pickle(SpecMeta, _reduce_spec_class)


# --------------------------------------------------------------------------- factory


def create_keras_sequential_spec(
    model_name: str,
    layer_blocks: Mapping[str, Callable[..., Any]],
    mode: str,
    *,
    description: str | None = None,
) -> type[KerasEstimator]:
    """Create an estimator class from sequential layer blocks.

    Parameters
    ----------
    model_name : str
        Name of the generated class and its key in the spec registry.
    layer_blocks : dict of str to callable
        Ordered blocks ``block(model, **hyperparameters) -> model``. The first
        block receives ``model=None`` and returns a new ``keras.Sequential``;
        each later block is applied ``num_{block}`` times.
    mode : {"classification", "regression"}
        Which scikit-learn estimator type to generate.
    description : str, default=None
        A line for the generated docstring.

    Returns
    -------
    type
        A subclass of :class:`kerasnip.KerasClassifier` or
        :class:`kerasnip.KerasRegressor` with one keyword parameter per
        tunable setting.

    Examples
    --------
    >>> import keras
    >>> def input_block(model, input_shape):
    ...     return keras.Sequential([keras.Input(shape=input_shape)])
    >>> def dense_block(model, units=32, rate=0.2):
    ...     model.add(keras.layers.Dense(units, activation="relu"))
    ...     model.add(keras.layers.Dropout(rate))
    ...     return model
    >>> def output_block(model, num_classes):
    ...     model.add(keras.layers.Dense(num_classes, activation="softmax"))
    ...     return model
    >>> mlp = kerasnip.create_keras_sequential_spec(
    ...     "mlp", {"input": input_block, "hidden": dense_block, "output": output_block},
    ...     mode="classification")
    >>> [name for name in mlp().get_params() if name.startswith(("num_", "hidden_"))]
    ['hidden_rate', 'hidden_units', 'num_hidden', 'num_output']
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), ["a", "b", "c"] * 10
    >>> est = mlp(num_hidden=2, hidden_units=8, fit_epochs=2, random_state=0).fit(X, y)
    >>> est.predict(X[:4]).shape
    (4,)
    """
    blocks = _check_blocks(layer_blocks)
    infos = {name: inspect_sequential_block(name, fn) for name, fn in blocks.items()}
    return _create_spec(model_name, "sequential", mode, infos, description)


def create_keras_functional_spec(
    model_name: str,
    layer_blocks: Mapping[str, Callable[..., Any]],
    mode: str,
    *,
    description: str | None = None,
) -> type[KerasEstimator]:
    """Create an estimator class from functional (graph) layer blocks.

    Parameters
    ----------
    model_name : str
        Name of the generated class and its key in the spec registry.
    layer_blocks : dict of str to callable
        Blocks ``block(<upstream tensors>, **hyperparameters) -> tensor`` in a
        topological order. An argument named after an earlier block is an
        edge; use :func:`kerasnip.inp_spec` to rename arguments. Blocks with
        no upstream argument are inputs and receive ``input_shape``; the block
        named ``output`` (or the blocks named after y's columns) end the graph.
    mode : {"classification", "regression"}
        Which scikit-learn estimator type to generate.
    description : str, default=None
        A line for the generated docstring.

    Returns
    -------
    type
        A generated estimator class, as for :func:`create_keras_sequential_spec`.

    Examples
    --------
    Two paths from one input, joined (the R package's fork-join example):

    >>> import keras
    >>> def inputs(input_shape):
    ...     return keras.Input(shape=input_shape)
    >>> def path(tensor, units=8):
    ...     return keras.layers.Dense(units, activation="relu")(tensor)
    >>> def join(left, right):
    ...     return keras.layers.Concatenate()([left, right])
    >>> def head(tensor):
    ...     return keras.layers.Dense(1)(tensor)
    >>> forked = kerasnip.create_keras_functional_spec("forked", {
    ...     "x": inputs,
    ...     "path_a": kerasnip.inp_spec(path, "x"),
    ...     "path_b": kerasnip.inp_spec(path, "x"),
    ...     "joined": kerasnip.inp_spec(join, {"left": "path_a", "right": "path_b"}),
    ...     "output": kerasnip.inp_spec(head, "joined"),
    ... }, mode="regression")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 3)), np.arange(30.0)
    >>> est = forked(path_a_units=4, num_path_b=2, fit_epochs=2, random_state=0).fit(X, y)
    >>> est.predict(X[:4]).shape
    (4,)
    """
    blocks = _check_blocks(layer_blocks)
    infos = inspect_functional_blocks(blocks)
    return _create_spec(model_name, "functional", mode, infos, description)


def _check_blocks(layer_blocks: Mapping[str, Callable[..., Any]]) -> dict[str, Callable]:
    if not isinstance(layer_blocks, Mapping) or not layer_blocks:
        raise BlockError(
            "layer_blocks must be a non-empty dict of {block_name: block_function}, "
            f"got {type(layer_blocks).__name__}."
        )
    return dict(layer_blocks)


def _create_spec(
    model_name: str,
    kind: str,
    mode: str,
    blocks: dict[str, BlockInfo],
    description: str | None,
) -> type[KerasEstimator]:
    if not isinstance(model_name, str) or not model_name.isidentifier():
        raise ValueError(
            f"model_name must be a Python identifier (it names the class), got {model_name!r}."
        )
    if mode not in MODES:
        raise ValueError(f"Unknown mode {mode!r}.{did_you_mean(str(mode), MODES)} "
                         f"Choose one of {list(MODES)}.")
    spec = SpecDefinition(model_name, kind, mode, blocks, description)
    spec.check()
    cls = make_class(spec)
    if model_name in _REGISTRY:
        warnings.warn(
            f"A kerasnip spec named {model_name!r} already exists; replacing it.",
            UserWarning,
            stacklevel=3,
        )
    _REGISTRY[model_name] = cls
    return cls


def live_block_paths() -> set[str]:
    """The import paths of every block function of the spec classes alive in this process.

    A file that names only these runs nothing the user has not put in a spec
    themselves (see :func:`kerasnip.load`).

    Returns
    -------
    set of str
        ``"module:qualname"`` paths.
    """
    classes = [*_CLASSES_BY_TOKEN.values(), *_REGISTRY.values()]
    return {path for cls in classes for info in cls._spec().blocks.values()
            if (path := recorded_block(info.function)[0]) is not None}


def live_class(token: str) -> type[KerasEstimator] | None:
    """The class made in this process from the definition with ``token``, if it is alive.

    Parameters
    ----------
    token : str
        A :attr:`SpecDefinition.token`.

    Returns
    -------
    type or None
    """
    return _CLASSES_BY_TOKEN.get(token)


def make_class(spec: SpecDefinition) -> type[KerasEstimator]:
    """Generate the estimator class of a definition (not registered by name).

    Parameters
    ----------
    spec : SpecDefinition
        A checked definition.

    Returns
    -------
    type
        A subclass of the sequential or functional classifier or regressor,
        with an explicit keyword-only ``__init__``.
    """
    if spec.kind == "functional" and spec.graph().multi_output:
        base = MultiOutputClassifier if spec.mode == "classification" else MultiOutputRegressor
    elif spec.kind == "functional":
        base = FunctionalClassifier if spec.mode == "classification" else FunctionalRegressor
    else:
        base = KerasClassifier if spec.mode == "classification" else KerasRegressor
    params = spec.parameters
    defaults = {p.name: p.default for p in params}
    arguments = ", ".join(f"{p.name}=_defaults[{p.name!r}]" for p in params)
    body = "\n".join(f"    self.{p.name} = {p.name}" for p in params)
    source = f"def __init__(self, *, {arguments}):\n{body}\n"
    namespace: dict[str, Any] = {"_defaults": defaults}
    exec(compile(source, f"<kerasnip spec {spec.model_name}>", "exec"), namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{spec.model_name}.__init__"
    init_signature = inspect.signature(init)
    cls: type[KerasEstimator] = SpecMeta(  # type: ignore[assignment]  # a KerasEstimator base
        spec.model_name,
        (base,),
        {
            "__init__": init,
            "__doc__": _docstring(spec),
            "__module__": "kerasnip.specs",
            "__qualname__": spec.model_name,
            "kerasnip_spec": spec,
            # SpecMeta.__call__ takes (*args, **kwargs); without this, help(cls) and
            # inspect.signature(cls) would show that instead of the parameters.
            "__signature__": init_signature.replace(
                parameters=list(init_signature.parameters.values())[1:]
            ),
        },
    )
    _CLASSES_BY_TOKEN[spec.token] = cls
    return cls


def _docstring(spec: SpecDefinition) -> str:
    kind = "Sequential" if spec.kind == "sequential" else "Functional"
    lines = [
        f"{kind} Keras {spec.mode} model generated by kerasnip from layer blocks "
        f"{list(spec.blocks)}.",
        "",
    ]
    if spec.description:
        lines += [spec.description, ""]
    # A plain paragraph, not a section: numpydoc (used by scikit-learn's HTML repr)
    # warns about sections it does not know.
    lines += ["Blocks:", ""]
    for name, info in spec.blocks.items():
        fn = getattr(info.function, "__name__", repr(info.function))
        hyper = ", ".join(f"{a}={p.default!r}" for a, p in info.hyperparameters.items())
        injected = f"; injected: {', '.join(info.injected)}" if info.injected else ""
        lines.append(f"{name} : {fn}({hyper or 'no hyperparameters'}){injected}")
    lines += ["", "Parameters", "----------"]
    outputs = spec.output_blocks()
    for p in spec.parameters:
        lines.append(f"{p.name} : default={p.default!r}")
        lines.append(textwrap.indent(_describe(p, outputs), "    "))
    lines += [
        "",
        "Notes",
        "-----",
        f"The arguments {', '.join(INJECTED_ARGS)} are filled from the data when a block "
        "declares them. All parameters are keyword-only and tunable.",
    ]
    return "\n".join(lines)


def _describe(p: ParamInfo, outputs: tuple[str, ...]) -> str:
    if p.role == "num" and p.block in outputs:
        return f"Must be 1: block {p.block!r} makes the model's output."
    if p.role == "num":
        return f"How many times block {p.block!r} is applied (0 removes it)."
    if p.role == "block":
        return f"Argument {p.arg!r} of block {p.block!r} (every repeat)."
    if p.role == "learn_rate":
        return "Learning rate for an optimizer given by name; None keeps its own default."
    if p.role == "compile":
        return f"Passed to keras.Model.compile({p.arg}=...); None uses kerasnip's default."
    if p.role == "fit":
        return f"Passed to keras.Model.fit({p.arg}=...); None uses Keras's default."
    if p.role == "random_state":
        return "Seed for weights, shuffling and dropout; same seed, same predictions."
    return "Keras progress output during fit (0 silent, 1 progress bar, 2 one line per epoch)."


# --------------------------------------------------------------------------- registry


def model_exists(name: str) -> bool:
    """Whether a spec named ``name`` is registered.

    Parameters
    ----------
    name : str
        The ``model_name`` given to a spec factory.

    Returns
    -------
    bool

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> _ = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> kerasnip.model_exists("digits_mlp"), kerasnip.model_exists("no_such_spec")
    (True, False)
    """
    return name in _REGISTRY


def get_spec(name: str) -> type[KerasEstimator]:
    """The registered estimator class called ``name``.

    Parameters
    ----------
    name : str
        The ``model_name`` given to a spec factory.

    Returns
    -------
    type
        The generated estimator class.

    Raises
    ------
    KeyError
        No spec has that name (the message names close matches).

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> kerasnip.get_spec("digits_mlp") is mlp
    True
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"No kerasnip spec named {name!r}.{did_you_mean(name, _REGISTRY)} "
            f"Registered: {format_choices(_REGISTRY) or 'none'}."
        ) from None


def remove_keras_spec(name: str) -> bool:
    """Unregister the spec called ``name``.

    Parameters
    ----------
    name : str
        The ``model_name`` given to a spec factory.

    Returns
    -------
    bool
        True if a spec was removed, False if none had that name.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> _ = kerasnip.create_keras_sequential_spec("scratch_mlp", LAYER_BLOCKS, "classification")
    >>> kerasnip.remove_keras_spec("scratch_mlp"), kerasnip.model_exists("scratch_mlp")
    (True, False)
    >>> kerasnip.remove_keras_spec("scratch_mlp")
    False
    """
    return _REGISTRY.pop(name, None) is not None


def registered_spec(name: str) -> type[KerasEstimator]:
    """Look up by name for ``kerasnip.specs`` attribute access (used by cloudpickle)."""
    return _REGISTRY[name]
