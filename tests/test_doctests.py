"""The examples in kerasnip's docstrings, run as doctests.

Every module of the package is searched; the examples run in a temporary folder
(some write files) with ``kerasnip``, ``np`` (NumPy) and ``pd`` (pandas) already
imported, as the API reference says. ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE`` are on,
so examples print shapes, names and tables of labels rather than exact floats.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import warnings

import numpy as np
import pandas as pd
import pytest

import kerasnip

# __main__ runs the command line when imported.
MODULES = sorted(
    info.name for info in pkgutil.walk_packages(kerasnip.__path__, "kerasnip.")
    if info.name != "kerasnip.__main__"
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _tests(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = finder.find(module, name, extraglobs={"kerasnip": kerasnip, "np": np, "pd": pd})
    return [t for t in tests if t.examples]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    failures = []
    with pd.option_context("display.width", 100, "display.max_columns", 20), \
            warnings.catch_warnings():
        # Each docstring makes its own spec; replacing one of the same name warns.
        warnings.filterwarnings("ignore", message="A kerasnip spec named")
        for test in _tests(name):
            runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)


def _runnable(doc: str) -> bool:
    examples = doctest.DocTestParser().get_examples(doc)
    return any(not example.options.get(doctest.SKIP) for example in examples)


def test_every_public_name_has_a_runnable_example():
    """Each public function, class and module shows an example that the doctests run."""
    missing = [name for name in kerasnip.__all__
               if name != "__version__"
               and not _runnable(getattr(kerasnip, name).__doc__ or "")]
    assert not missing, f"public names without a runnable docstring example: {missing}"
