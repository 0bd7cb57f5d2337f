"""The picture verbs: `graph`, `layers`, `cachediff`. Same data and views as the notebook.

Each handler builds a view from ``display/`` and hands it to ``out.show``: the terminal prints its
text form, the `%container` magic displays its HTML/SVG form.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..api import Engine
    from .output import Output

__all__ = ["add_view_parsers", "VIEW_HANDLERS"]


def add_view_parsers(
    sub: argparse._SubParsersAction, verb: Callable[..., argparse.ArgumentParser]
) -> None:
    p = verb(sub, "graph", "Draw the images in the store as a graph of shared layers")
    p.add_argument("images", nargs="*", metavar="IMAGE", help="only these images (default all)")
    p.add_argument("-o", "--output", help="write the graph to FILE.svg or FILE.dot")
    p = verb(sub, "layers", "Explore an image's layers: files added, changed, deleted; waste")
    p.add_argument("image")
    p.add_argument("--all", action="store_true", help="list every changed file (terminal)")
    p = verb(sub, "cachediff", "Compare two builds step by step: what was reused, what missed, why")
    p.add_argument("old", nargs="?", help="build ID, or an image (its latest build)")
    p.add_argument("new", nargs="?", help="build ID (default: the latest build)")


def do_graph(eng: Engine, args: Any, out: Output) -> int:
    from ..display.graph import LayerGraph, collect_graph, last_build_marks

    view = LayerGraph(collect_graph(eng, args.images, marks=last_build_marks(eng)))
    if args.output:
        view.save(args.output)
        out.line(f"wrote {args.output}")
        return 0
    out.show(view)
    return 0


def do_layers(eng: Engine, args: Any, out: Output) -> int:
    from ..display.layers import LayerExplorer, collect_layers

    view = LayerExplorer(collect_layers(eng, args.image))
    view.text_limit = 0 if args.all else 15
    out.show(view)
    return 0


def do_cachediff(eng: Engine, args: Any, out: Output) -> int:
    from ..display.cachediff import CacheDiff, collect_cachediff

    out.show(CacheDiff(collect_cachediff(eng, args.old, args.new)))
    return 0


VIEW_HANDLERS: dict[str, Callable[[Engine, Any, Output], int]] = {
    "graph": do_graph,
    "layers": do_layers,
    "cachediff": do_cachediff,
}
