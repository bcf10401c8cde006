"""The ``tune()`` placeholder that marks a parameter for tuning."""

from __future__ import annotations


class tune:
    """Mark an estimator parameter as "to be tuned".

    Parameters
    ----------
    id : str, default=""
        A name for the parameter in grids and results (defaults to the
        parameter's own name).

    Examples
    --------
    >>> spec = mnist_mlp(hidden_units=tune(), fit_epochs=30)   # doctest: +SKIP
    """

    def __init__(self, id: str = ""):
        self.id = id

    def __repr__(self) -> str:
        return f"tune({self.id!r})" if self.id else "tune()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, tune) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("kerasnip.tune", self.id))
