"""examples/tuning_getting_started.py, the getting-started tuning run, end to end."""

from __future__ import annotations

import re

from matplotlib.image import imread


def test_getting_started_tuning_script_runs_end_to_end(tmp_path):
    from tests.helpers import run_ok

    text = run_ok("examples/tuning_getting_started.py", "--epochs", "1",
                  "--plot", tmp_path / "tuning.png", timeout=600)
    table = text.split("\n\n")[0].splitlines()
    assert table[0].split() == ["num_hidden_1", "hidden_1_units", "hidden_1_rate", ".metric",
                                "mean", "n", "std_err", ".config"]
    assert len(table) == 1 + 5 and all(re.search(r" 3 .* Model\d\d$", row) for row in table[1:])
    assert "27 configurations x 3 folds + final fit" in text
    assert "Total params" in text  # the finalized model's summary
    picture = imread(tmp_path / "tuning.png")
    assert picture.shape[1] > 2 * picture.shape[0]  # three panels side by side
