"""Layer blocks shared by the tests (importable, so pickles of them resolve)."""

import keras


def input_block(model, input_shape):
    return keras.Sequential([keras.Input(shape=input_shape)])


def flat_input_block(model, input_shape):
    return keras.Sequential([keras.Input(shape=input_shape), keras.layers.Flatten()])


def dense_block(model, units=16, rate=0.0):
    model.add(keras.layers.Dense(units, activation="relu"))
    if rate:
        model.add(keras.layers.Dropout(rate))
    return model


def softmax_output(model, num_classes):
    model.add(keras.layers.Dense(num_classes, activation="softmax"))
    return model


def sigmoid_output(model):
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    return model


def linear_output(model, num_outputs=1):
    model.add(keras.layers.Dense(num_outputs))
    return model


CLASSIFIER_BLOCKS = {"input": input_block, "hidden": dense_block, "output": softmax_output}
REGRESSOR_BLOCKS = {"input": input_block, "hidden": dense_block, "output": linear_output}
