"""Sphinx configuration of the kerasnip documentation (``make docs``).

The build needs no network: intersphinx reads the inventories shipped in
``_intersphinx/`` (see its README), and references to libraries without one
(NumPy, Matplotlib, Keras, JAX, ...) are left as plain text.

The API reference (``api/index.rst``) is written here at every build from
:data:`API_GROUPS` and ``kerasnip.__all__``: a public name no group lists lands in
the "Other" group, so a name added to ``__all__`` is documented without touching
this file.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path

import kerasnip  # first: it picks the Keras backend (JAX) before anything imports Keras

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

project = "kerasnip"
author = "kerasnip contributors"
copyright = "kerasnip contributors"
release = kerasnip.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_intersphinx", "auto_examples/*.ipynb", "auto_examples/*.py"]
root_doc = "index"
default_role = "py:obj"
nitpicky = True

html_theme = "pydata_sphinx_theme"
html_title = f"kerasnip {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []
html_show_sourcelink = False

# ----------------------------------------------------------------------------- API docs

autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc sections give the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# Each group: (title, one-line description, names). Names listed here but not (or no
# longer) in kerasnip.__all__ are skipped; names in __all__ but in no group go to "Other".
API_GROUPS: list[tuple[str, str, list[str]]] = [
    ("Creating specs", "Layer blocks in, a scikit-learn estimator class out.", [
        "create_keras_sequential_spec", "create_keras_functional_spec", "inp_spec",
        "get_spec", "model_exists", "remove_keras_spec",
    ]),
    ("Estimators", "The base classes every generated spec derives from.", [
        "KerasClassifier", "KerasRegressor", "KerasEstimator",
    ]),
    ("Tuning: parameters", "Marking parameters, their ranges and parameter sets.", [
        "tune", "extract_parameter_set", "ParameterSet", "Int", "Float", "Choice",
        "num_terms", "hidden_units", "dropout", "learn_rate", "epochs", "batch_size",
        "optimizer_function", "loss_function_keras",
    ]),
    ("Tuning: grids and searches", "Grids of configurations, running them, the results.", [
        "grid_regular", "grid_random", "grid_space_filling", "tune_grid",
        # the other search methods, as they land in kerasnip.__all__
        "tune_race", "tune_bayes", "tune_halving",
        "TuneResults", "finalize", "compile_keras_grid", "extract_valid_grid", "inform_errors",
    ]),
    ("Inspecting fitted models", "Tables, Keras objects and pictures of a fitted estimator.", [
        "predict_table", "tidy", "glance", "extract_keras_model", "extract_keras_history",
        "keras_evaluate", "plot_history", "plot_model",
    ]),
    ("Several outputs", "Looking at and scoring one head of a multi-output model.", [
        "output_view", "head_scorer",
    ]),
    ("Prediction intervals", "The last-layer Laplace posterior.", [
        "fit_laplace", "predictive_draws",
    ]),
    ("Sequences", "Scikit-learn transformers for series.", [
        "SequenceWindows", "LeadTargets", "CollapseColumns", "align_predictions",
    ]),
    ("Saving and loading", "The ``.kerasnip`` format.", [
        "load", "get_untrusted_blocks",
    ]),
    ("Custom Keras objects and training", "Names for custom objects, batch padding.", [
        "register_keras_optimizer", "register_keras_loss", "register_keras_metric",
        "whole_batches",
    ]),
    ("Data sets", "Small image data sets in ``keras.datasets`` form.", [
        "datasets",
    ]),
    ("Errors", "Every exception derives from :class:`kerasnip.KerasnipError`.", [
        "KerasnipError", "BlockError", "BlockImportError", "BuildError", "DatasetError",
        "IntervalsNotAvailableError", "LoadError", "MissingDependencyError", "NotTunedError",
        "TrainingError",
    ]),
]
# Not objects with a docstring of their own: described in the page's text.
API_TEXT_ONLY = {"__version__"}


def api_groups() -> list[tuple[str, str, list[str]]]:
    """:data:`API_GROUPS` restricted to ``kerasnip.__all__``, plus "Other" for the rest."""
    public = [name for name in kerasnip.__all__ if name not in API_TEXT_ONLY]
    groups, seen = [], set()
    for title, blurb, names in API_GROUPS:
        present = [name for name in names if name in public]
        seen.update(present)
        if present:
            groups.append((title, blurb, present))
    other = sorted(name for name in public if name not in seen)
    if other:
        groups.append(("Other", "Public names not yet sorted into a group above.", other))
    return groups


def write_api_index() -> None:
    """Write ``api/index.rst``: one autosummary table per group."""
    lines = [
        ".. This file is written by docs/conf.py at every build; edit API_GROUPS there.",
        "",
        ".. _api:",
        "",
        "API reference",
        "=============",
        "",
        ".. currentmodule:: kerasnip",
        "",
        "Every public name of ``kerasnip`` (``kerasnip.__all__``), importable from the",
        f"package itself. This is version ``{kerasnip.__version__}`` (``kerasnip.__version__``).",
        "The examples in the docstrings run as doctests, after ``import kerasnip``,",
        "``import numpy as np`` and ``import pandas as pd``.",
        "",
    ]
    for title, blurb, names in api_groups():
        lines += [title, "-" * len(title), "", blurb, ""]
        # The templates are _templates/autosummary/{class,function,module}.rst.
        lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in names]
        lines.append("")
    text = "\n".join(lines)
    target = HERE / "api" / "index.rst"
    target.parent.mkdir(exist_ok=True)
    if not target.exists() or target.read_text() != text:  # unchanged: no rebuild
        target.write_text(text)


write_api_index()

# ------------------------------------------------------------------------- intersphinx

# Inventories shipped in _intersphinx/ (no network at build time). The URLs are only
# where the rendered links point.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", str(HERE / "_intersphinx" / "python.inv")),
    "pandas": ("https://pandas.pydata.org/docs", str(HERE / "_intersphinx" / "pandas.inv")),
    "sklearn": ("https://scikit-learn.org/stable", str(HERE / "_intersphinx" / "sklearn.inv")),
}
intersphinx_timeout = 1

# No inventory shipped for these (or none exists: Keras's site is not Sphinx): their
# names stay plain text instead of failing the nitpicky build.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|matplotlib|keras|jax|torch|tensorflow|joblib|dask|ray|scipy|"
               r"cloudpickle|mapie|optuna|pydot)(\..*)?"),
    # Private modules of kerasnip that the reference does not document page by page.
    (r"py:.*", r"kerasnip\.(_\w+|definition|encoding|estimators|runtime|saving|build|"
               r"config|keras_args|markers|specs|factory|pipelines|predictions|inspection|"
               r"intervals|heads|plotting|sequence|loading|registry|errors|tuning|demo)"
               r"(\..*)?"),
    (r"py:.*", r"(array-like|ArrayLike|callable|optional|default|path-like)"),
    # Named in kerasnip.tuning's docstrings, which do not document them on their own.
    (r"py:class", r"TunedParameter"),
    (r"py:attr", r"metrics"),
]


def _public_alias(app, env, node, contnode):
    """Resolve ``kerasnip.some.module.Name`` to the documented ``kerasnip.Name``."""
    target = node.get("reftarget", "")
    match = re.fullmatch(r"kerasnip(?:\.\w+)+\.(\w+)((?:\.\w+)?)", target)
    if not match or match.group(1) not in kerasnip.__all__:
        return None
    node["reftarget"] = f"kerasnip.{match.group(1)}{match.group(2)}"
    domain = env.domains["py"]
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                               node["reftarget"], node, contnode)


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters (``set_fit_request``)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def _estimator_signature(app, what, name, obj, options, signature, return_annotation):
    """Estimator classes take keyword parameters only (their metaclass's ``__call__``
    would show as ``(*args, **kwargs)``)."""
    from kerasnip.definition.spec import SpecMeta

    if what == "class" and isinstance(obj, SpecMeta):
        return "(**params)", return_annotation
    return None


def setup(app):
    app.connect("missing-reference", _public_alias)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-signature", _estimator_signature)


# ---------------------------------------------------------------------------- gallery

# KERASNIP_DOCS_FAST=1 builds the pages without running the gallery (for editing prose).
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/",  # run every example
    "ignore_pattern": r"__init__\.py",
    "plot_gallery": os.environ.get("KERASNIP_DOCS_FAST", "0") != "1",
    # plot_history & co. return figures outside pyplot: sphinxext/kerasnip_gallery.py
    "image_scrapers": ("matplotlib", "kerasnip_gallery.kerasnip_figures"),
    "capture_repr": ("_repr_html_", "__repr__"),
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "within_subsection_order": "kerasnip_gallery.ExampleOrder",
    "show_signature": False,
}

warnings.filterwarnings("ignore", category=DeprecationWarning, module="jax")
warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy")
