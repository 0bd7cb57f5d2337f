"""The interactive layer explorer: pick a layer, filter A/C/D, expand folders.

Widgets add interaction on top of the static view, never replace it: the explorer is one output
whose bundle holds both, the widget view and the static explorer's HTML and text. JupyterLab
draws the widget; where no widget can run (GitHub's preview, nbconvert of a notebook without
widget state, as JupyterLab saves it) the HTML is drawn. nbconvert prefers a widget view whose
state the notebook holds (nbclient saves it) and loads it from a CDN; a saved explorer cannot
work without its kernel anyway (picking a layer runs Python), so `tutorial run` saves no widget
state and its report shows the static explorer (cli/tutorial_verb.py).
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
    """A widget whose bundle also carries a static view's HTML and text: one output, two readers."""

    def __init__(self, widget: Any, view: Any) -> None:
        self.widget = widget
        self.view = view

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        static = self.view._repr_mimebundle_()
        data = dict(static[0] if isinstance(static, tuple) else static)
        data.update(
            {k: v for k, v in (self.widget._repr_mimebundle_() or {}).items() if "widget" in k}
        )
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
    # The widget is the only explorer on screen in JupyterLab: it says what the static view
    # says (image, size, efficiency; the wasted space) around the controls.
    head = w.HTML(
        f'<div style="{BOX}">{view.summary_html()}'
        "<div><b>Explore a layer</b> (pick one, filter)</div></div>"
    )
    waste = w.HTML(f'<div style="{BOX}">{view.waste_html()}</div>')
    box = w.VBox([head, w.HTML(SELECT_CSS), select, kinds, detail, waste])
    return WithStaticFallback(box, view)
