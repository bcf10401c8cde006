"""Namespace of the generated estimator classes: ``kerasnip.specs.<model_name>``.

Generated classes report this module as their home so that tools which look a
class up by module and name (cloudpickle, sphinx, ``repr``) find the one
currently registered under that name.
"""

from __future__ import annotations

from kerasnip.factory import registered_spec


def __getattr__(name: str) -> type:
    try:
        return registered_spec(name)
    except KeyError:
        raise AttributeError(f"no kerasnip spec named {name!r} is registered") from None
