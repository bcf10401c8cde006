"""The bad-input catalogue: every way a user (or a file) can hand kerasnip something wrong,
and the clear error or warning each gets.

Each case is one call and the exception (or warning) type it must raise, with a phrase of
its message: what went wrong and, where there is one, what to do. Add a case here for
every new refusal.
"""

from __future__ import annotations

import copy
import io
import pickle
import threading
import types

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import kerasnip
from kerasnip import tune
from tests import functional_blocks
from tests.blocks import (
    CLASSIFIER_BLOCKS,
    dense_block,
    input_block,
    softmax_output,
)
from tests.helpers import manifest_with


def _spec(name, blocks, mode="classification"):
    return kerasnip.create_keras_sequential_spec(f"bad_{name}", blocks, mode)


def _functional(name, blocks, mode="regression"):
    return kerasnip.create_keras_functional_spec(f"bad_{name}", blocks, mode)


def _failing_block(model, units=4):
    raise RuntimeError("this block is broken")


def _not_a_model(model, units=4):
    return "a string"


def _three_units(model):
    model.add(keras.layers.Dense(3, activation="softmax"))
    return model


def _logits(model, num_classes):
    model.add(keras.layers.Dense(num_classes))
    return model


def _no_model_arg(units=4):
    return None


def _no_default(model, units):
    return model


def _kwargs_block(model, **options):
    return model


@pytest.fixture(scope="module")
def c(clf_spec, reg_spec, digits, regression_data, tmp_path_factory):
    """What the cases share: specs, data, fitted estimators and saved bytes."""
    X, y = digits
    Xr, yr = regression_data
    clf = clf_spec(fit_epochs=1, random_state=0, hidden_units=4)
    reg = reg_spec(fit_epochs=1, random_state=0, hidden_units=4)
    fitted_clf = clone_fit(clf, X, y)
    fitted_reg = clone_fit(reg, Xr, yr)
    saved = io.BytesIO()
    fitted_reg.save(saved)
    return types.SimpleNamespace(
        X=X, y=y, Xr=Xr, yr=yr, clf_spec=clf_spec, reg_spec=reg_spec, clf=clf, reg=reg,
        fitted_clf=fitted_clf, fitted_reg=fitted_reg, saved=saved.getvalue(),
        tmp=tmp_path_factory.mktemp("bad_input"),
        grid=pd.DataFrame({"hidden_units": [4]}),
        tuned=clf_spec(fit_epochs=1, random_state=0, hidden_units=tune()),
    )


def clone_fit(est, X, y):
    return clone(est).fit(X, y)


def _with(est, **params):
    """A copy of ``est`` with ``params`` set (the cases never change the shared ones)."""
    return clone(est).set_params(**params)


def _with_nan(X, value=np.nan):
    X = X.copy()
    X[0, 0] = value
    return X


def _other_run(c):
    folder = c.tmp / "resume"
    kerasnip.tune_grid(c.tuned, c.X, c.y, resamples=2, grid=c.grid, save_dir=folder)
    kerasnip.tune_grid(c.tuned, c.X, c.y, resamples=3, grid=c.grid, save_dir=folder)


def _swapped_classes(c):
    payload = io.BytesIO()
    c.fitted_clf.save(payload)
    import json
    import zipfile

    with zipfile.ZipFile(io.BytesIO(payload.getvalue())) as archive:
        fitted = json.loads(archive.read("kerasnip.json"))["fitted"]
    fitted["classes_"]["data"] = fitted["classes_"]["data"][::-1]
    kerasnip.load(io.BytesIO(manifest_with(payload.getvalue(), fitted=fitted)))


class _Uncopyable(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()


CASES = [
    # ------------------------------------------------------------------ X
    ("nan in X", lambda c: c.clf.fit(_with_nan(c.X), c.y), ValueError, "Input X contains NaN"),
    ("inf in X", lambda c: c.clf.fit(_with_nan(c.X, np.inf), c.y), ValueError,
     "Input X contains infinity"),
    ("nan in X at predict", lambda c: c.fitted_clf.predict(_with_nan(c.X)), ValueError,
     "Input X contains NaN"),
    ("X and y lengths", lambda c: c.clf.fit(c.X[:10], c.y[:9]), ValueError,
     "inconsistent numbers of samples"),
    ("feature count at predict", lambda c: c.fitted_clf.predict(c.X[:, :10]), ValueError,
     "X has 10 features, but test_clf is expecting 64"),
    ("strings in X", lambda c: c.clf.fit(np.full((10, 3), "a"), c.y[:10]), ValueError,
     r"X holds text \(dtype <U1\).*OneHotEncoder"),
    ("text column", lambda c: c.clf.fit(pd.DataFrame({"a": ["x"] * 10}), c.y[:10]),
     ValueError, r"non-numeric column\(s\) \['a'\].*OneHotEncoder"),
    ("empty X", lambda c: c.clf.fit(np.zeros((0, 64)), []), ValueError,
     r"0 sample\(s\)"),
    ("1-D X", lambda c: c.clf.fit(c.X[:, 0], c.y), ValueError, "Expected 2D array"),
    ("3-D X, dense regressor", lambda c: c.reg.fit(np.repeat(c.Xr[:, None], 3, axis=1), c.yr),
     kerasnip.BuildError, r"shape \(None, 3, 1\).*Flatten\(\).*before block 'output'"),
    ("3-D X, dense classifier", lambda c: c.clf.fit(c.X.reshape(-1, 8, 8), c.y),
     kerasnip.BuildError, r"shape \(None, 8, 4\).*add keras.layers.Flatten"),
    ("image size at predict", lambda c: clone_fit(c.clf, c.X.reshape(-1, 8, 8, 1)[:, :, :, 0]
                                                  .reshape(-1, 64), c.y).predict(
        c.X.reshape(-1, 4, 16)), ValueError, "per-sample shape"),
    ("ragged array column", lambda c: c.clf.fit(
        pd.DataFrame({"img": [np.zeros(3), np.zeros(4)] * 5}), c.y[:10]), ValueError,
     "cells of different shapes"),
    ("missing input", lambda c: _functional("two_in", functional_blocks.TWO_INPUT_BLOCKS,
                                            "classification")(fit_epochs=1).fit(
        {"image": c.X.reshape(-1, 8, 8, 1)}, c.y), ValueError, r"X lacks input\(s\) \['tabular'\]"),
    ("extra input", lambda c: _functional("two_in2", functional_blocks.TWO_INPUT_BLOCKS,
                                          "classification")(fit_epochs=1).fit(
        {"image": c.X.reshape(-1, 8, 8, 1), "tabular": c.X[:, :3], "imag": c.X}, c.y),
     ValueError, "match no input block. Did you mean 'image'"),
    # ------------------------------------------------------------------ y
    ("single class", lambda c: c.clf.fit(c.X, np.zeros(len(c.X))), ValueError,
     "only one class"),
    ("unseen label at score", lambda c: c.fitted_clf.score(c.X[:4], [9, 9, 9, 9]), ValueError,
     r"labels not seen in fit: \[9\]"),
    ("continuous y to a classifier", lambda c: c.clf.fit(c.X, c.y + 0.5), ValueError,
     "looks like a regression target"),
    ("2-D y to a classifier", lambda c: c.clf.fit(c.X, np.column_stack([c.y, c.y])),
     ValueError, "one label per sample"),
    ("missing label", lambda c: c.clf.fit(c.X[:4], np.array(["a", None, "b", "a"], object)),
     ValueError, r"1 missing label\(s\)"),
    ("mixed label types", lambda c: c.clf.fit(c.X[:4], np.array(["a", 1, "b", 2], object)),
     ValueError, "mixes label types"),
    ("nan in regression y", lambda c: c.reg.fit(c.Xr, _with_nan(c.yr[:, None])[:, 0]),
     ValueError, "Input y contains NaN"),
    ("3-D regression y", lambda c: c.reg.fit(c.Xr, np.zeros((len(c.Xr), 2, 2))), ValueError,
     "1-D or 2-D"),
    ("y is None", lambda c: c.clf.fit(c.X, None), ValueError, "requires y to be passed"),
    ("evaluate without y", lambda c: kerasnip.keras_evaluate(c.fitted_clf, c.X, None),
     ValueError, "requires y to be passed"),
    ("y width at score", lambda c: c.fitted_reg.score(c.Xr, np.zeros((len(c.Xr), 2))),
     ValueError, r"y has 2 column\(s\) but the model was fitted on 1"),
    ("multi-output y lacks a head", lambda c: _functional(
        "heads", functional_blocks.TWO_HEAD_BLOCKS, "classification")(fit_epochs=1).fit(
        c.X, pd.DataFrame({"digit": c.y})), ValueError, r"y lacks output\(s\) \['ink'\]"),
    # ------------------------------------------------------------------ parameters
    ("negative epochs", lambda c: _with(c.clf, fit_epochs=-1).fit(c.X, c.y), ValueError,
     "fit_epochs must be a non-negative integer"),
    ("float epochs", lambda c: _with(c.clf, fit_epochs=1.5).fit(c.X, c.y), ValueError,
     "fit_epochs must be a non-negative integer"),
    ("zero batch", lambda c: _with(c.clf, fit_batch_size=0).fit(c.X, c.y), ValueError,
     "fit_batch_size must be a positive integer"),
    ("split of 1", lambda c: _with(c.clf, fit_validation_split=1.0).fit(c.X, c.y),
     ValueError, r"fraction in \[0, 1\)"),
    ("negative repeats", lambda c: _with(c.clf, num_hidden=-1).fit(c.X, c.y), ValueError,
     "num_hidden must be a non-negative integer"),
    ("fractional repeats", lambda c: _with(c.clf, num_hidden=1.5).fit(c.X, c.y),
     ValueError, "num_hidden must be a non-negative integer"),
    ("output repeated", lambda c: _with(c.clf, num_output=2).fit(c.X, c.y), ValueError,
     "num_output must be 1, got 2: block 'output' makes the model's output"),
    ("output removed", lambda c: _with(c.clf, num_output=0).fit(c.X, c.y), ValueError,
     "num_output must be 1, got 0"),
    ("zero learning rate", lambda c: _with(c.clf, learn_rate=0).fit(c.X, c.y), ValueError,
     "learn_rate must be a positive number"),
    ("negative units", lambda c: _with(c.clf, hidden_units=-3).fit(c.X, c.y),
     kerasnip.BuildError, r"Block 'hidden' failed with \{.*'units': -3"),
    ("dropout above 1", lambda c: _with(c.clf, hidden_rate=1.5).fit(c.X, c.y),
     kerasnip.BuildError, "Block 'hidden' failed"),
    ("unknown optimizer", lambda c: _with(c.clf, compile_optimizer="adamm").fit(c.X, c.y),
     ValueError, "Unknown optimizer 'adamm'. Did you mean 'adam'"),
    ("unknown loss", lambda c: _with(c.clf, compile_loss="categorial_crossentropy").fit(
        c.X, c.y), ValueError, "Unknown loss 'categorial_crossentropy'. Did you mean"),
    ("unknown metric", lambda c: _with(c.clf, compile_metrics=["acuracy"]).fit(c.X, c.y),
     ValueError, "Unknown metric 'acuracy'. Did you mean 'accuracy'"),
    ("typo at construction", lambda c: c.clf_spec(fit_epoch=3), TypeError,
     "Did you mean 'fit_epochs'"),
    ("typo at set_params", lambda c: _with(c.clf, hiden_units=3), ValueError,
     "Did you mean 'hidden_units'"),
    ("positional argument", lambda c: c.clf_spec(3), TypeError, "keyword arguments only"),
    ("tune() left at fit", lambda c: c.tuned.fit(c.X, c.y), kerasnip.NotTunedError,
     r"\['hidden_units'\] are marked with tune\(\)"),
    ("bad random_state", lambda c: _with(c.clf, random_state="seed").fit(c.X, c.y),
     ValueError, "random_state must be None, an int or a numpy RandomState"),
    ("learn_rate with an optimizer object", lambda c: _with(c.clf,
        compile_optimizer=keras.optimizers.Adam(), learn_rate=0.1).fit(c.X, c.y), ValueError,
     "learn_rate is set but compile_optimizer is an optimizer instance"),
    ("uncopyable callback", lambda c: _with(c.clf, fit_callbacks=[_Uncopyable()]).fit(
        c.X, c.y), TypeError, "cannot be deep-copied"),
    ("class weight on a regressor", lambda c: _with(c.reg, fit_class_weight="balanced")
     .fit(c.Xr, c.yr), ValueError, "fit_class_weight applies to classifiers only"),
    ("class weight of unknown labels", lambda c: _with(c.clf, fit_class_weight={7: 2.0})
     .fit(c.X, c.y), ValueError, r"fit_class_weight contains labels not seen in fit: \[7\]"),
    ("negative sample weight", lambda c: c.clf.fit(c.X, c.y, sample_weight=-np.ones(len(c.y))),
     ValueError, "Negative values in data passed to `sample_weight`"),
    ("sample weight length", lambda c: c.clf.fit(c.X, c.y, sample_weight=np.ones(3)),
     ValueError, r"sample_weight.shape == \(3,\), expected \(80,\)"),
    ("validation data of the wrong form", lambda c: _with(c.clf,
        fit_validation_data=c.X).fit(c.X, c.y), ValueError,
     r"fit_validation_data must be a tuple \(X_val, y_val\)"),
    ("zero epochs", lambda c: _with(c.clf, fit_epochs=0).fit(c.X, c.y), UserWarning,
     "fit_epochs=0 trains nothing"),
    ("diverging loss", lambda c: c.reg.fit(c.Xr * 1e30, c.yr), kerasnip.TrainingError,
     r"Training diverged: the loss was nan at epoch 1.*need scaling.*\d\.\d+e\+30"),
    # ------------------------------------------------------------------ blocks and specs
    ("block without the model argument", lambda c: _spec("nomodel", {"input": _no_model_arg}),
     kerasnip.BlockError, "must take the model as its first argument"),
    ("block argument without default", lambda c: _spec(
        "nodefault", {"input": input_block, "hidden": _no_default}), kerasnip.BlockError,
     "Argument 'units' of block 'hidden' has no default"),
    ("block taking **kwargs", lambda c: _spec(
        "kwargs", {"input": input_block, "hidden": _kwargs_block}), kerasnip.BlockError,
     r"takes \*\*options; list each hyperparameter"),
    ("block that is not callable", lambda c: _spec("notcallable", {"input": 3}),
     kerasnip.BlockError, "must be a function"),
    ("reserved block name", lambda c: _spec("reserved", {"input": input_block,
                                                         "fit": dense_block}),
     kerasnip.BlockError, "Block name 'fit' is reserved"),
    ("block name not an identifier", lambda c: _spec("identifier", {"input": input_block,
                                                                    "my-block": dense_block}),
     kerasnip.BlockError, "is not a valid Python identifier"),
    ("unknown mode", lambda c: _spec("mode", CLASSIFIER_BLOCKS, "clasification"), ValueError,
     "Unknown mode 'clasification'. Did you mean 'classification'"),
    ("block that raises", lambda c: _spec("failing", {
        "input": input_block, "hidden": _failing_block, "output": softmax_output})(
        fit_epochs=1).fit(c.X, c.y), kerasnip.BuildError,
     "Block 'hidden' failed with {'units': 4}: RuntimeError: this block is broken"),
    ("block returning no model", lambda c: _spec("nomodel_out", {
        "input": input_block, "hidden": _not_a_model, "output": softmax_output})(
        fit_epochs=1).fit(c.X, c.y), kerasnip.BuildError,
     "Block 'hidden' returned str, not a Keras model"),
    ("output width against classes", lambda c: _spec("width", {
        "input": input_block, "output": _three_units})(fit_epochs=1).fit(c.X, c.y),
     kerasnip.BuildError, r"3 unit\(s\) but its target in y has 4 classes.*num_classes"),
    ("output width against y columns", lambda c: _spec("fixed_width", {
        "input": input_block, "output": lambda model: model.add(keras.layers.Dense(1)) or model},
        "regression")(fit_epochs=1).fit(c.Xr, np.column_stack([c.yr, c.yr])),
     kerasnip.BuildError, r"1 unit\(s\) but y has 2 column\(s\).*num_outputs"),
    ("one unit with a categorical loss", lambda c: _spec("oneunit", {
        "input": input_block, "output": lambda model: model.add(
            keras.layers.Dense(1, activation="sigmoid")) or model})(
        fit_epochs=1, compile_loss="categorical_crossentropy").fit(c.X[c.y < 2], c.y[c.y < 2]),
     kerasnip.BuildError, "compile_loss='binary_crossentropy'"),
    ("output that is not probabilities", lambda c: _spec("logits", {
        "input": input_block, "output": _logits})(
        fit_epochs=1, compile_loss="sparse_categorical_crossentropy").fit(c.X, c.y).predict(
        c.X), ValueError, "not class probabilities.*activation='softmax'"),
    ("graph with a cycle", lambda c: _functional("cycle", {
        "a": lambda b: b, "b": lambda a: a, "output": lambda a: a}), kerasnip.BlockError,
     "The blocks form a cycle"),
    ("argument naming no block", lambda c: _functional("noblock", {
        "inp": functional_blocks.input_block,
        "output": lambda tensr: tensr}), kerasnip.BlockError,
     "Argument 'tensr' of block 'output' names no block"),
    ("graph without an output", lambda c: _functional("nooutput", {
        "inp": functional_blocks.input_block,
        "dense": kerasnip.inp_spec(functional_blocks.path_block, "inp")}),
     kerasnip.BlockError, "The graph has no output block"),
    # ------------------------------------------------------------------ tuning
    ("regression metric for a classifier", lambda c: kerasnip.tune_grid(
        c.tuned, c.X, c.y, grid=c.grid, metrics=["r2"]), ValueError,
     "metric 'r2' scores regression, but test_clf is a classification model"),
    ("one resample", lambda c: kerasnip.tune_grid(c.tuned, c.X, c.y, grid=c.grid,
                                                  resamples=1), ValueError,
     "resamples must be a number of folds of at least 2"),
    ("unknown tuning metric", lambda c: kerasnip.tune_grid(
        c.tuned, c.X, c.y, grid=c.grid, metrics=["acurracy"]), ValueError,
     "Unknown metric 'acurracy'. Did you mean 'accuracy'"),
    ("grid column of no parameter", lambda c: kerasnip.tune_grid(
        c.tuned, c.X, c.y, grid=pd.DataFrame({"hidden_unit": [4]})), KeyError,
     r"grid column\(s\) \['hidden_unit'\] name neither.*Did you mean 'hidden_units' or"),
    ("grid without a tuned column", lambda c: kerasnip.tune_grid(
        c.tuned, c.X, c.y, grid=pd.DataFrame({"fit_epochs": [1]})), KeyError,
     r"grid has no column for tuned parameter\(s\) \['hidden_units'\]"),
    ("grid from another spec's parameters", lambda c: kerasnip.tune_grid(
        c.tuned, c.X, c.y, params=kerasnip.extract_parameter_set(
            c.reg_spec(hidden_rate=tune()))), ValueError,
     r"params describes \{'hidden_rate': 'hidden_rate'\} but the spec's tune\(\) markers"),
    ("range unknown", lambda c: kerasnip.grid_regular(kerasnip.extract_parameter_set(
        c.clf_spec(compile_metrics=tune()))), ValueError,
     r"\['compile_metrics'\].*params.update"),
    ("tuning a class, not an instance", lambda c: kerasnip.extract_parameter_set(c.clf_spec),
     TypeError, "instance of a kerasnip spec"),
    ("resuming another run", _other_run, ValueError,
     "holds results of a different tune_grid run"),
    ("finalize with an unknown name", lambda c: kerasnip.finalize(c.tuned, {"hiden_units": 4}),
     KeyError, r"Did you mean 'hidden_units' or 'hidden_rate'\?"),
    # ------------------------------------------------------------------ tables and plots
    ("unknown prediction type", lambda c: kerasnip.predict_table(c.fitted_clf, c.X, "probs"),
     ValueError, "Unknown prediction type 'probs' for a classification model. Did you mean"),
    ("interval option of a class table", lambda c: kerasnip.predict_table(
        c.fitted_clf, c.X, "class", n_draws=10), TypeError,
     r"takes no extra arguments; \['n_draws'\] apply to the interval types"),
    ("predict before fit", lambda c: c.clf.predict(c.X), NotFittedError, "is not fitted yet"),
    ("intervals of a model without a Dense output", lambda c: kerasnip.predict_table(
        _spec("nodense", {"input": input_block, "hidden": dense_block,
                          "output": lambda model: model.add(keras.layers.Dense(1)) or model.add(
                              keras.layers.Reshape((1,))) or model}, "regression")(
            fit_epochs=1).fit(c.Xr, c.yr), c.Xr, "pred_int"),
     kerasnip.IntervalsNotAvailableError, "not Dense"),
    # ------------------------------------------------------------------ files
    ("damaged file", lambda c: kerasnip.load(io.BytesIO(c.saved[: len(c.saved) // 2])),
     kerasnip.LoadError, "truncated or corrupted"),
    ("a pickle given to load", lambda c: kerasnip.load(io.BytesIO(pickle.dumps(
        c.fitted_reg))), kerasnip.LoadError, "it is a pickle"),
    ("untrusted block function", lambda c: kerasnip.load(io.BytesIO(_renamed_block(c.saved))),
     kerasnip.LoadError, r"\['builtins:print'\] that this process does not trust"),
    ("swapped classes in a file", _swapped_classes, kerasnip.LoadError,
     "differ from the classes its encoder decodes to"),
    ("missing registered loss", lambda c: kerasnip.load(io.BytesIO(manifest_with(
        c.saved, registered={"loss": {"my_loss": "my_loss"}}))), kerasnip.LoadError,
     r"register_keras_loss\('my_loss', \.\.\.\)"),
    ("method name in the fitted state", lambda c: kerasnip.load(io.BytesIO(manifest_with(
        c.saved, fitted={**_fitted(c.saved), "predict": "str"}))), kerasnip.LoadError,
     r"sets \['predict'\], which are not fitted attributes"),
]


def _fitted(payload):
    import json
    import zipfile

    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return json.loads(archive.read("kerasnip.json"))["fitted"]


def _renamed_block(payload):
    import json
    import zipfile

    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        spec = json.loads(archive.read("kerasnip.json"))["spec"]
    spec = copy.deepcopy(spec)
    spec["token"] = "0" * 32
    spec["blocks"][1]["function"] = "builtins:print"
    return manifest_with(payload, spec=spec)


def test_the_catalogue_is_long_enough():
    assert len(CASES) >= 60
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(("action", "expected", "phrase"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_input_gets_a_clear_error(c, action, expected, phrase):
    if issubclass(expected, Warning):
        with pytest.warns(expected, match=phrase):
            action(c)
    else:
        with pytest.raises(expected, match=phrase):
            action(c)
