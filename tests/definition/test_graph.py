"""Functional specs: graph introspection, parameters, bad graphs, and building."""

import inspect
import itertools
import warnings

import keras
import numpy as np
import pytest

import kerasnip
from kerasnip import BlockError, BuildError, inp_spec
from tests.functional_blocks import (
    FORK_JOIN_BLOCKS,
    TWO_HEAD_BLOCKS,
    TWO_INPUT_BLOCKS,
    concat_block,
    fork_join_data,
    input_block,
    path_block,
    regression_output,
    softmax_output,
)


@pytest.fixture(scope="module")
def fork_join():
    return kerasnip.create_keras_functional_spec("fj_graph", FORK_JOIN_BLOCKS, "regression")


def _dense_units(model):
    return [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def _concatenation(model):
    return next(layer for layer in model.layers if isinstance(layer, keras.layers.Concatenate))


_COUNTER = itertools.count()


def _create(blocks, mode="regression", name=None):
    # a fresh name per spec, so no test sees another's "replacing it" warning
    return kerasnip.create_keras_functional_spec(name or f"graph_{next(_COUNTER)}", blocks, mode)


# --------------------------------------------------------------------------- parameters


def test_parameters_follow_the_graph(fork_join):
    params = inspect.signature(fork_join).parameters
    # single-input blocks repeat; input and multi-input blocks do not
    assert {"num_path_a", "num_path_b", "num_output"} <= set(params)
    assert "num_main_input" not in params
    assert "num_concatenated" not in params
    assert params["path_a_units"].default == 16
    assert params["path_b_units"].default == 16
    # upstream arguments and injected values are never parameters
    assert not any(name.endswith(("_tensor", "_input_a", "_main_input", "_num_outputs"))
                   for name in params)


def test_docstring_lists_blocks(fork_join):
    assert fork_join.__doc__.startswith("Functional Keras regression model")
    assert "path_a : path_block(units=16)" in fork_join.__doc__


def test_graph_inputs_outputs_and_order(fork_join):
    graph = fork_join.kerasnip_spec.graph()
    assert graph.inputs == ("main_input",)
    assert graph.outputs == ("output",)
    assert graph.order == tuple(FORK_JOIN_BLOCKS)
    assert not graph.multi_input and not graph.multi_output
    two = _create(TWO_INPUT_BLOCKS, "classification").kerasnip_spec.graph()
    assert two.inputs == ("image", "tabular") and two.multi_input
    heads = _create(TWO_HEAD_BLOCKS, "classification").kerasnip_spec.graph()
    assert heads.outputs == ("digit", "ink") and heads.multi_output


@pytest.mark.parametrize("name", ["num_concatenated", "num_main_input"])
def test_num_of_a_block_that_cannot_repeat_is_refused(fork_join, name):
    reason = "several inputs ['path_a', 'path_b']" if "concat" in name else "input block"
    with pytest.raises(TypeError, match=rf"cannot be repeated \(it (takes|is an) .*{reason[-12:]}"):
        fork_join(**{name: 2})
    with pytest.raises(ValueError, match="cannot be repeated"):  # as scikit-learn's set_params
        fork_join().set_params(**{name: 2})


def test_mistyped_parameter_gets_did_you_mean(fork_join):
    with pytest.raises(TypeError, match="Did you mean 'path_a_units'"):
        fork_join(path_a_unit=8)


# --------------------------------------------------------------------------- bad graphs


def test_edge_to_unknown_block_is_an_error():
    blocks = {**FORK_JOIN_BLOCKS, "path_b": inp_spec(path_block, "main_inptu")}
    with pytest.raises(BlockError, match=r"'main_inptu' of block 'path_b' names no block.*"
                                         r"Did you mean 'main_input'"):
        _create(blocks)


def test_argument_without_default_that_names_no_block_is_an_error():
    blocks = {"main_input": input_block, "output": regression_output}
    with pytest.raises(BlockError, match=r"'tensor' of block 'output' names no block.*inp_spec"):
        _create(blocks)


def test_cycle_is_an_error():
    def a(b, units=3):
        return b

    def b(a):
        return a

    blocks = {"main_input": input_block, "a": a, "b": b,
              "output": inp_spec(regression_output, "a")}
    with pytest.raises(BlockError, match=r"cycle: (a -> b -> a|b -> a -> b)"):
        _create(blocks)


def test_block_using_itself_is_a_cycle():
    def looped(looped, units=3):
        return looped

    with pytest.raises(BlockError, match="cycle: looped -> looped"):
        _create({"main_input": input_block, "looped": looped,
                 "output": inp_spec(regression_output, "looped")})


def test_block_referring_to_a_later_block_is_an_error():
    blocks = {
        "main_input": input_block,
        "output": inp_spec(regression_output, "hidden"),
        "hidden": inp_spec(path_block, "main_input"),
    }
    with pytest.raises(BlockError, match=r"'output' uses \['hidden'\], which is listed after it.*"
                                         r"\['main_input', 'hidden', 'output'\]"):
        _create(blocks)


def test_no_output_block_is_an_error():
    blocks = {"main_input": input_block, "final": inp_spec(regression_output, "main_input")}
    with pytest.raises(BlockError, match=r"no output block.*rename 'final'"):
        _create(blocks)


def test_block_feeding_nothing_warns_and_is_left_out(regression_data):
    blocks = {**FORK_JOIN_BLOCKS, "stray": inp_spec(path_block, "main_input")}
    with pytest.warns(UserWarning, match=r"\['stray'\] feed nothing that reaches the output"):
        spec = _create(blocks, name="stray_graph")
    assert spec.kerasnip_spec.graph().unused == ("stray",)
    X, y = fork_join_data()
    est = spec(path_a_units=3, path_b_units=5, stray_units=7, fit_epochs=1).fit(X, y)
    assert 7 not in _dense_units(est.model_)
    assert est.predict(X).shape == (len(X),)


def test_unconnected_block_without_input_shape_is_an_error():
    def orphan(units=4):
        return keras.layers.Dense(units)

    with pytest.raises(BlockError, match=r"'orphan' has no upstream argument.*input_shape"):
        _create({"main_input": input_block, "orphan": orphan,
                 "output": inp_spec(regression_output, "main_input")})


def test_inp_spec_naming_a_missing_argument_is_an_error():
    with pytest.raises(BlockError, match=r"\['input_bb'\] that block 'concat_block' does not "
                                         r"have.*Did you mean 'input_b'"):
        inp_spec(concat_block, {"input_a": "path_a", "input_bb": "path_b"})


def test_inp_spec_map_in_r_order_gets_a_swap_hint():
    with pytest.raises(BlockError, match="looks swapped"):
        inp_spec(concat_block, {"path_a": "input_a", "path_b": "input_b"})


def test_inp_spec_with_neither_a_name_nor_a_map_is_an_error():
    with pytest.raises(BlockError, match=r"upstream block name \(str\) or a dict.*got int"):
        inp_spec(concat_block, 5)


def test_inp_spec_rename_clash_is_an_error():
    with pytest.raises(BlockError, match=r"\['input_b'\] must be distinct"):
        inp_spec(concat_block, {"input_a": "input_b"})


def test_functional_defaults_clean_of_tune_markers(fork_join):
    # every default is a plain value (scikit-learn's default-constructible check)
    assert all(isinstance(v, (int, float, str, type(None))) for v in fork_join().get_params()
               .values())


# --------------------------------------------------------------------------- build


def test_widths_and_repeats_shape_the_model(fork_join):
    X, y = fork_join_data()
    est = fork_join(path_a_units=3, path_b_units=5, num_path_a=3, fit_epochs=1,
                    random_state=0).fit(X, y)
    # three chained path_a layers, one path_b layer, the output layer
    assert sorted(_dense_units(est.model_)) == [1, 3, 3, 3, 5]
    concat = _concatenation(est.model_)
    assert concat.output.shape[-1] == 8


def test_zero_repeats_pass_the_input_through(fork_join):
    X, y = fork_join_data()
    est = fork_join(num_path_a=0, path_b_units=5, fit_epochs=1).fit(X, y)
    assert sorted(_dense_units(est.model_)) == [1, 5]
    concat = _concatenation(est.model_)
    # path_a passes the 5 raw features through to the concatenation
    assert concat.output.shape[-1] == 5 + 5


def test_block_returning_a_layer_gets_a_clear_error():
    def lazy(tensor, units=4):
        return keras.layers.Dense(units)

    spec = _create({"main_input": input_block, "hidden": inp_spec(lazy, "main_input"),
                    "output": inp_spec(regression_output, "hidden")})
    X, y = fork_join_data()
    with pytest.raises(BuildError, match=r"'hidden' returned Dense.*call it on the input"):
        spec(fit_epochs=1).fit(X, y)


def test_block_returning_a_model_is_told_to_return_a_tensor():
    def wrapped(tensor, units=4):
        return keras.Model(tensor, keras.layers.Dense(units)(tensor))

    spec = _create({"main_input": input_block, "hidden": inp_spec(wrapped, "main_input"),
                    "output": inp_spec(regression_output, "hidden")})
    X, y = fork_join_data()
    # A Model is also a Layer; the layer hint ("keras.layers.Functional(...)") would mislead.
    with pytest.raises(BuildError, match=r"'hidden' returned Functional.*return tensors, "
                                         r"not models") as caught:
        spec(fit_epochs=1).fit(X, y)
    assert "keras.layers." not in str(caught.value)


def test_input_block_must_return_an_input():
    def dense_input(input_shape, units=4):
        return keras.layers.Dense(units)(keras.Input(shape=input_shape))

    spec = _create({"main_input": dense_input, "output": inp_spec(regression_output,
                                                                   "main_input")})
    X, y = fork_join_data()
    with pytest.raises(BuildError, match=r"Input block 'main_input' must return "
                                         r"`keras.Input\(shape=input_shape\)`"):
        spec(fit_epochs=1).fit(X, y)


def test_num_classes_outside_the_heads_of_a_multi_output_model_is_an_error():
    def sized(tensor, num_classes):
        return keras.layers.Dense(num_classes)(tensor)

    blocks = {**TWO_HEAD_BLOCKS, "trunk": inp_spec(sized, "pixels")}
    spec = _create(blocks, "classification", name="sized_trunk")
    from tests.functional_blocks import two_head_data

    X, y = two_head_data()
    with pytest.raises(BuildError, match=r"'trunk' takes `num_classes`, which only "
                                         r"classification output blocks"):
        spec(fit_epochs=1).fit(X, y)


def test_classification_spec_with_num_outputs_head_is_refused_for_a_single_output():
    with pytest.raises(BlockError, match="requires 'num_outputs'"):
        _create({"main_input": input_block, "output": inp_spec(regression_output,
                                                                "main_input")},
                "classification", name="wrong_mode")


def test_binary_sigmoid_head():
    from tests.functional_blocks import digits, sigmoid_output

    X, y = digits(40, n_class=2)
    spec = _create({"main_input": input_block, "output": inp_spec(sigmoid_output,
                                                                   "main_input")},
                   "classification", name="binary_fn")
    est = spec(fit_epochs=2, random_state=0).fit(X, np.where(y == 1, "one", "zero"))
    assert est.target_format_ == "binary"
    assert est.predict_proba(X).shape == (40, 2)
    assert set(est.predict(X)) <= {"one", "zero"}


def test_recreating_a_spec_warns_and_replaces():
    _create(FORK_JOIN_BLOCKS, name="fj_twice")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = _create(FORK_JOIN_BLOCKS, name="fj_twice")
    assert any("replacing" in str(w.message) for w in caught)
    assert kerasnip.get_spec("fj_twice") is second


def test_softmax_head_gets_num_classes():
    from tests.functional_blocks import digits

    X, y = digits(40, n_class=3)
    spec = _create({"main_input": input_block, "output": inp_spec(softmax_output,
                                                                   "main_input")},
                   "classification", name="softmax_fn")
    est = spec(fit_epochs=1).fit(X, y)
    assert _dense_units(est.model_) == [3]
