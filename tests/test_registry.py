"""Custom optimizers, losses and metrics by name, and clear errors for unknown names."""

import keras
import numpy as np
import pytest

import kerasnip
from kerasnip import registry


@pytest.fixture
def clean_registries():
    saved = [dict(t) for t in (registry._OPTIMIZERS, registry._LOSSES, registry._METRICS)]
    yield
    for table, old in zip((registry._OPTIMIZERS, registry._LOSSES, registry._METRICS), saved,
                          strict=True):
        table.clear()
        table.update(old)


@pytest.mark.parametrize(("param", "value", "message"), [
    ("compile_optimizer", "adamm", r"Unknown optimizer 'adamm'\. Did you mean 'adam'.*"
                                   r"register_keras_optimizer"),
    ("compile_loss", "categorical_crossentropyy",
     r"Unknown loss 'categorical_crossentropyy'\. Did you mean 'categorical_crossentropy'"),
    ("compile_metrics", ["accuracyy"], r"Unknown metric 'accuracyy'\. Did you mean 'accuracy'"),
    ("compile_metrics", ["no_such_thing_at_all"], r"Unknown metric.*Known metrics include"),
])
def test_unknown_names_list_close_matches(clf_spec, digits, param, value, message):
    X, y = digits
    with pytest.raises(ValueError, match=message):
        clf_spec(fit_epochs=1, **{param: value}).fit(X, y)


def test_a_single_metric_name_needs_no_list(clf_spec, digits):
    X, y = digits
    est = clf_spec(compile_metrics="auc", fit_epochs=1).fit(X, y)
    assert "auc" in est.history_.columns
    assert registry.resolve_metrics({"out": "mae"}) == {"out": ["mae"]}


def test_optimizer_names_are_case_insensitive():
    assert isinstance(registry.resolve_optimizer("RMSprop", None), keras.optimizers.RMSprop)
    assert isinstance(registry.resolve_optimizer("AdamW", 0.1), keras.optimizers.AdamW)
    assert float(registry.resolve_optimizer("sgd", 0.25).learning_rate) == pytest.approx(0.25)


def test_optimizer_class_and_instance():
    assert isinstance(registry.resolve_optimizer(keras.optimizers.SGD, 0.5), keras.optimizers.SGD)
    instance = keras.optimizers.Adam(0.01)
    assert registry.resolve_optimizer(instance, None) is instance


def test_known_name_tables():
    assert {"adam", "sgd", "rmsprop"} <= set(registry.keras_optimizer_names())
    assert {"mse", "categorical_crossentropy", "sparse_categorical_crossentropy"} <= set(
        registry.keras_loss_names())
    assert {"accuracy", "mean_absolute_error", "auc"} <= set(registry.keras_metric_names())
    # base classes and wrappers are not usable by name
    assert "optimizer" not in registry.keras_optimizer_names()
    assert "loss" not in registry.keras_loss_names()


@pytest.mark.usefixtures("clean_registries")
def test_registered_optimizer_gets_learn_rate(clf_spec, digits):
    calls = []

    def slow_sgd(learning_rate=0.001):
        calls.append(learning_rate)
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.5)

    kerasnip.register_keras_optimizer("slow_sgd", slow_sgd)
    names = registry.optimizer_names()
    assert names.index("slow_sgd") < names.index("adam")  # registered names come first
    X, y = digits
    est = clf_spec(compile_optimizer="slow_sgd", learn_rate=0.02, fit_epochs=1).fit(X, y)
    assert calls == [0.02]
    assert float(est.model_.optimizer.momentum) == pytest.approx(0.5)
    clf_spec(compile_optimizer="slow_sgd", fit_epochs=1).fit(X, y)
    assert calls == [0.02, 0.001]  # unset learn_rate: the factory's own default


@pytest.mark.usefixtures("clean_registries")
def test_registered_loss_and_metric(reg_spec, regression_data):
    def double_mse(y_true, y_pred):
        return 2.0 * keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

    def max_error(y_true, y_pred):
        return keras.ops.max(keras.ops.abs(y_true - y_pred))

    kerasnip.register_keras_loss("double_mse", double_mse)
    kerasnip.register_keras_metric("max_error", max_error)
    X, y = regression_data
    est = reg_spec(compile_loss="double_mse", compile_metrics=["max_error", "mse"],
                   fit_epochs=1, fit_batch_size=len(X), fit_shuffle=False, random_state=0)
    est.fit(X, y)
    assert {"loss", "max_error", "mse"} <= set(est.history_.columns)
    # one batch, computed before the update: the loss is twice the plain MSE
    assert est.history_["loss"].iloc[0] == pytest.approx(2 * est.history_["mse"].iloc[0],
                                                         rel=1e-5)
    assert est.history_["max_error"].iloc[0] > 0


@pytest.mark.parametrize(("register", "thing"), [
    (kerasnip.register_keras_optimizer, "optimizer"),
    (kerasnip.register_keras_loss, "loss"),
    (kerasnip.register_keras_metric, "metric"),
])
def test_register_rejects_bad_arguments(register, thing):
    with pytest.raises(TypeError, match=thing):
        register("name", 42)
    with pytest.raises(TypeError, match=f"A {thing} name must be a non-empty string"):
        register("", lambda *a: None)


def test_loss_name_of_each_form():
    assert registry.loss_name("mse") == "mse"
    assert registry.loss_name(keras.losses.SparseCategoricalCrossentropy()) == (
        "sparse_categorical_crossentropy")
    assert registry.loss_name(keras.losses.sparse_categorical_crossentropy) == (
        "sparse_categorical_crossentropy")

    class MyLoss(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return y_pred

    assert registry.loss_name(MyLoss(name="SparseThing")) == "sparse_thing"


def test_loss_structures_resolve_recursively():
    resolved = registry.resolve_loss({"a": "mse", "b": ["mae", "mse"]})
    assert resolved == {"a": "mse", "b": ["mae", "mse"]}
    with pytest.raises(ValueError, match="Unknown loss 'msee'"):
        registry.resolve_loss({"a": "msee"})
    assert registry.resolve_metrics(None) is None
    metric = keras.metrics.AUC()
    assert registry.resolve_metrics([metric, "accuracy"]) == [metric, "accuracy"]


def test_registered_names_take_precedence_over_keras(clean_registries):
    def my_adam(learning_rate=0.5):
        return keras.optimizers.SGD(learning_rate)

    kerasnip.register_keras_optimizer("adam", my_adam)
    assert isinstance(registry.resolve_optimizer("adam", None), keras.optimizers.SGD)
    assert np.isclose(float(registry.resolve_optimizer("adam", None).learning_rate), 0.5)
