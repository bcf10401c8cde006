"""``python -m kerasnip demo --functional``: the fork-join model end to end, on a few epochs."""

import re

import pytest
from matplotlib.image import imread

from kerasnip.__main__ import main
from tests.helpers import run_demo

pytestmark = pytest.mark.filterwarnings(
    "ignore:A kerasnip spec named 'forked_mlp' already exists")


@pytest.fixture(scope="module")
def functional_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_functional")
    return (*run_demo("--functional", "--epochs", "3", "--quiet", "--out", str(out)), out)


def test_functional_demo_walks_through_the_fork_join_model(functional_run):
    status, text, _ = functional_run
    assert status == 0
    for line in ("def path_block(tensor, units=16):",
                 "def concat_block(input_a, input_b):",
                 '"path_b": kerasnip.inp_spec(path_block, "main_input"),',
                 "kerasnip.create_keras_functional_spec("):
        assert line in text
    # single-input blocks repeat; the input and the two-input join have no num_*
    assert re.search(r"^  path_a: +num_path_a, path_a_units$", text, re.M)
    assert re.search(r"^  concatenated:", text, re.M) is None
    # the summary shows the fork: both Dense layers read the input, the join reads both
    assert re.search(r"concatenate.*\(None, 24\)", text)


def test_functional_demo_evaluates_predicts_and_tunes(functional_run):
    _, text, out = functional_run
    r2 = float(re.search(r"^\s+r2: (-?\d\.\d{4})$", text, re.M).group(1))
    assert re.search(r"^Test r2: -?\d\.\d{4}$", text, re.M)
    assert -5 < r2 <= 1
    predictions = text.split(". Predictions")[1].split(". Tuning")[0]
    assert re.search(r"^\s+\.pred\s+truth$", predictions, re.M)
    tuning = text.split(". Tuning")[1]
    # the 2 x 2 grid of widths, each cross-validated on 3 folds
    assert len(re.findall(r"^\d\s+(4|32)\s+(4|32)\s+r2\s", tuning, re.M)) == 4
    assert re.search(r"^Best widths: path_a_units=(4|32), path_b_units=(4|32); test R\^2",
                     tuning, re.M)
    assert imread(out / "history.png").shape[0] > 100
    assert imread(out / "tuning.png").shape[0] > 100
    assert re.search(r"^Files written: .*tuning\.png", text, re.M)


def test_functional_demo_refuses_another_data_set(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--functional", "--data", "mnist"])
    assert exit_info.value.code == 2
    assert "--functional uses scikit-learn's diabetes data; drop --data" in capsys.readouterr().err
