"""scikit-learn's own estimator checks on single-input, single-output functional specs."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import kerasnip
from tests.functional_blocks import (
    add_block,
    concat_block,
    input_block,
    path_block,
    regression_output,
    softmax_output,
)

# A fork-join graph, so the checks exercise the functional build (a branch and a merge),
# not a chain that a sequential spec could express.
_CLASSIFIER = kerasnip.create_keras_functional_spec(
    "fn_check_clf",
    {
        "main_input": input_block,
        "left": kerasnip.inp_spec(path_block, "main_input"),
        "right": kerasnip.inp_spec(path_block, "main_input"),
        "joined": kerasnip.inp_spec(concat_block, {"input_a": "left", "input_b": "right"}),
        "output": kerasnip.inp_spec(softmax_output, "joined"),
    },
    "classification",
)
_REGRESSOR = kerasnip.create_keras_functional_spec(
    "fn_check_reg",
    {
        "main_input": input_block,
        "left": kerasnip.inp_spec(path_block, "main_input"),
        "right": kerasnip.inp_spec(path_block, "main_input"),
        "joined": kerasnip.inp_spec(add_block, {"input_a": "left", "input_b": "right"}),
        "output": kerasnip.inp_spec(regression_output, "joined"),
    },
    "regression",
)


SAMPLE_WEIGHT_EQUIVALENCE = (
    "a weight of 2 and a repeated row give the same loss, but not the same float32 "
    "arithmetic or minibatches, so predictions agree to about 1e-3, not the check's 1e-7"
)


def expected_failures(estimator):
    return {"check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_EQUIVALENCE}


@parametrize_with_checks(
    [_CLASSIFIER(fit_epochs=30, learn_rate=0.02, random_state=0),
     _REGRESSOR(fit_epochs=30, learn_rate=0.02, random_state=0)],
    expected_failed_checks=expected_failures,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
