"""kerasnip._compat: each private Keras access still does what kerasnip relies on.

These fail loudly when a Keras release changes one of them; the fix belongs in
``_compat`` alone.
"""

import keras
import numpy as np
import pytest

from kerasnip import _compat

jax_only = pytest.mark.skipif(keras.backend.backend() != "jax",
                              reason="the tuning engine's accesses are JAX-only")


def small_model(rate=0.3):
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(5),
                              keras.layers.Dropout(rate, seed=1), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


@jax_only
def test_a_traced_dropout_rate_gives_the_layer_its_own_masks():
    import jax

    layer = keras.layers.Dropout(0.25, seed=3)
    x = np.ones((4, 50), np.float32)
    layer.build(x.shape)
    state = [v.value for v in layer.non_trainable_variables]

    def call(rate, state):
        with _compat.set_dropout_rate([layer], [rate]):
            out, _ = layer.stateless_call([], state, x, training=True)
        return out

    expected, _ = layer.stateless_call([], state, x, training=True)
    traced = jax.jit(call)(np.float32(0.25), state)
    np.testing.assert_allclose(traced, expected, rtol=1e-6)
    assert layer.rate == 0.25  # restored
    # A rate of 0 keeps every unit, as skipping the layer would.
    np.testing.assert_array_equal(jax.jit(call)(np.float32(0.0), state), x)


def test_variable_dropout_layers_are_those_with_a_random_state():
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dropout(0.2),
                              keras.layers.Dropout(0.0), keras.layers.Dense(2)])
    layers = _compat.variable_dropout_layers(_compat.all_layers(model))
    assert [layer.rate for layer in layers] == [0.2]


def test_build_for_training_creates_the_metric_variables():
    model = small_model()
    before = len(model.metrics_variables)
    batch = (np.zeros((1, 6), np.float32), np.zeros((1, 2), np.float32), None)
    _compat.build_for_training(model, batch)
    assert len(model.metrics_variables) > before
    assert all(np.all(np.asarray(v.numpy()) == 0) for v in model.metrics_variables)
