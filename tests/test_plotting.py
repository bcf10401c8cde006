"""kerasnip.plotting: history figure content, model graph via Graphviz, missing dependencies."""

import shutil
import sys

import numpy as np
import pytest
from matplotlib.image import imread

from kerasnip.plotting import MissingDependencyError, plot_history, plot_model


@pytest.fixture(scope="module")
def fitted(clf_spec, digits):
    X, y = digits
    return clf_spec(hidden_units=8, fit_epochs=3, fit_validation_split=0.25,
                    random_state=0).fit(X, y)


def test_history_has_one_panel_per_metric_and_one_point_per_epoch(fitted):
    fig = plot_history(fitted)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["loss", "accuracy"]
    for ax in fig.axes:
        metric = ax.get_title()
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert set(lines) == {"training", "validation"}
        for label, column in (("training", metric), ("validation", f"val_{metric}")):
            x, y = lines[label].get_data()
            assert len(x) == 3
            np.testing.assert_array_equal(x, [1, 2, 3])
            np.testing.assert_allclose(y, fitted.history_[column].to_numpy())


def test_history_without_validation_draws_training_only(clf_spec, digits):
    X, y = digits
    est = clf_spec(hidden_units=4, fit_epochs=2, random_state=0).fit(X, y)
    fig = plot_history(est)
    assert [[line.get_label() for line in ax.get_lines()] for ax in fig.axes] == [
        ["training"], ["training"]]


def test_history_saves_a_png(fitted, tmp_path):
    path = tmp_path / "history.png"
    fig = plot_history(fitted, path)
    image = imread(path)
    width, height = fig.get_size_inches() * 120
    assert image.shape[:2] == (round(height), round(width))
    assert image.std() > 0.05  # not a blank canvas


def test_history_before_fit(clf_spec):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_history(clf_spec())


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's dot is not installed (.ci/run installs it)")
def test_plot_model_writes_the_graph(fitted, tmp_path):
    path = plot_model(fitted, tmp_path / "model.png")
    assert path == tmp_path / "model.png"
    assert imread(path).std() > 0.05  # not a blank canvas
    svg = plot_model(fitted, tmp_path / "model.svg").read_text()
    # The two Dense layers of input -> hidden -> output, with shapes and activations.
    assert svg.count("(Dense)") == 2
    for text in ("(None, 64)", "(None, 8)", "(None, 4)", "relu", "softmax"):
        assert text in svg


def test_plot_model_without_dot_names_graphviz(fitted, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError, match=r"Graphviz's `dot`.*apt-get install graphviz"):
        plot_model(fitted, tmp_path / "model.png")
    assert not (tmp_path / "model.png").exists()


def test_plot_model_without_pydot_names_it(fitted, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(MissingDependencyError, match=r"pip install pydot"):
        plot_model(fitted, tmp_path / "model.png")
