"""The interactive layer explorer: pick a layer, filter A/C/D, expand folders.

Widgets add interaction on top of the static view, never replace it. The static explorer is its
own output, shown first, and the widget (the controls) a second one. They cannot share one
output: once a notebook holds widget state (nbclient and `jupyter nbconvert --execute` save it),
nbconvert renders an output's widget view and nothing else, loaded from a CDN, and its template
has no fallback, so the export showed a blank box where the explorer was. The widget's own
fallback is empty: where it cannot run, the static view above it is the explorer.
"""

from __future__ import annotations

from typing import Any

from ..display._base import FONT, human_size, short
from ..display.layers import LayerExplorer, layer_tree_html

__all__ = ["layer_widget", "WithStaticFallback"]

# ipywidgets' HTML box sets a 28px line height (one widget row) that spreads a tree apart.
BOX = f"{FONT};line-height:1.5"
# The options are columns (#, size, command): monospaced, or the sizes do not line up. A Select
# has no font option, so a class and one rule scoped to it.
SELECT_CLASS = "docker-magics-layer-select"
SELECT_CSS = f"<style>.{SELECT_CLASS} select {{{FONT}}}</style>"


class WithStaticFallback:
    def __init__(self, widget: Any, view: Any) -> None:
        self.widget = widget
        self.view = view

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        data = dict(self.widget._repr_mimebundle_() or {})
        data["text/html"] = ""  # the static explorer is the output above
        data["text/plain"] = f"(interactive layer explorer of {self.view.report.name})"
        return data


def layer_widget(view: LayerExplorer) -> WithStaticFallback | None:
    try:
        import ipywidgets as w
    except ImportError:
        return None
    layers = view.report.layers
    if not layers:
        return None
    options = [
        (f"#{lay.index}  {human_size(lay.size):>7}  {short(lay.instruction, 70)}", i)
        for i, lay in enumerate(layers)
    ]
    select = w.Select(options=options, rows=min(8, len(options)), layout=w.Layout(width="100%"))
    select.add_class(SELECT_CLASS)
    kinds = w.ToggleButtons(
        options=[("all", "ACD"), ("added", "A"), ("changed", "C"), ("deleted", "D")],
        value="ACD",
        style={"button_width": "80px"},
    )
    # A layer of thousands of files scrolls inside the explorer instead of pushing it apart.
    detail = w.HTML(layout=w.Layout(max_height="28em", overflow="auto"))

    def refresh(_: Any = None) -> None:
        layer = layers[select.value]
        changes = [c for c in layer.changes if c.kind in kinds.value]
        detail.value = (
            f'<div style="{BOX}">{view.layer_summary_html(layer)}{layer_tree_html(changes)}</div>'
        )

    select.observe(refresh, "value")
    kinds.observe(refresh, "value")
    select.value = len(layers) - 1
    refresh()
    head = w.HTML(f'<div style="{BOX}"><b>Explore a layer</b> (pick one, filter)</div>')
    box = w.VBox([head, w.HTML(SELECT_CSS), select, kinds, detail])
    return WithStaticFallback(box, view)
