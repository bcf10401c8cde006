"""Every script in examples/ is a sphinx-gallery page and is run by the test suite.

The scripts with a test of their own elsewhere (getting_started.py in test_demo.py,
forecasting.py in test_sequence.py, ...) are run there, with their output checked; the
rest are run here, with short settings. A new example is either added to ``FAST`` here
or given its own test, or ``test_every_example_is_run_by_a_test`` fails.
"""

from __future__ import annotations

import ast
import re

import pytest

from tests.helpers import ROOT, run_ok

EXAMPLES = sorted(path.name for path in (ROOT / "examples").glob("*.py"))

# Scripts run here: their short arguments and patterns their output must match.
FAST = {
    "functional_api.py": (
        ["--epochs", "5", "--n", "80"],
        [r"R\^2 on new data, averaged over the two outputs: -?\d",
         r"\.pred_lower_output_1 +\.pred_upper_output_1",
         r"output_1: 90% prediction intervals hold \d+% of the new rows",
         r"\.pred_class_output_1 +\.pred_class_output_2",
         r"\.pred_output_1_a +\.pred_output_1_b +\.pred_output_2_x",
         r"\.pred_lower_output_2_x +\.pred_upper_output_2_x",
         r"output_2: \d\.\d\d plausible classes per row on average",
         r"BuildError: Block 'processed_1' failed",
         r"rows that build: \[4, 32\]"],
    ),
    "search_methods.py": (
        ["--epochs", "3", "--rows", "200"],
        [r"fits: \d+ instead of the grid's 45",
         r"hidden_units +learn_rate +fit_epochs +\.rung +mean",
         r"hidden_units +learn_rate +\.iter +mean",
         r"tune_halving +[01]\.\d+",
         r"finalized: hidden_units=\d+, learn_rate="],
    ),
    "optuna_pruning.py": (
        ["--trials", "8", "--epochs", "4"],
        [r"\d+ of 8 trials pruned: \d+ epochs trained instead of 32",
         r"best trial \d+: validation accuracy [01]\.\d+, test accuracy [01]\.\d+"],
    ),
    "conformal_intervals.py": (
        ["--epochs", "3", "--folds", "2"],
        [r"\d+ training, \d+ calibration and \d+ test rows",
         r"90% intervals on \d+ test rows",
         *(rf"{name} +[01]\.\d+ +\d+\.\d+\n" for name in (
             "split conformal", "2-fold CV conformal", "Laplace pred_int"))],
    ),
}


def test_every_example_is_run_by_a_test():
    tests = [path for path in (ROOT / "tests").rglob("test_*.py")
             if path.name != "test_examples.py"]
    sources = {path: path.read_text() for path in tests}
    for script in EXAMPLES:
        runners = [path.name for path, text in sources.items() if f'"examples/{script}"' in text]
        assert script in FAST or runners, (
            f"examples/{script} is run by no test: add it to FAST in {__file__}")
        assert not (script in FAST and runners), f"examples/{script} is run twice: {runners}"


@pytest.mark.parametrize("script", EXAMPLES)
def test_every_example_is_a_gallery_page(script):
    source = (ROOT / "examples" / script).read_text()
    docstring = ast.get_docstring(ast.parse(source), clean=True)
    assert docstring, f"{script} has no module docstring"
    title, underline, *prose = docstring.splitlines()
    assert title and set(underline) == {"="} and len(underline) >= len(title), script
    assert any(line.strip() for line in prose), f"{script}: no prose under the title"
    assert re.search(r"^# %%\n# .+\n# -+\n", source, re.MULTILINE), (
        f"{script}: no '# %%' section with a title")


@pytest.mark.parametrize("script", sorted(FAST))
def test_example_runs(script):
    argv, patterns = FAST[script]
    text = run_ok(f"examples/{script}", *argv, timeout=600)
    for pattern in patterns:
        assert re.search(pattern, text), f"{script}: no {pattern!r} in\n{text[-3000:]}"
