"""Pictures of fitted estimators: the training history and the model graph.

Figures are built with :class:`matplotlib.figure.Figure` directly rather than
through ``pyplot``, so plotting never switches the user's backend, never needs a
display (PNG output goes through Agg) and leaves no figures alive in pyplot's
global registry across hundreds of fits.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kerasnip.errors import MissingDependencyError
from kerasnip.inspection import extract_keras_history, extract_keras_model

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_history(est: Any, path: str | os.PathLike[str] | None = None) -> Figure:
    """Plot the loss and each metric per epoch, training and validation.

    One panel per metric recorded in ``est.history_`` (the loss first); a ``val_`` column, when
    the fit had validation data, is drawn in the same panel.

    Parameters
    ----------
    est : fitted kerasnip estimator
        Anything with a ``history_`` DataFrame holding an ``epoch`` column.
    path : str or path-like, default=None
        Where to save the figure; the format follows the extension (``.png``,
        ``.svg``, ``.pdf``).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (shown inline in notebooks).

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS  # the getting-started blocks
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), [0, 1, 2] * 10
    >>> est = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, random_state=0).fit(X, y)
    >>> fig = kerasnip.plot_history(est, "history.png")  # one panel each: loss, accuracy
    >>> len(fig.axes)
    2
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    history = extract_keras_history(est)  # loss first, then the metrics in Keras's order
    metrics = [c for c in history.columns if c != "epoch" and not c.startswith("val_")]
    if history.empty or not metrics:
        raise ValueError(
            f"{type(est).__name__} has an empty training history; fit it with "
            "fit_epochs >= 1 before plotting."
        )
    fig = Figure(figsize=(4.2 * len(metrics), 3.4), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    epochs = history["epoch"].to_numpy()
    for ax, metric in zip(axes, metrics, strict=True):
        ax.plot(epochs, history[metric].to_numpy(), marker="o", markersize=3, label="training")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"].to_numpy(), marker="o", markersize=3,
                    label="validation")
        ax.set_title(metric.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"{type(est).__name__}: training history")
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def plot_model(
    est: Any,
    path: str | os.PathLike[str],
    show_shapes: bool = True,
    **kwargs: Any,
) -> Path:
    """Draw the fitted Keras model's layer graph with ``keras.utils.plot_model``.

    Needs the Python package ``pydot`` and Graphviz's ``dot`` program; either
    one missing raises :class:`MissingDependencyError` saying how to install it
    (Keras itself only prints a message inside notebooks and returns nothing).

    Parameters
    ----------
    est : fitted kerasnip estimator
        Anything with a built Keras model in ``model_``.
    path : str or path-like
        The image file; its extension (``.png``, ``.svg``, ``.pdf``) picks the format.
    show_shapes : bool, default=True
        Show each layer's input and output shapes.
    **kwargs : dict
        Further arguments of ``keras.utils.plot_model`` (``rankdir``, ``dpi``,
        ``expand_nested``, ...). Layer names and activations are shown unless
        ``show_layer_names=False`` / ``show_layer_activations=False``.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    MissingDependencyError
        pydot is not importable, or Graphviz's ``dot`` is not on ``PATH``.

    Examples
    --------
    >>> from kerasnip.demo import LAYER_BLOCKS  # the getting-started blocks
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> X, y = np.random.default_rng(0).normal(size=(30, 4)), [0, 1, 2] * 10
    >>> est = mlp(hidden_1_units=8, num_hidden_2=0, fit_epochs=2, random_state=0).fit(X, y)
    >>> try:
    ...     written = kerasnip.plot_model(est, "model.png").stat().st_size > 0
    ... except kerasnip.MissingDependencyError:  # no pydot, or no Graphviz ``dot``
    ...     written = True
    >>> written
    True
    """
    import keras

    model = extract_keras_model(est)
    _check_graphviz()
    path = Path(path)
    options = {"show_layer_names": True, "show_layer_activations": True, **kwargs}
    keras.utils.plot_model(model, to_file=str(path), show_shapes=show_shapes, **options)
    return path


def _check_graphviz() -> None:
    try:
        import pydot  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "kerasnip.plot_model needs the Python package pydot, which is not installed: "
            "run `pip install pydot` (or `pip install 'kerasnip[plot]'`). It also needs "
            "Graphviz's `dot` program (`apt-get install graphviz` on Debian/Ubuntu)."
        ) from None
    if shutil.which("dot") is None:
        raise MissingDependencyError(
            "kerasnip.plot_model needs Graphviz's `dot` program, which is not on PATH: "
            "install Graphviz with `apt-get install graphviz` (Debian/Ubuntu), "
            "`brew install graphviz` (macOS) or `conda install graphviz`; see "
            "https://graphviz.org/download/."
        )
