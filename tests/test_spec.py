"""The spec factory: generated signature, docstring, registry, injection and repeats."""

import inspect
import pydoc

import keras
import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor

import kerasnip
import kerasnip.specs
from kerasnip.keras_args import compile_arguments, fit_arguments
from tests.blocks import (
    CLASSIFIER_BLOCKS,
    dense_block,
    input_block,
    softmax_output,
)


def _dense_units(model):
    return [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)]


# --------------------------------------------------------------------------- signature


def test_signature_lists_every_generated_parameter(clf_spec):
    params = inspect.signature(clf_spec).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    # the first block creates the model, so it has no repeat count
    assert "num_input" not in params
    assert params["num_hidden"].default == 1
    assert params["num_output"].default == 1
    # block hyperparameters default to the block function's own defaults
    assert params["hidden_units"].default == 16
    assert params["hidden_rate"].default == 0.0
    # injected arguments are never parameters
    assert not any(name.endswith(("input_shape", "num_classes")) for name in params)
    assert params["learn_rate"].default is None
    assert params["random_state"].default is None
    assert params["verbose"].default == 0
    for arg in ("optimizer", "loss", "metrics", "loss_weights"):
        assert params[f"compile_{arg}"].default is None
    for arg in ("epochs", "batch_size", "callbacks", "class_weight", "validation_split",
                "shuffle", "validation_data"):
        assert params[f"fit_{arg}"].default is None
    # data and verbosity of keras.Model.fit are not parameters
    for arg in ("x", "y", "sample_weight", "verbose"):
        assert f"fit_{arg}" not in params


def test_compile_and_fit_parameters_follow_installed_keras(clf_spec):
    params = inspect.signature(clf_spec).parameters
    keras_compile = set(inspect.signature(keras.Model.compile).parameters) - {"self", "kwargs"}
    keras_fit = set(inspect.signature(keras.Model.fit).parameters) - {
        "self", "x", "y", "sample_weight", "verbose"}
    assert {f"compile_{a}" for a in keras_compile} <= set(params)
    assert {f"fit_{a}" for a in keras_fit} <= set(params)
    assert set(compile_arguments()) == keras_compile
    assert set(fit_arguments()) == keras_fit


def test_get_params_matches_signature_and_init_stores_values(clf_spec):
    est = clf_spec(num_hidden=3, hidden_units=7, fit_epochs=2)
    params = est.get_params()
    assert list(params) == sorted(inspect.signature(clf_spec).parameters)
    assert params["num_hidden"] == 3 and params["hidden_units"] == 7
    assert params["fit_epochs"] == 2 and params["compile_loss"] is None


def test_positional_arguments_are_rejected(clf_spec):
    with pytest.raises(TypeError, match="keyword arguments only"):
        clf_spec(2)


def test_generated_class_bases_and_name(clf_spec, reg_spec):
    assert clf_spec.__name__ == "test_clf"
    assert issubclass(clf_spec, kerasnip.KerasClassifier) and is_classifier(clf_spec())
    assert issubclass(reg_spec, kerasnip.KerasRegressor) and is_regressor(reg_spec())
    # scikit-learn's mixins must come before BaseEstimator in the MRO
    mro = [c.__name__ for c in clf_spec.__mro__]
    assert mro.index("ClassifierMixin") < mro.index("BaseEstimator")


def test_docstring_describes_blocks_parameters_and_injection(clf_spec):
    doc = clf_spec.__doc__
    assert "dense_block(units=16, rate=0.0)" in doc
    assert "softmax_output(no hyperparameters); injected: num_classes" in doc
    assert "input_block(no hyperparameters); injected: input_shape" in doc
    assert "num_hidden : default=1" in doc
    assert "hidden_units : default=16" in doc
    assert "learn_rate : default=None" in doc
    assert "Parameters\n----------" in doc
    # help() shows the real keyword-only signature, not the metaclass's (*args, **kwargs)
    rendered = pydoc.render_doc(clf_spec, renderer=pydoc.plaintext)
    assert "test_clf(*, num_hidden=1, num_output=1, hidden_units=16" in rendered


def test_description_goes_into_docstring():
    cls = kerasnip.create_keras_sequential_spec(
        "described_spec", CLASSIFIER_BLOCKS, "classification", description="An MLP for digits."
    )
    try:
        assert "An MLP for digits." in cls.__doc__
    finally:
        kerasnip.remove_keras_spec("described_spec")


# --------------------------------------------------------------------------- params API


def test_clone_and_set_params(clf_spec):
    est = clf_spec(hidden_units=5, fit_epochs=1)
    copy = clone(est)
    assert copy is not est and type(copy) is clf_spec
    assert copy.get_params() == est.get_params()
    assert est.set_params(hidden_units=9, num_hidden=0) is est
    assert est.hidden_units == 9 and est.num_hidden == 0
    assert copy.hidden_units == 5


def test_clone_of_fitted_estimator_is_unfitted(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    copy = clone(est)
    assert not hasattr(copy, "model_") and copy.get_params() == est.get_params()


def test_mistyped_parameter_at_construction_suggests_the_right_name(clf_spec):
    with pytest.raises(TypeError, match=r"'hiden_units'.*Did you mean 'hidden_units'"):
        clf_spec(hiden_units=32)


def test_mistyped_parameter_at_set_params_suggests_the_right_name(clf_spec):
    est = clf_spec()
    with pytest.raises(TypeError, match=r"Did you mean 'fit_epochs'"):
        est.set_params(fit_epoch=3)
    with pytest.raises(TypeError, match="no close match"):
        est.set_params(zzz=1)


# --------------------------------------------------------------------------- registry


def test_registry_round_trip():
    name = "registry_round_trip"
    cls = kerasnip.create_keras_sequential_spec(name, CLASSIFIER_BLOCKS, "classification")
    assert kerasnip.model_exists(name)
    assert kerasnip.get_spec(name) is cls
    # generated classes resolve by module and name while registered
    assert getattr(kerasnip.specs, name) is cls
    assert kerasnip.remove_keras_spec(name) is True
    assert not kerasnip.model_exists(name)
    assert kerasnip.remove_keras_spec(name) is False
    with pytest.raises(AttributeError, match="no kerasnip spec"):
        getattr(kerasnip.specs, name)


def test_recreating_a_spec_replaces_it_with_a_warning():
    name = "replaced_spec"
    first = kerasnip.create_keras_sequential_spec(name, CLASSIFIER_BLOCKS, "classification")
    try:
        with pytest.warns(UserWarning, match="already exists; replacing it"):
            second = kerasnip.create_keras_sequential_spec(
                name, {"input": input_block, "output": softmax_output}, "classification"
            )
        assert kerasnip.get_spec(name) is second and second is not first
        assert "num_hidden" not in inspect.signature(second).parameters
    finally:
        kerasnip.remove_keras_spec(name)


def test_get_spec_unknown_name_suggests_close_match(clf_spec):
    with pytest.raises(KeyError, match="Did you mean 'test_clf'"):
        kerasnip.get_spec("test_clff")


# --------------------------------------------------------------------------- build


def test_injected_arguments_reach_the_blocks(digits):
    seen = {}

    def recording_input(model, input_shape):
        seen["input_shape"] = input_shape
        return keras.Sequential([keras.Input(shape=input_shape)])

    def recording_output(model, num_classes):
        seen["num_classes"] = num_classes
        model.add(keras.layers.Dense(num_classes, activation="softmax"))
        return model

    cls = kerasnip.create_keras_sequential_spec(
        "recording_spec", {"input": recording_input, "out": recording_output}, "classification"
    )
    try:
        X, y = digits
        cls(fit_epochs=1).fit(X, y)
        assert seen == {"input_shape": (64,), "num_classes": 4}
    finally:
        kerasnip.remove_keras_spec("recording_spec")


def test_num_outputs_is_injected_for_multi_column_regression(reg_spec, regression_data):
    X, y = regression_data
    Y = np.column_stack([y, -y])
    est = reg_spec(fit_epochs=1, random_state=0).fit(X, Y)
    assert _dense_units(est.model_)[-1] == 2
    assert est.predict(X).shape == (len(X), 2)
    single = reg_spec(fit_epochs=1, random_state=0).fit(X, y)
    assert _dense_units(single.model_)[-1] == 1 and single.predict(X).shape == (len(X),)


@pytest.mark.parametrize(("num_hidden", "expected"), [(0, [4]), (1, [6, 4]), (3, [6, 6, 6, 4])])
def test_num_block_repeats_or_removes_a_block(clf_spec, digits, num_hidden, expected):
    X, y = digits
    est = clf_spec(num_hidden=num_hidden, hidden_units=6, fit_epochs=1, random_state=0)
    est.fit(X, y)
    assert _dense_units(est.model_) == expected
    assert est.model_.input_shape == (None, 64)


def test_hyperparameters_apply_to_every_repeat(digits):
    cls = kerasnip.create_keras_sequential_spec(
        "every_repeat",
        {"input": input_block, "hidden": dense_block, "output": softmax_output},
        "classification",
    )
    try:
        X, y = digits
        est = cls(num_hidden=2, hidden_units=3, hidden_rate=0.25, fit_epochs=1).fit(X, y)
        dropouts = [layer.rate for layer in est.model_.layers
                    if isinstance(layer, keras.layers.Dropout)]
        assert dropouts == [0.25, 0.25] and _dense_units(est.model_) == [3, 3, 4]
    finally:
        kerasnip.remove_keras_spec("every_repeat")


@pytest.mark.parametrize(("mode", "arg"), [("regression", "num_classes"),
                                          ("classification", "num_outputs")])
def test_block_requiring_an_argument_its_mode_does_not_inject(mode, arg):
    odd = eval(f"lambda model, {arg}: model")  # a block whose only argument is `arg`
    with pytest.raises(kerasnip.BlockError, match=f"requires '{arg}'.*does not inject"):
        kerasnip.create_keras_sequential_spec(
            "wrong_mode_block", {"input": input_block, "odd": odd}, mode
        )
    assert not kerasnip.model_exists("wrong_mode_block")


def test_injected_argument_with_default_keeps_it_when_not_injected(regression_data):
    def output(model, num_classes=1):
        model.add(keras.layers.Dense(num_classes))
        return model

    cls = kerasnip.create_keras_sequential_spec(
        "default_injected", {"input": input_block, "output": output}, "regression"
    )
    try:
        X, y = regression_data
        est = cls(fit_epochs=1).fit(X, y)
        assert _dense_units(est.model_) == [1]
        assert "output_num_classes" not in est.get_params()
    finally:
        kerasnip.remove_keras_spec("default_injected")
