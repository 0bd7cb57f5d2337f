"""Pure data -> rendering. Every view has ``_repr_mimebundle_`` (HTML + text, SVG for graphs).

Nothing here imports IPython or ipywidgets (the magics add those); `dot` is run as a program.
"""

from __future__ import annotations

from .cachediff import CacheDiff, CacheDiffData, diff_builds
from .errors import ErrorView, error_view
from .graph import GraphData, LayerGraph, collect_graph, render_svg, to_dot
from .layers import ImageReport, LayerExplorer, analyze, collect_layers
from .tables import Table

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
