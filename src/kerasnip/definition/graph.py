"""Functional specs: blocks as graph nodes, and the checks on their wiring.

A functional block is ``block(<upstream tensors>, **hyperparameters) -> tensor``.
An argument named after another block is an edge from that block; blocks
with no upstream argument are the model's inputs and receive ``input_shape``.
The block named ``output`` ends the graph; a graph without one has one output
per block that feeds nothing (a multi-output model, whose y has one column
per such block).

Everything that can be checked without data is checked when the spec is
created, so a miswired graph fails at ``create_keras_functional_spec`` with
the block names in the message rather than deep inside Keras at fit time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kerasnip.definition.blocks import BlockInfo, inspect_functional_block
from kerasnip.errors import BlockError

OUTPUT_BLOCK = "output"


@dataclass(frozen=True)
class Graph:
    """The wiring of a functional spec, derived from its blocks.

    Attributes
    ----------
    order : tuple of str
        The blocks that take part in the model, upstream first.
    inputs : tuple of str
        Input blocks (no upstream argument), in block order. They name the
        entries of a multi-input X.
    outputs : tuple of str
        Output blocks, in block order. They name the columns of a
        multi-output y.
    unused : tuple of str
        Blocks that reach no output; they are left out of the model.
    """

    order: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    unused: tuple[str, ...] = ()

    @property
    def multi_input(self) -> bool:
        """Whether the model takes several inputs (X is a dict or array-column DataFrame)."""
        return len(self.inputs) > 1

    @property
    def multi_output(self) -> bool:
        """Whether the model has several outputs (y is a dict or DataFrame, one per output)."""
        return len(self.outputs) > 1


def inspect_functional_blocks(blocks: Mapping[str, Callable[..., Any]]) -> dict[str, BlockInfo]:
    """Introspect and validate the blocks of a functional spec.

    Parameters
    ----------
    blocks : dict of str to callable
        The ``layer_blocks`` given to :func:`kerasnip.create_keras_functional_spec`,
        upstream blocks first.

    Returns
    -------
    dict of str to BlockInfo

    Raises
    ------
    BlockError
        For an argument that names no block and has no default, a cycle, a block
        listed before one of its upstream blocks, or a graph without an output.

    Warns
    -----
    UserWarning
        For blocks that reach no output (they are left out of the model).
    """
    names = list(blocks)
    infos = {name: inspect_functional_block(name, fn, names) for name, fn in blocks.items()}
    graph = analyse_graph(infos)
    if graph.unused:
        warnings.warn(
            f"Block(s) {list(graph.unused)} feed nothing that reaches the output(s) "
            f"{list(graph.outputs)} and will not be part of the model. Connect them to a "
            f"downstream block, remove them, or (for several outputs) drop the block named "
            f"{OUTPUT_BLOCK!r} so that every block feeding nothing becomes an output.",
            UserWarning,
            stacklevel=3,  # the user's create_keras_functional_spec call
        )
    return infos


# --------------------------------------------------------------------------- graph analysis


def analyse_graph(blocks: Mapping[str, BlockInfo]) -> Graph:
    """Check that ``blocks`` form a usable DAG and find its inputs and outputs.

    Parameters
    ----------
    blocks : dict of str to BlockInfo
        Introspected functional blocks, in the user's order.

    Returns
    -------
    Graph
    """
    names = list(blocks)
    upstream = {name: list(info.upstream.values()) for name, info in blocks.items()}
    _check_acyclic(upstream)
    position = {name: i for i, name in enumerate(names)}
    for name in names:
        later = [up for up in upstream[name] if position[up] > position[name]]
        if later:
            raise BlockError(
                f"Block {name!r} uses {later}, which {'is' if len(later) == 1 else 'are'} "
                "listed after it. List layer_blocks upstream first (a topological order), "
                f"e.g. {_topological_order(upstream)}."
            )
    feeds = {name: [b for b in names if name in upstream[b]] for name in names}
    sinks = [name for name in names if not feeds[name]]
    if OUTPUT_BLOCK in blocks:
        outputs = [OUTPUT_BLOCK]
    elif len(sinks) > 1:
        outputs = sinks
    else:
        raise BlockError(
            f"The graph has no output block. Name the block that produces the model's output "
            f"{OUTPUT_BLOCK!r} (e.g. rename {sinks[0]!r}), or, for a model with several "
            "outputs, end it with several blocks that feed nothing, each named after its "
            "column in y."
        )
    live = _ancestors(outputs, upstream)
    order = tuple(name for name in names if name in live)
    return Graph(
        order=order,
        inputs=tuple(name for name in order if not upstream[name]),
        outputs=tuple(outputs),
        unused=tuple(name for name in names if name not in live),
    )


def _check_acyclic(upstream: Mapping[str, list[str]]) -> None:
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = [*path[path.index(name):], name]
            raise BlockError(
                f"The blocks form a cycle: {' -> '.join(reversed(cycle))}. A functional model "
                "is a directed acyclic graph; every block must depend only on blocks "
                "upstream of it."
            )
        if name in done:
            return
        for up in upstream[name]:
            visit(up, [*path, name])
        done.add(name)

    for name in upstream:
        visit(name, [])


def _topological_order(upstream: Mapping[str, list[str]]) -> list[str]:
    """A topological order that keeps the user's order wherever it can."""
    order: list[str] = []
    remaining = list(upstream)
    while remaining:
        ready = next(n for n in remaining if all(up in order for up in upstream[n]))
        order.append(ready)
        remaining.remove(ready)
    return order


def _ancestors(names: list[str], upstream: Mapping[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(upstream[name])
    return seen
