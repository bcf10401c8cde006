"""The gallery's image scraper for figures kerasnip returns (``make docs``)."""

from __future__ import annotations

from typing import Any


def kerasnip_figures(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any]) -> str:
    """Show the figures an example holds in variables, such as ``plot_history``'s.

    kerasnip's plotting functions return a :class:`matplotlib.figure.Figure` without
    touching pyplot's global state, so sphinx-gallery's matplotlib scraper does not see
    them. This scraper saves, once, each such figure a global variable of the example
    refers to after a code block.
    """
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    shown: set[int] = block_vars.setdefault("kerasnip_shown", set())
    paths = []
    for value in list(block_vars["example_globals"].values()):
        if isinstance(value, Figure) and id(value) not in shown and value.canvas.manager is None:
            shown.add(id(value))
            path = next(block_vars["image_path_iterator"])
            value.savefig(path, dpi=90)
            paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])


class ExampleOrder:
    """Gallery order: the walk-through first, then the other examples; new ones last, by name.

    Parameters
    ----------
    src_dir : str
        The examples folder (sphinx-gallery passes it).
    """

    ORDER = (
        "getting_started.py",
        "tuning_getting_started.py",
        "functional_forkjoin.py",
        "functional_api.py",
        "forecasting.py",
        "conformal_intervals.py",
    )

    def __init__(self, src_dir: str):
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        position = self.ORDER.index(filename) if filename in self.ORDER else len(self.ORDER)
        return position, filename

    def __repr__(self) -> str:  # stable, so sphinx-gallery's cache sees no config change
        return f"<{type(self).__name__}>"
