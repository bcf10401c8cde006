"""Text and HTML representations of generated estimators (scikit-learn's own machinery)."""

import re
import warnings

import keras
import pytest
import sklearn
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import kerasnip


def test_repr_of_defaults_is_just_the_class(clf_spec):
    assert repr(clf_spec()) == "test_clf()"


def test_repr_shows_only_parameters_changed_from_defaults(clf_spec):
    est = clf_spec(fit_epochs=3, hidden_units=32, compile_optimizer="rmsprop")
    assert repr(est) == "test_clf(compile_optimizer='rmsprop', fit_epochs=3, hidden_units=32)"


def test_parameter_set_to_its_default_is_not_shown(clf_spec):
    # hidden_units defaults to the block's own default (16), num_hidden to 1
    assert repr(clf_spec(hidden_units=16, num_hidden=1, verbose=0)) == "test_clf()"
    assert repr(clf_spec(num_hidden=0)) == "test_clf(num_hidden=0)"


def test_repr_shows_tune_markers(clf_spec):
    est = clf_spec(hidden_units=kerasnip.tune(), num_hidden=kerasnip.tune("depth"))
    assert repr(est) == "test_clf(hidden_units=tune(), num_hidden=tune('depth'))"


def test_repr_shows_callbacks_and_lists(clf_spec):
    stop = keras.callbacks.EarlyStopping(patience=2)
    est = clf_spec(fit_callbacks=[stop], compile_metrics=["accuracy"])
    text = repr(est)
    assert text.startswith("test_clf(compile_metrics=['accuracy'],")
    assert "fit_callbacks=[<keras.src.callbacks.early_stopping.EarlyStopping object" in text


def test_repr_after_set_params_and_fit(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).set_params(hidden_units=4)
    before = repr(est)
    assert before == "test_clf(fit_epochs=1, hidden_units=4, random_state=0)"
    assert repr(est.fit(X, y)) == before  # fitting changes no parameter


def test_print_changed_only_false_lists_every_parameter(clf_spec):
    with sklearn.config_context(print_changed_only=False):
        text = repr(clf_spec(fit_epochs=3))
    names = re.findall(r"(\w+)=", text)
    assert names == sorted(clf_spec().get_params())
    assert "fit_epochs=3" in text and "hidden_units=16" in text


def test_long_reprs_are_wrapped_like_scikit_learn(clf_spec):
    est = clf_spec(fit_epochs=3, hidden_units=32, hidden_rate=0.25, compile_optimizer="rmsprop",
                   compile_loss="categorical_crossentropy", fit_batch_size=64, random_state=1)
    lines = repr(est).splitlines()
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    assert lines[1].startswith("         ")  # continuation indented under the open paren


def _html_without_warnings(obj):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return obj._repr_html_()


def test_html_repr_of_an_estimator(clf_spec):
    html = _html_without_warnings(clf_spec(fit_epochs=3, hidden_units=kerasnip.tune()))
    assert "test_clf" in html
    assert "sk-top-container" in html
    # the text fallback is the changed-only repr
    assert "test_clf(fit_epochs=3, hidden_units=tune())" in html
    # scikit-learn's parameter table lists every parameter and marks the user-set ones
    user_set = re.findall(r'<tr class="user-set">.*?<td class="param">(\w+)</td>', html, re.S)
    assert sorted(user_set) == ["fit_epochs", "hidden_units"]
    assert html.count('<td class="param">') == len(clf_spec().get_params())
    assert "Not fitted" in html


def test_html_repr_of_a_fitted_estimator(clf_spec, digits):
    X, y = digits
    est = clf_spec(fit_epochs=1, random_state=0).fit(X, y)
    html = _html_without_warnings(est)
    assert "Fitted attributes" in html
    for attribute in ("classes_", "history_", "model_", "n_features_in_"):
        assert attribute in html
    assert "Not fitted" not in html
    bundle = est._repr_mimebundle_()
    assert bundle["text/plain"] == repr(est)
    assert bundle["text/html"].count('id="sk-container-id') == 1


def test_html_diagram_inside_a_pipeline(clf_spec):
    pipe = make_pipeline(StandardScaler(), clf_spec(fit_epochs=3))
    html = _html_without_warnings(pipe)
    labels = re.findall(r'sk-toggleable__label[^>]*><div><div>(\w+)</div>', html)
    assert labels == ["Pipeline", "StandardScaler", "test_clf"]
    assert "test_clf(fit_epochs=3)" in repr(pipe)


def test_repr_of_a_loaded_estimator_matches(reg_spec, regression_data, tmp_path, monkeypatch):
    from kerasnip import factory

    X, y = regression_data
    est = reg_spec(fit_epochs=1, random_state=0, hidden_units=5).fit(X, y)
    est.save(tmp_path / "m.kerasnip")
    monkeypatch.setattr(factory, "_CLASSES_BY_TOKEN", {})
    loaded = kerasnip.load(tmp_path / "m.kerasnip")
    assert type(loaded) is not type(est)
    assert repr(loaded) == repr(est) == "test_reg(fit_epochs=1, hidden_units=5, random_state=0)"
    assert "test_reg" in _html_without_warnings(loaded)


@pytest.mark.parametrize("value", [None, 0.0, "relu"])
def test_changed_only_uses_real_defaults_from_the_signature(value):
    def block(model, activation=None):
        return model

    from tests.blocks import input_block, softmax_output

    spec = kerasnip.create_keras_sequential_spec(
        "repr_defaults", {"input": input_block, "act": block, "output": softmax_output},
        "classification")
    try:
        text = repr(spec(act_activation=value))
        assert (text == "repr_defaults()") == (value is None)
        if value is not None:
            assert text == f"repr_defaults(act_activation={value!r})"
    finally:
        kerasnip.remove_keras_spec("repr_defaults")
