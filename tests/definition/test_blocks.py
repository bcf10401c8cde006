"""Bad blocks and block sets: each fails at spec creation (or build) with a clear message."""

import keras
import numpy as np
import pytest

import kerasnip
from kerasnip.definition.blocks import INJECTED_ARGS, inspect_sequential_block
from tests.blocks import dense_block, input_block, softmax_output


def _spec(blocks, mode="classification", name="bad_spec"):
    return kerasnip.create_keras_sequential_spec(name, blocks, mode)


@pytest.fixture(autouse=True)
def _no_leftover_spec():
    yield
    kerasnip.remove_keras_spec("bad_spec")


def test_block_introspection_splits_inputs_injected_and_hyperparameters():
    def block(model, num_classes, units=8, *, activation="relu"):
        return model

    info = inspect_sequential_block("out", block)
    assert info.inputs == ("model",)
    assert info.injected == ("num_classes",)
    assert info.defaults() == {"units": 8, "activation": "relu"}
    assert set(INJECTED_ARGS) == {"input_shape", "num_classes", "num_outputs"}


def test_hyperparameter_without_default():
    def no_default(model, units):
        return model

    with pytest.raises(kerasnip.BlockError,
                       match=r"Argument 'units' of block 'hidden' has no default"):
        _spec({"input": input_block, "hidden": no_default})
    assert not kerasnip.model_exists("bad_spec")


def test_non_callable_block():
    with pytest.raises(kerasnip.BlockError, match=r"Block 'hidden' must be a function.*int"):
        _spec({"input": input_block, "hidden": 3})


@pytest.mark.parametrize("name", ["compile", "fit", "learn", "random", "verbose", "num"])
def test_reserved_block_names(name):
    with pytest.raises(kerasnip.BlockError, match=f"Block name '{name}' is reserved"):
        _spec({"input": input_block, name: dense_block})


@pytest.mark.parametrize("name", ["2dense", "my-block", "has space", "", "class", 7])
def test_block_names_that_are_not_identifiers(name):
    with pytest.raises(kerasnip.BlockError, match="not a valid Python identifier"):
        _spec({"input": input_block, name: dense_block})


def test_clashing_generated_parameter_names():
    def a_units_block(model, a_units=4):
        return model

    # block "hidden" + argument "a_units" and block "hidden_a" + argument "units"
    # would both become the parameter "hidden_a_units"
    with pytest.raises(kerasnip.BlockError,
                       match=r"'hidden_a_units' is generated twice.*block 'hidden'.*'hidden_a'"):
        _spec({"input": input_block, "hidden": a_units_block, "hidden_a": dense_block})


def test_clash_between_repeat_count_and_block_argument():
    # the repeat count of block "a_units" and argument "units" of block "num_a"
    # would both become "num_a_units"
    with pytest.raises(kerasnip.BlockError,
                       match=r"'num_a_units' is generated twice.*repeat count of block 'a_units'"):
        _spec({"input": input_block, "a_units": dense_block, "num_a": dense_block})


@pytest.mark.parametrize("mode", ["classifcation", "Regression", "survival", None])
def test_unknown_mode_lists_choices(mode):
    with pytest.raises(ValueError, match=r"Unknown mode.*\['classification', 'regression'\]"):
        _spec({"input": input_block, "output": softmax_output}, mode=mode)


def test_unknown_mode_suggests_close_match():
    with pytest.raises(ValueError, match="Did you mean 'classification'"):
        _spec({"input": input_block, "output": softmax_output}, mode="classifcation")


@pytest.mark.parametrize("blocks", [{}, [("input", input_block)], None])
def test_layer_blocks_must_be_a_non_empty_dict(blocks):
    with pytest.raises(kerasnip.BlockError, match="non-empty dict"):
        _spec(blocks)


@pytest.mark.parametrize("name", ["my model", "1st", "", None])
def test_model_name_must_be_an_identifier(name):
    with pytest.raises(ValueError, match="model_name must be a Python identifier"):
        kerasnip.create_keras_sequential_spec(name, {"input": input_block}, "classification")


def test_varargs_block():
    def star(model, **kwargs):
        return model

    with pytest.raises(kerasnip.BlockError, match=r"takes \*\*kwargs.*named argument"):
        _spec({"input": input_block, "star": star})


def test_sequential_block_must_take_the_model_first():
    def no_model(units=3):
        return None

    def shape_first(input_shape, units=3):
        return None

    for block in (no_model, shape_first):
        with pytest.raises(kerasnip.BlockError, match="must take the model as its first argument"):
            _spec({"input": block})


def test_block_returning_something_else_fails_at_fit(digits):
    def forgets_return(model, units=4):
        model.add(keras.layers.Dense(units))

    cls = _spec({"input": input_block, "hidden": forgets_return, "output": softmax_output})
    X, y = digits
    with pytest.raises(kerasnip.BuildError,
                       match=r"Block 'hidden' returned NoneType.*return the model it was given"):
        cls(fit_epochs=1).fit(X, y)


def test_block_raising_names_the_block_and_its_arguments(digits):
    cls = _spec({"input": input_block, "hidden": dense_block, "output": softmax_output})
    X, y = digits
    with pytest.raises(kerasnip.BuildError,
                       match=r"Block 'hidden' failed with \{'units': -3, 'rate': 0.0\}"):
        cls(hidden_units=-3, fit_epochs=1).fit(X, y)


def test_block_failing_to_import_a_dependency_is_named(digits):
    def needs_a_package(model, units=4):
        import kerasnip_no_such_package  # noqa: F401

    cls = _spec({"input": input_block, "hidden": needs_a_package, "output": softmax_output})
    X, y = digits
    # Only a loaded estimator's unimportable block (BlockImportError) passes through unwrapped.
    with pytest.raises(kerasnip.BuildError, match=r"Block 'hidden' failed with \{'units': 4\}: "
                                                  r"ModuleNotFoundError"):
        cls(fit_epochs=1).fit(X, y)


def test_output_width_must_match_the_classes(digits):
    def three_units(model):
        model.add(keras.layers.Dense(3, activation="softmax"))
        return model

    cls = _spec({"input": input_block, "output": three_units})
    X, y = digits
    with pytest.raises(kerasnip.BuildError,
                       match=r"3 unit\(s\) but its target in y has 4 classes.*num_classes"):
        cls(fit_epochs=1).fit(X, y)


def test_output_width_must_match_regression_columns():
    def two_units(model):
        model.add(keras.layers.Dense(2))
        return model

    cls = _spec({"input": input_block, "output": two_units}, mode="regression")
    rng = np.random.default_rng(0)
    with pytest.raises(kerasnip.BuildError, match=r"2 unit\(s\) but y has 1 column.*num_outputs"):
        cls(fit_epochs=1).fit(rng.normal(size=(8, 3)), rng.normal(size=8))
