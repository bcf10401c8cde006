"""Files and pickles written by kerasnip 0.1 (before the package was reorganised) still load.

``tests/data/legacy`` holds, for a classifier, a regressor with a cached
interval posterior and a two-headed functional model, the ``.kerasnip`` file,
the pickle and the predictions they made, all written by that release
(``python -m tests.data.legacy.make_files`` at commit 57e66b8).
"""

import json
from pathlib import Path

import numpy as np
import pytest

import kerasnip
from kerasnip.saving import names
from tests.helpers import run_script

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy"
NAMES = ("classifier", "regressor", "two_heads")


def _load(name):
    # The files' blocks are the tests' own: trust them whichever specs this worker has made.
    path = LEGACY / f"{name}.kerasnip"
    return kerasnip.load(path, trusted=kerasnip.get_untrusted_blocks(path))


def _expected(name):
    saved = np.load(LEGACY / f"{name}.predictions.npz", allow_pickle=False)
    keys = list(saved.keys())
    return saved["predicted"] if keys == ["predicted"] else {k: saved[k] for k in keys}


def _assert_predicts_as_saved(est, name):
    X = np.load(LEGACY / f"{name}.X.npy")
    predicted, expected = est.predict(X), _expected(name)
    if isinstance(expected, dict):
        assert sorted(predicted) == sorted(expected)
        for key in expected:
            np.testing.assert_allclose(predicted[key], expected[key], rtol=1e-5)
    elif expected.dtype.kind in "fc":
        np.testing.assert_allclose(predicted, expected, rtol=1e-5)
    else:
        np.testing.assert_array_equal(predicted, expected)


@pytest.mark.parametrize("name", NAMES)
def test_a_file_written_by_the_previous_release_loads_and_predicts(name):
    est = _load(name)
    _assert_predicts_as_saved(est, name)


def test_a_legacy_file_keeps_its_fitted_state_types():
    heads = _load("two_heads")
    assert type(heads.heads_["digit"]).__name__ == "Head"
    assert heads.heads_["digit"].kind == "classification"
    reg = _load("regressor")
    assert type(reg.laplace_).__name__ == "LaplaceApproximation"
    table = kerasnip.predict_table(reg, np.load(LEGACY / "regressor.X.npy")[:3], type="pred_int")
    assert list(table.columns) == [".pred", ".pred_lower", ".pred_upper"]


def test_a_legacy_file_refits_with_its_blocks():
    est = _load("classifier")
    X = np.load(LEGACY / "classifier.X.npy")
    est.set_params(fit_epochs=1).fit(X, np.array(["a", "b", "c", "a", "b"] * 2))
    assert set(est.predict(X)) <= {"a", "b", "c"}


@pytest.mark.parametrize("name", NAMES)
def test_a_pickle_written_by_the_previous_release_unpickles_in_a_fresh_process(name):
    # Nothing imports kerasnip before pickle looks up the old module names.
    printed = run_script(f"""
        import json, pickle
        import numpy as np
        with open({str(LEGACY / f"{name}.pkl")!r}, "rb") as stream:
            est = pickle.load(stream)
        predicted = est.predict(np.load({str(LEGACY / f"{name}.X.npy")!r}))
        if not isinstance(predicted, dict):
            predicted = {{"predicted": predicted}}
        print(json.dumps({{key: np.asarray(value).tolist() for key, value in predicted.items()}}))
    """)
    predicted = json.loads(printed.strip().splitlines()[-1])
    expected = _expected(name)
    expected = expected if isinstance(expected, dict) else {"predicted": expected}
    assert sorted(predicted) == sorted(expected)
    for key, values in expected.items():
        if values.dtype.kind in "fc":
            np.testing.assert_allclose(predicted[key], values, rtol=1e-5)
        else:
            assert predicted[key] == values.tolist()


@pytest.mark.parametrize("name", NAMES)
def test_a_pickle_written_by_the_previous_release_predicts_as_saved(name):
    import pickle

    with open(LEGACY / f"{name}.pkl", "rb") as stream:
        est = pickle.load(stream)
    _assert_predicts_as_saved(est, name)


def test_every_stable_name_resolves_to_its_object_now():
    for stable, current in names.STABLE_NAMES.items():
        assert names.resolve(stable) is names.resolve(current), stable


def test_the_legacy_modules_serve_only_moved_names():
    import kerasnip.multi_io as old  # the module no longer exists: a stand-in answers

    assert old.Head is names.resolve("kerasnip.encoding.targets:Head")
    with pytest.raises(AttributeError, match="moved"):
        old.FunctionalEstimator  # noqa: B018 (not a stable name)
