"""scikit-learn's own estimator checks on a generated classifier and regressor.

The checks fit several dozen models on small data sets, some of which need a
usable model (e.g. accuracy above 0.83 on blobs), hence ten epochs at a high
learning rate. Not in the smoke set: they run on the default backend only.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

import kerasnip
from tests.blocks import CLASSIFIER_BLOCKS, REGRESSOR_BLOCKS

checked_clf = kerasnip.create_keras_sequential_spec(
    "checked_clf", CLASSIFIER_BLOCKS, "classification")
checked_reg = kerasnip.create_keras_sequential_spec(
    "checked_reg", REGRESSOR_BLOCKS, "regression")

SETTINGS = dict(hidden_units=8, fit_epochs=10, learn_rate=0.05, random_state=0)

EXPECTED_FAILURES = {
    # Minibatch gradient descent is not a weighted sum over samples: doubling a
    # row changes the number of batches per epoch, the batch composition and the
    # shuffling, so a weight of 2 is not the same fit as a duplicated row (the
    # check asks for equality to 1e-7). Weights do scale each sample's loss,
    # which tests/estimators/test_sequential.py checks exactly.
    "check_sample_weight_equivalence_on_dense_data": (
        "stochastic minibatch training: a sample weight of k is not k copies of the row"
    ),
}


def expected_failed_checks(estimator):
    """The checks each estimator is known to fail, with the reason."""
    return EXPECTED_FAILURES


@parametrize_with_checks(
    [checked_clf(**SETTINGS), checked_reg(**SETTINGS)],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
