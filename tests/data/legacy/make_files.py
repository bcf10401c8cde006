"""Write the saved files that tests/persistence/test_legacy_files.py loads.

Run once with the release whose files must keep loading (``python -m
tests.data.legacy.make_files``); the outputs are committed. Each estimator is
written as a ``.kerasnip`` file and as a pickle, next to the predictions it
made, so the test checks that what loads also predicts the same.
"""

import pickle
from pathlib import Path

import numpy as np

import kerasnip
from tests import functional_blocks
from tests.blocks import CLASSIFIER_BLOCKS, REGRESSOR_BLOCKS

HERE = Path(__file__).parent


def estimators():
    X, y = functional_blocks.digits(40, n_class=3)
    clf = kerasnip.create_keras_sequential_spec("legacy_clf", CLASSIFIER_BLOCKS,
                                                "classification")
    yield "classifier", clf(hidden_units=8, fit_epochs=2, random_state=0).fit(
        X, np.array(["a", "b", "c"])[y]), X

    Xr, yr = functional_blocks.fork_join_data(40)
    reg = kerasnip.create_keras_sequential_spec("legacy_reg", REGRESSOR_BLOCKS, "regression")
    est = reg(hidden_units=8, fit_epochs=2, random_state=0).fit(Xr, yr)
    kerasnip.predict_table(est, Xr[:3], type="pred_int")  # caches the interval posterior
    yield "regressor", est, Xr

    Xh, yh = functional_blocks.two_head_data(40)
    heads = kerasnip.create_keras_functional_spec("legacy_heads",
                                                  functional_blocks.TWO_HEAD_BLOCKS,
                                                  "classification")
    yield "two_heads", heads(fit_epochs=2, random_state=0).fit(Xh, yh), Xh


def main():
    for name, est, X in estimators():
        est.save(HERE / f"{name}.kerasnip")
        with open(HERE / f"{name}.pkl", "wb") as stream:
            pickle.dump(est, stream)
        predicted = est.predict(X[:10])
        if isinstance(predicted, dict):
            np.savez(HERE / f"{name}.predictions.npz", **predicted)
        else:
            np.savez(HERE / f"{name}.predictions.npz", predicted=predicted)
        np.save(HERE / f"{name}.X.npy", X[:10])


if __name__ == "__main__":
    main()
