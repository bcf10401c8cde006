"""Every exception kerasnip raises on purpose: one base class, standard bases kept, exported."""

import inspect

import pytest

import kerasnip
from kerasnip import errors

EXCEPTIONS = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
              if issubclass(cls, Exception) and cls.__module__ == errors.__name__]
STANDARD_BASES = {
    "BlockError": ValueError, "BuildError": RuntimeError, "NotTunedError": ValueError,
    "LoadError": ValueError, "BlockImportError": ImportError,
    "IntervalsNotAvailableError": ValueError, "MissingDependencyError": ImportError,
    "DatasetError": ValueError, "TrainingError": RuntimeError,
}


def test_every_exception_is_listed_here():
    assert {cls.__name__ for cls in EXCEPTIONS} == {"KerasnipError", *STANDARD_BASES}


@pytest.mark.parametrize("name", sorted(STANDARD_BASES))
def test_each_keeps_its_standard_base_under_one_base_class(name):
    cls = getattr(errors, name)
    assert issubclass(cls, errors.KerasnipError)
    assert issubclass(cls, STANDARD_BASES[name])
    assert getattr(kerasnip, name) is cls
    assert name in kerasnip.__all__


def test_a_real_error_is_caught_by_the_base_class(clf_spec):
    with pytest.raises(kerasnip.KerasnipError, match="tune"):
        clf_spec(hidden_units=kerasnip.tune()).fit([[0.0]] * 4, [0, 1, 0, 1])
