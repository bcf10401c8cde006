"""The `python -m kerasnip demo` walk-through, run for real on a few epochs."""

import re

import pytest
from matplotlib.image import imread

from kerasnip.__main__ import main
from tests.helpers import run_demo, run_ok

# Each in-process run re-creates the demo's spec.
pytestmark = pytest.mark.filterwarnings(
    "ignore:A kerasnip spec named 'mnist_mlp' already exists")


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """One 3-epoch demo on digits: its exit status, printed text and output folder."""
    out = tmp_path_factory.mktemp("demo")
    return (*run_demo("--epochs", "3", "--out", str(out)), out)


def test_demo_prints_the_walk_through(digits_run):
    status, text, _ = digits_run
    assert status == 0
    # The three blocks, by their source.
    for line in ("def input_block(model, input_shape):",
                 "def dense_block(model, units=128, rate=0.4):",
                 "def output_block(model, num_classes):",
                 "model.add(keras.layers.Dropout(rate))"):
        assert line in text
    # The spec's architecture parameters and the MLP's settings.
    assert re.search(r"^  hidden_1: +num_hidden_1, hidden_1_units, hidden_1_rate$", text, re.M)
    assert re.search(r"^  hidden_2: +num_hidden_2, hidden_2_units, hidden_2_rate$", text, re.M)
    assert "hidden_1_units=256" in text and "hidden_2_rate=0.3" in text
    assert "compile_optimizer='rmsprop'" in text and "fit_validation_split=0.2" in text
    # Keras's per-epoch lines (verbose=2), one per epoch.
    assert re.findall(r"^Epoch (\d)/3$", text, flags=re.M) == ["1", "2", "3"]
    assert len(re.findall(r"^\d+/\d+ - .* - val_accuracy: ", text, flags=re.M)) == 3
    # The summary of the 256/128 MLP on 64 pixels: 64*256+256, 256*128+128, 128*10+10 weights.
    assert "16,640" in text and "32,896" in text and "1,290" in text


def test_demo_reports_evaluation_and_predictions(digits_run):
    _, text, _ = digits_run
    loss = float(re.search(r"^\s+loss: (\d\.\d{4})$", text, flags=re.M).group(1))
    accuracy = float(re.search(r"^Test accuracy: (\d\.\d{4})$", text, flags=re.M).group(1))
    assert 0 < loss < 2.4 and 0.5 < accuracy <= 1  # 3 epochs: learning, not yet good
    predictions = text.split(". Predictions")[1].split(". Pictures")[0]
    header, *rows = [line for line in predictions.splitlines() if ".pred_class" in line or
                     re.match(r"^\d\s+\d\s+\d$", line)]
    assert header.split() == [".pred_class", "truth"] and len(rows) == 6
    prob_header = next(line for line in predictions.splitlines() if ".pred_0" in line)
    assert prob_header.split() == [f".pred_{k}" for k in range(10)]


def test_demo_writes_pictures_that_open(digits_run):
    _, text, out = digits_run
    history = imread(out / "history.png")
    assert history.shape[0] > 200 and history.shape[1] > 400 and history.std() > 0.05
    assert f"wrote {out / 'history.png'}" in text
    written = re.search(r"^Files written: (.*)$", text, flags=re.M).group(1).split(", ")
    assert str(out / "history.png") in written
    for path in written:
        assert imread(path).size > 0


def test_demo_on_real_mnist_quiet(mnist_dir, tmp_path, capsys):
    assert main(["demo", "--data", "mnist", "--data-dir", str(mnist_dir), "--epochs", "1",
                 "--quiet", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "x_train: (60000, 784), x_test: (10000, 784)" in text
    assert "Epoch 1/1" not in text  # --quiet
    assert "200,960" in text  # 784*256 + 256 weights in the first Dense layer
    accuracy = float(re.search(r"^Test accuracy: (\d\.\d{4})$", text, flags=re.M).group(1))
    assert accuracy > 0.9  # one epoch of the MLP on 48,000 images
    assert (tmp_path / "history.png").is_file()


def test_missing_data_dir_is_a_clear_error(tmp_path, capsys):
    status = main(["demo", "--data", "mnist", "--data-dir", str(tmp_path / "absent")])
    assert status == 1
    err = capsys.readouterr().err
    assert "kerasnip demo: error: MNIST path" in err and "does not exist" in err


def test_a_data_dir_naming_one_idx_file_is_a_clear_error(tmp_path, capsys):
    idx_file = tmp_path / "train-images-idx3-ubyte.gz"
    idx_file.write_bytes(b"")
    status = main(["demo", "--data", "mnist", "--data-dir", str(idx_file)])
    assert status == 1
    assert "is a single file that is not an .npz. Pass the folder" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["demo", "--data-dir", "x"], "--data-dir applies to --data mnist"),
    (["demo", "--epochs", "0"], "must be at least 1"),
    (["demo", "--data", "cifar"], "invalid choice: 'cifar'"),
    ([], "required: COMMAND"),
])
def test_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_module_help_in_a_subprocess():
    text = run_ok("-m", "kerasnip", "demo", "--help", timeout=120)
    for option in ("--data {digits,mnist}", "--data-dir DIR", "--epochs N", "--out DIR",
                   "--quiet"):
        assert option in text


def test_getting_started_example_runs(tmp_path):
    text = run_ok("examples/getting_started.py", "--epochs", "1",
                  "--out", tmp_path / "history.png")
    assert re.search(r"\{'loss': [\d.]+, 'accuracy': [\d.]+\}", text)
    assert ".pred_class" in text and ".pred_9" in text
    assert imread(tmp_path / "history.png").std() > 0.05
