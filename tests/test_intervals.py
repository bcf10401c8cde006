"""Last-layer Laplace intervals: the posterior's algebra against brute force, its
caching, the tables' names, coverage, and the errors for models it cannot handle."""

import pickle

import keras
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.exceptions import NotFittedError

import kerasnip
from kerasnip.errors import IntervalsNotAvailableError
from kerasnip.intervals import fit_laplace, predictive_draws
from kerasnip.predictions import interval_table
from tests.blocks import (
    CLASSIFIER_BLOCKS,
    REGRESSOR_BLOCKS,
    dense_block,
    input_block,
    sigmoid_output,
)


def sine_data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(n, 1)).astype("float32")
    return X, np.sin(X[:, 0]) + 0.2 * rng.normal(size=n)


@pytest.fixture(scope="module")
def reg_spec():
    return kerasnip.create_keras_sequential_spec("intervals_reg", REGRESSOR_BLOCKS, "regression")


@pytest.fixture(scope="module")
def sine_fit(reg_spec):
    X, y = sine_data(200, seed=0)
    est = reg_spec(hidden_units=32, fit_epochs=60, random_state=0).fit(X, y)
    return est, X, y


@pytest.fixture(scope="module")
def linear_fit(reg_spec):
    """A model that is only its output layer: features are the inputs themselves, so the
    posterior can be checked against the explicit (d k) x (d k) computation."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3)).astype("float32")
    noise = rng.multivariate_normal([0, 0], [[0.3, 0.2], [0.2, 0.4]], size=80)
    Y = X @ np.array([[1.0, 0.5], [-2.0, 0.0], [0.5, 1.0]]) + noise
    est = reg_spec(num_hidden=0, fit_epochs=40, learn_rate=0.05, random_state=0).fit(X, Y)
    return est, X, Y


@pytest.fixture(scope="module")
def digits_fit():
    from sklearn.datasets import load_digits

    spec = kerasnip.create_keras_sequential_spec("intervals_clf", CLASSIFIER_BLOCKS,
                                                 "classification")
    X, y = load_digits(n_class=3, return_X_y=True)
    X = (X[:120] / 16).astype("float32")
    labels = np.array(["zero", "one", "two"])[y[:120]]
    return spec(fit_epochs=8, random_state=0).fit(X, labels), X, labels


@pytest.fixture(scope="module")
def confident_digits_fit():
    """A 3-class digits model trained until many rows are near certain, with the rows
    it did not see (``pred_int`` only departs from [0, 1] for confident rows)."""
    from sklearn.datasets import load_digits

    spec = kerasnip.create_keras_sequential_spec("intervals_clf_confident", CLASSIFIER_BLOCKS,
                                                 "classification")
    X, y = load_digits(n_class=3, return_X_y=True)
    X = (X / 16).astype("float32")
    labels = np.array(["zero", "one", "two"])[y]
    est = spec(fit_epochs=30, learn_rate=0.01, random_state=0).fit(X[:120], labels[:120])
    return est, X[120:], labels[120:]


# ---------------------------------------------------------------------------- brute force


def full_posterior(head, phi_train, Y, alpha, sigma):
    """Explicit posterior precision, log evidence and predictive covariances."""
    design = np.hstack([phi_train, np.ones((len(phi_train), 1))])
    W = head.weights
    p, k = W.shape
    # vec(W) stacks W's columns, so the Gauss-Newton Hessian is Sigma^-1 kron G.
    precision = np.kron(np.linalg.inv(sigma), design.T @ design) + alpha * np.eye(p * k)
    resid = Y - design @ W
    log_lik = stats.multivariate_normal(np.zeros(k), sigma).logpdf(resid).sum()
    log_prior = stats.norm(0, alpha ** -0.5).logpdf(W.ravel()).sum()
    evidence = log_lik + log_prior + 0.5 * p * k * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(
        precision)[1]
    return precision, evidence


def test_posterior_matches_the_explicit_kronecker_computation(linear_fit):
    est, X, Y = linear_fit
    head = fit_laplace(est).heads[0]
    precision, evidence = full_posterior(head, X.astype(float), Y, head.prior_precision,
                                         head.noise_cov)
    assert evidence == pytest.approx(head.log_marginal_likelihood, rel=1e-6)

    X_new = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    cov = np.linalg.inv(precision)
    c = head.epistemic(X_new)
    U = head.output_basis
    for i, row in enumerate(np.hstack([X_new, np.ones((2, 1))])):
        J = np.kron(np.eye(2), row[None, :])  # outputs = J @ vec(W)
        np.testing.assert_allclose(U @ np.diag(c[i]) @ U.T, J @ cov @ J.T, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(U @ np.diag(head.noise()) @ U.T, head.noise_cov, rtol=1e-8)


def test_prior_precision_and_noise_maximise_the_evidence(linear_fit):
    est, X, Y = linear_fit
    head = fit_laplace(est).heads[0]
    alpha, sigma = head.prior_precision, head.noise_cov
    best = full_posterior(head, X.astype(float), Y, alpha, sigma)[1]
    for a, s in [(alpha * 1.3, sigma), (alpha / 1.3, sigma), (alpha, sigma * 1.3),
                 (alpha, sigma / 1.3)]:
        assert full_posterior(head, X.astype(float), Y, a, s)[1] < best


def test_sample_weights_count_like_repeated_rows(linear_fit):
    est, X, Y = linear_fit
    weights = np.where(np.arange(len(X)) % 2 == 0, 0.0, 1.0)
    weighted = fit_laplace(est, X, Y, sample_weight=weights).heads[0]
    subset = fit_laplace(est, X[weights > 0], Y[weights > 0]).heads[0]
    assert weighted.prior_precision == pytest.approx(subset.prior_precision, rel=1e-5)
    np.testing.assert_allclose(weighted.noise_cov, subset.noise_cov, rtol=1e-5)
    fit_laplace(est, X, Y)  # leave the module fixture with its full-data posterior


# ---------------------------------------------------------------------------- regression tables


def test_regression_table_is_centred_on_predict_and_nested(sine_fit):
    est, _, _ = sine_fit
    X_new = sine_data(50, seed=5)[0]
    conf = interval_table(est, X_new, type="conf_int")
    pred = interval_table(est, X_new, type="pred_int")
    assert list(conf.columns) == [".pred", ".pred_lower", ".pred_upper"]
    np.testing.assert_allclose(conf[".pred"], est.predict(X_new), atol=1e-5)
    assert (conf[".pred_lower"] < conf[".pred"]).all()
    assert (conf[".pred"] < conf[".pred_upper"]).all()
    assert (pred[".pred_lower"] < conf[".pred_lower"]).all()
    assert (pred[".pred_upper"] > conf[".pred_upper"]).all()
    narrow = interval_table(est, X_new, type="pred_int", level=0.5)
    assert ((narrow[".pred_upper"] - narrow[".pred_lower"])
            < (pred[".pred_upper"] - pred[".pred_lower"])).all()


def test_predict_table_dispatches_here_with_level_and_index(sine_fit):
    est, _, _ = sine_fit
    X_new = sine_data(20, seed=6)[0]
    frame = pd.DataFrame(X_new, index=np.arange(100, 120))
    est_frame = kerasnip.create_keras_sequential_spec(
        "intervals_reg_df", REGRESSOR_BLOCKS, "regression")(fit_epochs=2, random_state=0)
    est_frame.fit(pd.DataFrame(sine_data(30, seed=1)[0]), sine_data(30, seed=1)[1])
    table = kerasnip.predict_table(est_frame, frame, type="pred_int", level=0.9)
    assert list(table.index) == list(range(100, 120))
    pd.testing.assert_frame_equal(
        kerasnip.predict_table(est, X_new, type="pred_int", level=0.9),
        interval_table(est, X_new, type="pred_int", level=0.9))


def test_pred_int_covers_held_out_data(sine_fit):
    est, _, _ = sine_fit
    X_test, y_test = sine_data(1000, seed=11)
    table = interval_table(est, X_test, type="pred_int", level=0.95)
    covered = np.mean((y_test >= table[".pred_lower"]) & (y_test <= table[".pred_upper"]))
    assert 0.9 <= covered <= 0.99


def test_vector_output_names_follow_predict_table_numeric(linear_fit):
    est, X, _ = linear_fit
    table = interval_table(est, X[:5], type="conf_int")
    assert list(table.columns) == [".pred_1", ".pred_lower_1", ".pred_upper_1",
                                   ".pred_2", ".pred_lower_2", ".pred_upper_2"]
    numeric = kerasnip.predict_table(est, X[:5], type="numeric")
    np.testing.assert_allclose(table[[".pred_1", ".pred_2"]], numeric, atol=1e-5)


def test_joint_bands_hold_for_all_outputs_at_once(linear_fit):
    est, X, _ = linear_fit
    rows = X[:10]
    joint = interval_table(est, rows, type="pred_int", joint=True, n_draws=4000, seed=1)
    marginal = interval_table(est, rows, type="pred_int")
    draws = predictive_draws(est, rows, type="pred_int", n_draws=4000, seed=2)

    def inside(table):
        lower = table[[".pred_lower_1", ".pred_lower_2"]].to_numpy()
        upper = table[[".pred_upper_1", ".pred_upper_2"]].to_numpy()
        return (draws >= lower) & (draws <= upper)

    assert inside(joint).all(axis=2).mean() == pytest.approx(0.95, abs=0.01)
    assert inside(marginal).mean() == pytest.approx(0.95, abs=0.01)
    assert inside(marginal).all(axis=2).mean() < 0.94


def test_draw_moments_match_the_table(sine_fit):
    est, _, _ = sine_fit
    rows = sine_data(5, seed=3)[0]
    draws = predictive_draws(est, rows, type="conf_int", n_draws=20000, seed=0)
    assert draws.shape == (20000, 5)
    table = interval_table(est, rows, type="conf_int")
    half = (table[".pred_upper"] - table[".pred_lower"]).to_numpy() / 2
    np.testing.assert_allclose(draws.mean(axis=0), table[".pred"], atol=0.05 * half.max())
    np.testing.assert_allclose(draws.std(axis=0) * stats.norm.ppf(0.975), half, rtol=0.03)


# ---------------------------------------------------------------------------- caching


def test_posterior_is_lazy_cached_and_invalidated_by_fitting(reg_spec):
    X, y = sine_data(40, seed=2)
    est = reg_spec(fit_epochs=2, random_state=0).fit(X, y)
    assert not hasattr(est, "laplace_")
    first = interval_table(est, X[:5], type="pred_int")
    cached = est.laplace_
    interval_table(est, X[:5], type="conf_int")
    assert est.laplace_ is cached

    est.partial_fit(X, y)
    after_partial = interval_table(est, X[:5], type="pred_int")
    assert est.laplace_ is not cached
    assert not np.allclose(after_partial, first)

    cached = est.laplace_
    est.fit(X, y)
    interval_table(est, X[:5], type="pred_int")
    assert est.laplace_ is not cached


def test_pickled_estimator_keeps_its_posterior_but_not_the_training_data(reg_spec):
    X, y = sine_data(40, seed=2)
    est = reg_spec(fit_epochs=2, random_state=0).fit(X, y)
    before = interval_table(est, X[:5], type="pred_int")
    restored = pickle.loads(pickle.dumps(est))
    assert not hasattr(restored, "_fit_data")
    pd.testing.assert_frame_equal(interval_table(restored, X[:5], type="pred_int"), before)

    fresh = pickle.loads(pickle.dumps(reg_spec(fit_epochs=2, random_state=0).fit(X, y)))
    with pytest.raises(ValueError, match=r"kerasnip.fit_laplace\(est, X_train, y_train\)"):
        interval_table(fresh, X[:5], type="pred_int")
    fit_laplace(fresh, X, y)
    pd.testing.assert_frame_equal(interval_table(fresh, X[:5], type="pred_int"), before)


# ---------------------------------------------------------------------------- classification


def test_class_probability_intervals(digits_fit):
    est, X, _ = digits_fit
    table = interval_table(est, X[:30], type="conf_int", seed=0)
    assert list(table.columns) == [f".pred_{side}_{label}" for label in est.classes_
                                   for side in ("lower", "upper")]
    values = table.to_numpy()
    assert ((values >= 0) & (values <= 1)).all()
    proba = est.predict_proba(X[:30])
    lower = table[[f".pred_lower_{c}" for c in est.classes_]].to_numpy()
    upper = table[[f".pred_upper_{c}" for c in est.classes_]].to_numpy()
    assert (lower < upper).all()
    assert ((lower <= proba) & (proba <= upper)).mean() > 0.9
    pd.testing.assert_frame_equal(interval_table(est, X[:30], type="conf_int", seed=0), table)
    assert not interval_table(est, X[:30], type="conf_int", seed=1).equals(table)
    wider = interval_table(est, X[:30], type="conf_int", seed=0, level=0.99)
    assert ((wider.filter(like="upper").to_numpy() - wider.filter(like="lower").to_numpy())
            >= (upper - lower) - 1e-9).mean() > 0.95


def split_bounds(table, classes):
    return (table[[f".pred_lower_{c}" for c in classes]].to_numpy(),
            table[[f".pred_upper_{c}" for c in classes]].to_numpy())


def test_class_prediction_intervals_bound_each_class_indicator(confident_digits_fit):
    est, X, labels = confident_digits_fit
    classes = est.classes_
    table = interval_table(est, X, type="pred_int", level=0.9, seed=0)
    assert list(table.columns) == [f".pred_{side}_{label}" for label in classes
                                   for side in ("lower", "upper")]
    lower, upper = split_bounds(table, classes)
    assert set(np.unique(table.to_numpy())) <= {0.0, 1.0}
    assert (lower <= upper).all()
    # The Bernoulli(pbar) quantiles, pbar the mean of the same probability draws.
    pbar = predictive_draws(est, X, type="conf_int", seed=0).mean(axis=0)
    np.testing.assert_array_equal(lower, pbar > 0.95)
    np.testing.assert_array_equal(upper, pbar > 0.05)
    # Some rows are near certain ({1} for their class, {0} for the others), some not.
    certain = lower.any(axis=1)
    assert 0 < certain.sum() < len(X)
    np.testing.assert_array_equal(classes[lower[certain].argmax(axis=1)], est.predict(X[certain]))
    assert (upper[certain].sum(axis=1) == 1).all()
    assert (upper.sum(axis=1) >= 1).all()  # some class is always possible
    # A new observation's indicators fall in their intervals at least `level` of the time.
    truth = (labels[:, None] == classes[None, :]).astype(float)
    assert ((lower <= truth) & (truth <= upper)).all(axis=1).mean() >= 0.9
    pd.testing.assert_frame_equal(kerasnip.predict_table(est, X, type="pred_int", level=0.9,
                                                         seed=0), table)


def test_class_prediction_intervals_widen_with_the_level(confident_digits_fit):
    est, X, _ = confident_digits_fit
    previous = None
    for level in (0.5, 0.9, 0.99, 0.999999):
        lower, upper = split_bounds(
            interval_table(est, X, type="pred_int", level=level, seed=0), est.classes_)
        if previous is not None:
            assert (lower <= previous[0]).all() and (upper >= previous[1]).all()
            assert (upper - lower).sum() > (previous[1] - previous[0]).sum()
        previous = lower, upper
    assert (lower == 0).all() and (upper == 1).all()  # nothing is that certain


def test_class_prediction_intervals_against_the_probability_intervals(confident_digits_fit):
    # A class's pred_int is [0, 1] unless its predictive probability is beyond a
    # threshold; then it is the point the new class indicator almost surely takes,
    # which the probability's own interval need not contain.
    est, X, _ = confident_digits_fit
    lower, upper = split_bounds(interval_table(est, X, type="pred_int", seed=3), est.classes_)
    conf_lower, conf_upper = split_bounds(interval_table(est, X, type="conf_int", seed=3),
                                          est.classes_)
    undecided = (lower == 0) & (upper == 1)
    assert undecided.any() and not undecided.all()
    certain, excluded = lower == 1, upper == 0
    assert (conf_upper[certain] > 0.9).all() and (conf_lower[excluded] < 0.1).all()


def test_class_outcome_draws_are_one_hot_categorical(confident_digits_fit):
    est, X, _ = confident_digits_fit
    rows = X[:40]
    draws = predictive_draws(est, rows, n_draws=4000, seed=0)  # type="pred_int"
    assert draws.shape == (4000, 40, 3)
    assert set(np.unique(draws)) == {0.0, 1.0}
    np.testing.assert_array_equal(draws.sum(axis=2), 1.0)
    # Each is a categorical draw from the probability draw the same seed gives.
    pbar = predictive_draws(est, rows, type="conf_int", n_draws=4000, seed=0).mean(axis=0)
    np.testing.assert_allclose(draws.mean(axis=0), pbar, atol=0.02)
    # Their quantiles are the table's bounds, but within Monte Carlo noise of a threshold.
    lower, upper = np.quantile(draws, [0.05, 0.95], axis=0, method="inverted_cdf")
    table_lower, table_upper = split_bounds(
        interval_table(est, rows, type="pred_int", level=0.9, n_draws=4000, seed=0),
        est.classes_)
    clear = (np.abs(pbar - 0.95) > 0.015) & (np.abs(pbar - 0.05) > 0.015)
    assert clear.mean() > 0.5
    np.testing.assert_array_equal(lower[clear], table_lower[clear])
    np.testing.assert_array_equal(upper[clear], table_upper[clear])


def test_class_draws_are_probabilities(digits_fit):
    est, X, _ = digits_fit
    draws = predictive_draws(est, X[:4], type="conf_int", n_draws=50, seed=0)
    assert draws.shape == (50, 4, 3)
    np.testing.assert_allclose(draws.sum(axis=2), 1.0, rtol=1e-9)


def test_binary_sigmoid_classes_mirror_each_other(digits_fit):
    _, X, labels = digits_fit
    spec = kerasnip.create_keras_sequential_spec(
        "intervals_binary", {"input": input_block, "hidden": dense_block,
                             "output": sigmoid_output}, "classification")
    est = spec(fit_epochs=5, random_state=0).fit(X, labels == "two")
    table = interval_table(est, X[:10], type="conf_int", n_draws=300, seed=0)
    assert list(table.columns) == [".pred_lower_False", ".pred_upper_False",
                                   ".pred_lower_True", ".pred_upper_True"]
    np.testing.assert_allclose(table[".pred_lower_False"], 1 - table[".pred_upper_True"])
    pred = interval_table(est, X, type="pred_int", level=0.5, n_draws=300, seed=0)
    assert list(pred.columns) == list(table.columns)
    np.testing.assert_array_equal(pred[".pred_lower_False"], 1 - pred[".pred_upper_True"])
    np.testing.assert_array_equal(pred[".pred_upper_False"], 1 - pred[".pred_lower_True"])


def softmax_layer_output(model, num_classes):
    model.add(keras.layers.Dense(num_classes))
    model.add(keras.layers.Softmax())
    return model


def test_separate_softmax_layer_after_a_linear_dense(digits_fit):
    _, X, labels = digits_fit
    spec = kerasnip.create_keras_sequential_spec(
        "intervals_softmax_layer", {"input": input_block, "output": softmax_layer_output},
        "classification")
    est = spec(fit_epochs=2, random_state=0).fit(X, labels)
    assert fit_laplace(est).heads[0].activation == "softmax"
    assert interval_table(est, X[:3], type="conf_int").shape == (3, 6)


# ---------------------------------------------------------------------------- multi-output


def test_two_headed_model_names_each_head():
    from tests.functional_blocks import TWO_HEAD_BLOCKS, two_head_data

    spec = kerasnip.create_keras_functional_spec("intervals_two_head", TWO_HEAD_BLOCKS,
                                                 "classification")
    X, y = two_head_data()
    est = spec(fit_epochs=3, random_state=0).fit(X, y)
    conf = interval_table(est, X[:4], type="conf_int", n_draws=100)
    digit = [f".pred_{side}_digit_{c}" for c in est.classes_["digit"]
             for side in ("lower", "upper")]
    assert list(conf.columns) == [*digit, ".pred_ink", ".pred_lower_ink", ".pred_upper_ink"]
    pred = interval_table(est, X[:4], type="pred_int")
    assert list(pred.columns) == [*digit, ".pred_ink", ".pred_lower_ink", ".pred_upper_ink"]
    assert set(np.unique(pred[digit].to_numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(pred[".pred_ink"], est.predict(X[:4])["ink"], atol=1e-5)
    draws = predictive_draws(est, X[:4], type="conf_int", n_draws=10)
    assert draws["digit"].shape == (10, 4, 3) and draws["ink"].shape == (10, 4)
    outcomes = predictive_draws(est, X[:4], n_draws=10)
    assert outcomes["digit"].shape == (10, 4, 3) and outcomes["ink"].shape == (10, 4)
    np.testing.assert_array_equal(outcomes["digit"].sum(axis=2), 1.0)
    joint = interval_table(est, X[:4], type="pred_int", joint=True, n_draws=100)
    assert list(joint.columns) == [".pred_ink", ".pred_lower_ink", ".pred_upper_ink"]


# ---------------------------------------------------------------------------- errors


def rescaled_output(model, num_outputs=1):
    model.add(keras.layers.Dense(num_outputs))
    model.add(keras.layers.Rescaling(2.0))
    return model


def relu_output(model, num_outputs=1):
    model.add(keras.layers.Dense(num_outputs, activation="relu"))
    return model


@pytest.mark.parametrize("output, match", [
    (rescaled_output, "the last layer is Rescaling .*, not Dense"),
    (relu_output, "'relu' activation; Laplace intervals for regression need a linear output"),
])
def test_models_without_a_usable_dense_output_are_refused(output, match):
    spec = kerasnip.create_keras_sequential_spec(
        f"intervals_{output.__name__}", {"input": input_block, "output": output}, "regression")
    X, y = sine_data(20, seed=0)
    est = spec(fit_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(IntervalsNotAvailableError, match=f"Intervals not available.*{match}"):
        interval_table(est, X, type="pred_int")


@pytest.mark.parametrize("kwargs, match", [
    ({"type": "conf_in"}, "Did you mean 'conf_int'"),
    ({"type": "pred_int", "level": 95}, "level must be a number strictly between 0 and 1"),
    ({"type": "pred_int", "n_draws": 1}, "n_draws must be an integer of at least 2"),
])
def test_bad_requests(sine_fit, kwargs, match):
    est, X, _ = sine_fit
    with pytest.raises(ValueError, match=match):
        interval_table(est, X[:3], **kwargs)


@pytest.mark.parametrize("type_", ["conf_int", "pred_int"])
def test_classifiers_have_no_joint_intervals(digits_fit, type_):
    est, X, _ = digits_fit
    with pytest.raises(ValueError, match=r"joint=True is for regression outputs and this model "
                                         r"has none.*per-class intervals \(joint=False\)"):
        interval_table(est, X[:3], type=type_, joint=True)


def test_unfitted_estimator(reg_spec):
    with pytest.raises(NotFittedError):
        interval_table(reg_spec(), np.zeros((2, 1)), type="conf_int")


def test_fit_laplace_checks_that_x_and_y_match(linear_fit):
    est, X, Y = linear_fit
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        fit_laplace(est, X, Y[:-1])
