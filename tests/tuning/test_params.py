"""Parameter objects, parameter sets and scikit-learn converters (no model fits)."""

from __future__ import annotations

import typing

import numpy as np
import pytest
from scipy import stats

import kerasnip
from kerasnip import Choice, Float, Int, tune
from tests.blocks import input_block, softmax_output


@pytest.fixture(scope="module")
def marked(clf_spec):
    return clf_spec(num_hidden=tune(), hidden_units=tune(), hidden_rate=tune(),
                    learn_rate=tune(), compile_optimizer=tune("opt"), compile_loss=tune(),
                    fit_epochs=tune(), fit_batch_size=tune())


def test_default_ranges_come_from_names(marked):
    params = kerasnip.extract_parameter_set(marked)
    assert params.ids == ["num_hidden", "hidden_units", "hidden_rate", "learn_rate", "opt",
                          "compile_loss", "fit_batch_size", "fit_epochs"]
    assert params.names()["opt"] == "compile_optimizer"
    assert params["num_hidden"] == kerasnip.num_terms()
    assert params["hidden_units"] == kerasnip.hidden_units()
    assert params["hidden_rate"] == kerasnip.dropout()
    assert params["learn_rate"] == kerasnip.learn_rate() and params["learn_rate"].log
    assert params["opt"] == kerasnip.optimizer_function()
    assert params["compile_loss"].values == ("categorical_crossentropy",
                                             "categorical_focal_crossentropy")
    assert params["fit_epochs"] == kerasnip.epochs()
    assert params["fit_batch_size"] == kerasnip.batch_size()


def test_regression_loss_defaults(reg_spec):
    params = kerasnip.extract_parameter_set(reg_spec(compile_loss=tune()))
    assert "mean_squared_error" in params["compile_loss"].values


def _annotated_spec(name, hidden):
    return kerasnip.create_keras_sequential_spec(
        name, {"input": input_block, "hidden": hidden, "output": softmax_output},
        "classification")


def test_block_annotations_give_ranges():
    def hidden(model, units: Int(16, 512, log=True) = 128,
               act: typing.Annotated[str, Choice("relu", "tanh")] = "relu",
               scale: Float(0.1, 1.0) = 0.5, use_bias: bool = True, width=3):
        return model

    spec = _annotated_spec("annotated_spec", hidden)
    params = kerasnip.extract_parameter_set(
        spec(hidden_units=tune(), hidden_act=tune(), hidden_scale=tune(),
             hidden_use_bias=tune()))
    assert params["hidden_units"] == Int(16, 512, log=True)
    assert params["hidden_act"] == Choice("relu", "tanh")
    assert params["hidden_scale"] == Float(0.1, 1.0)
    assert params["hidden_use_bias"] == Choice(False, True)


def test_string_annotations_are_evaluated_where_the_block_lives():
    namespace = {}
    exec(
        "from __future__ import annotations\n"
        "from kerasnip import Int\n"
        "def hidden(model, units: Int(8, 32) = 16):\n"
        "    return model\n",
        namespace,
    )
    spec = _annotated_spec("string_annotated_spec", namespace["hidden"])
    params = kerasnip.extract_parameter_set(spec(hidden_units=tune()))
    assert params["hidden_units"] == Int(8, 32)


def test_unknown_range_is_named_and_update_fixes_it():
    def hidden(model, units=16, activation="relu"):
        return model

    spec = _annotated_spec("no_range_spec", hidden)(hidden_activation=tune(), hidden_units=tune())
    params = kerasnip.extract_parameter_set(spec)
    assert params["hidden_activation"] is None
    assert "no range known" in repr(params)
    with pytest.raises(ValueError, match=r"\['hidden_activation'\].*params.update"):
        kerasnip.grid_regular(params)
    with pytest.raises(ValueError, match="hidden_activation"):
        params.to_sklearn()
    fixed = params.update(hidden_activation=["relu", "tanh"])
    assert len(kerasnip.grid_regular(fixed, levels=2)) == 4


def test_tune_ids_must_be_unique(clf_spec):
    with pytest.raises(ValueError, match="tune\\('width'\\) is used for both"):
        kerasnip.extract_parameter_set(clf_spec(hidden_units=tune("width"),
                                                fit_batch_size=tune("width")))


def test_extract_needs_an_instance(clf_spec):
    with pytest.raises(TypeError, match="instance of a kerasnip spec"):
        kerasnip.extract_parameter_set(clf_spec)


def test_update_with_objects_tuples_and_lists(marked):
    params = kerasnip.extract_parameter_set(marked)
    updated = params.update(
        num_hidden=kerasnip.num_terms((1, 3)),
        hidden_units=(64, 256),
        hidden_rate=(0.2, 0.4),
        learn_rate=(1e-3, 1e-2),
        opt=["adam", "sgd"],
    )
    assert updated["hidden_units"] == kerasnip.hidden_units((64, 256))  # label and scale kept
    assert updated["hidden_rate"] == kerasnip.dropout((0.2, 0.4))
    assert updated["learn_rate"] == kerasnip.learn_rate((1e-3, 1e-2))
    assert updated["opt"] == Choice("adam", "sgd")
    assert params["hidden_units"] == kerasnip.hidden_units()  # the original is unchanged


def test_update_infers_types_for_a_range_without_one():
    def hidden(model, units=16, alpha=0.1):
        return model

    spec = _annotated_spec("infer_spec", hidden)(hidden_alpha=tune())
    params = kerasnip.extract_parameter_set(spec)
    assert params.update(hidden_alpha=(1, 4))["hidden_alpha"] == Int(1, 4)
    assert params.update(hidden_alpha=(0.5, 2))["hidden_alpha"] == Float(0.5, 2.0)


def test_update_errors(marked):
    params = kerasnip.extract_parameter_set(marked)
    with pytest.raises(KeyError, match="Did you mean 'hidden_units'"):
        params.update(hiden_units=(1, 2))
    with pytest.raises(TypeError, match="give explicit values as a list"):
        params.update(opt=("adam", "sgd"))
    with pytest.raises(TypeError, match="parameter object"):
        params.update(hidden_units="wide")


def test_constructors_validate():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adamm'.*'adam'"):
        kerasnip.optimizer_function(["adamm"])
    with pytest.raises(ValueError, match="Unknown loss 'mse2'"):
        kerasnip.loss_function_keras(["mse2"])
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        kerasnip.dropout((0.2, 1.0))
    with pytest.raises(ValueError, match=r"num_terms\(\) must be at least 0, got -1"):
        kerasnip.num_terms((-1, 2))
    for make in (kerasnip.hidden_units, kerasnip.epochs, kerasnip.batch_size):
        with pytest.raises(ValueError, match=rf"{make.__name__}\(\) must be at least 1, got 0"):
            make((0, 8))
    assert kerasnip.num_terms((0, 2)) == Int(0, 2, label="# Block Repeats")
    with pytest.raises(ValueError, match="low <= high"):
        Int(5, 1)
    with pytest.raises(TypeError, match="use Float"):
        Int(1, 2.5)
    with pytest.raises(ValueError, match="positive low end"):
        Float(0.0, 1.0, log=True)


def test_registered_optimizers_are_valid_choices():
    import keras

    kerasnip.register_keras_optimizer("tuning_test_sgd", keras.optimizers.SGD)
    assert "tuning_test_sgd" in kerasnip.optimizer_function(["adam", "tuning_test_sgd"]).values


def test_regular_values():
    assert Int(1, 3).regular(3) == [1, 2, 3]
    assert Int(64, 256).regular(3) == [64, 160, 256]
    assert Int(1, 3).regular(5) == [1, 2, 3]  # duplicates after rounding are dropped
    assert kerasnip.batch_size((16, 256)).regular(3) == [16, 64, 256]
    assert Float(0.2, 0.4).regular(3) == [0.2, 0.3, 0.4]
    assert Float(1e-4, 1e-2, log=True).regular(3) == [1e-4, 1e-3, 1e-2]
    assert Choice("a", "b", "c").regular(1) == ["a", "b", "c"]


def test_random_values_cover_the_range_evenly():
    rng = np.random.default_rng(0)
    ints = Int(1, 3).sample(3000, rng)
    counts = np.bincount(ints)[1:]
    assert set(ints) == {1, 2, 3} and counts.min() > 900  # both ends as likely as the middle
    logs = np.log10(Float(1e-4, 1e-1, log=True).sample(3000, rng))
    assert logs.min() >= -4 and logs.max() <= -1
    assert abs(np.mean(logs < -2.5) - 0.5) < 0.05  # uniform on the log scale


def test_to_sklearn_and_distributions(three, marked):
    grid = three.to_sklearn(levels=3)
    assert grid == {"num_hidden": [1, 2, 3], "hidden_units": [64, 160, 256],
                    "hidden_rate": [0.2, 0.3, 0.4]}
    assert list(three.to_sklearn(prefix="model__")) == [
        "model__num_hidden", "model__hidden_units", "model__hidden_rate"]
    params = kerasnip.extract_parameter_set(marked).update(hidden_units=(64, 256))
    dists = params.to_distributions()
    assert dists["compile_optimizer"] == ["adam", "rmsprop", "sgd"]  # keyed by name, not id
    units = dists["hidden_units"].rvs(size=500, random_state=0)
    assert units.min() >= 64 and units.max() <= 256 and units.dtype.kind == "i"
    assert isinstance(dists["learn_rate"].dist, type(stats.loguniform))
    batches = dists["fit_batch_size"].rvs(size=500, random_state=0)
    assert batches.min() >= 16 and batches.max() <= 256
    assert np.median(batches) < 100  # log-uniform: half the draws below sqrt(16 * 256) = 64
    assert isinstance(dists["fit_batch_size"].rvs(random_state=1), int)
