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
    >>> from kerasnip.demo import LAYER_BLOCKS
    >>> mlp = kerasnip.create_keras_sequential_spec("digits_mlp", LAYER_BLOCKS, "classification")
    >>> spec = mlp(hidden_1_units=kerasnip.tune(), hidden_1_rate=kerasnip.tune("dropout_1"))
    >>> spec.hidden_1_units, spec.hidden_1_rate
    (tune(), tune('dropout_1'))
    >>> kerasnip.extract_parameter_set(spec)
    ParameterSet(2 tuned parameters)
      hidden_1_units  Int(16, 256, label='# Hidden Units')
      dropout_1       Float(0.0, 0.5, label='Dropout Rate')  [hidden_1_rate]
    """

    def __init__(self, id: str = ""):
        self.id = id

    def __repr__(self) -> str:
        return f"tune({self.id!r})" if self.id else "tune()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, tune) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("kerasnip.tune", self.id))
