"""Pure data -> rendering. Every view has ``_repr_mimebundle_`` (HTML + text, SVG for graphs).

Nothing here imports IPython or ipywidgets (the magics add those); `dot` is run as a program.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cachediff import CacheDiff, CacheDiffData, diff_builds
    from .errors import ErrorView, error_view
    from .graph import GraphData, LayerGraph, collect_graph, render_svg, to_dot
    from .layers import ImageReport, LayerExplorer, analyze, collect_layers
    from .tables import Table

# Loaded on first use: the CLI prints a table without paying for the graph and layer views.
_HOME = {
    **dict.fromkeys(("CacheDiff", "CacheDiffData", "diff_builds"), "cachediff"),
    **dict.fromkeys(("ErrorView", "error_view"), "errors"),
    **dict.fromkeys(("GraphData", "LayerGraph", "collect_graph", "render_svg", "to_dot"), "graph"),
    **dict.fromkeys(("ImageReport", "LayerExplorer", "analyze", "collect_layers"), "layers"),
    "Table": "tables",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "CacheDiff",
    "CacheDiffData",
    "diff_builds",
    "ErrorView",
    "error_view",
    "GraphData",
    "LayerGraph",
    "collect_graph",
    "render_svg",
    "to_dot",
    "ImageReport",
    "LayerExplorer",
    "analyze",
    "collect_layers",
    "Table",
]
