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
