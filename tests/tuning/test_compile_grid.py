"""compile_keras_grid: every grid row built and compiled before a long run."""

from __future__ import annotations

import pandas as pd
import pytest

import kerasnip
from kerasnip import tune


def test_compile_keras_grid_reports_what_fails(clf_spec, digits, capsys):
    import keras

    X, y = digits
    spec = clf_spec(hidden_units=tune(), compile_optimizer=tune())
    grid = pd.DataFrame({"hidden_units": [4, 8, 4], "compile_optimizer": ["adam", "sgd", "adamm"]})
    compiled = kerasnip.compile_keras_grid(spec, grid, X, y)
    assert list(compiled.columns) == ["hidden_units", "compile_optimizer", "compiled_model",
                                      "error"]
    model = compiled["compiled_model"][1]
    assert isinstance(model, keras.Model) and model.compiled
    assert model.layers[0].units == 8 and model.optimizer.name == "sgd"
    assert compiled["compiled_model"][2] is None
    assert "Unknown optimizer 'adamm'" in compiled["error"][2]
    valid = kerasnip.extract_valid_grid(compiled)
    pd.testing.assert_frame_equal(valid, grid.iloc[:2])
    failed = kerasnip.inform_errors(compiled)
    printed = capsys.readouterr().out
    assert "1 of 3 configurations failed" in printed and "compile_optimizer='adamm'" in printed
    assert failed.index.tolist() == [2]
    with pytest.raises(TypeError, match="compile_keras_grid"):
        kerasnip.extract_valid_grid(grid)
