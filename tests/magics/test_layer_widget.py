"""The layer explorer widget driven from Python, as a user's clicks drive it in the browser:
select a layer, filter by kind, expand folders. A real image, real ipywidgets, no browser."""

from __future__ import annotations

import re

import pytest

from docker_magics.display.layers import LayerExplorer, collect_layers

w = pytest.importorskip("ipywidgets")


@pytest.fixture()
def explorer(engine, base_image):
    """busybox, then a layer that adds a folder of files, then one that deletes and changes."""
    engine.run(
        base_image,
        ["sh", "-c", "mkdir -p /app/lib && for i in 1 2 3; do echo $i > /app/lib/m$i; done"],
        name="a",
    )
    engine.commit("a", "step1")
    engine.run("step1", ["sh", "-c", "rm /app/lib/m1 && echo new > /app/lib/m2"], name="b")
    engine.commit("b", "step2")
    from docker_magics.magics.widgets import layer_widget

    view = LayerExplorer(collect_layers(engine, "step2"))
    shown = layer_widget(view)
    assert shown is not None
    children = shown.widget.children
    [select] = [c for c in children if isinstance(c, w.Select)]
    [kinds] = [c for c in children if isinstance(c, w.ToggleButtons)]
    detail = children[children.index(kinds) + 1]  # the pane under the controls
    return view, shown, select, kinds, detail


_ENTRY = re.compile(r">([ACD])</b> (?:<span[^>]*>([^<]+)</span>|<b>([^<]+)</b>)")
_COUNTS = re.compile(r">A</b> (\d+) .*?>C</b> (\d+) .*?>D</b> (\d+)\)")


def _entries(html: str) -> list[str]:
    """The A/C/D entries a detail pane lists, as 'A m3' (files) or 'A lib/' (folders)."""
    return [f"{kind} {file or folder}" for kind, file, folder in _ENTRY.findall(html)]


def _counts(html: str) -> tuple[int, ...]:
    """The (A, C, D) counts in the selected layer's summary line."""
    found = _COUNTS.search(html)
    assert found, html
    return tuple(int(n) for n in found.groups())


def test_the_last_layer_is_selected_first(explorer):
    view, shown, select, kinds, detail = explorer
    assert [label.split()[0] for label, _ in select.options] == ["#1", "#2", "#3"]
    assert "rm /app/lib/m1" in select.options[2][0]
    assert select.value == 2 and kinds.value == "ACD"
    assert _entries(detail.value) == ["D m1", "C m2"]
    assert _counts(detail.value) == (0, 1, 1)


def test_selecting_a_layer_shows_its_changes(explorer):
    view, shown, select, kinds, detail = explorer
    select.value = 1
    assert _entries(detail.value) == ["A app/", "A lib/", "A m1", "A m2", "A m3"]
    assert _counts(detail.value) == (5, 0, 0)
    select.value = 0
    assert {"A bin/", "A etc/", "A passwd", "A group"} <= set(_entries(detail.value))


def test_filtering_by_kind(explorer):
    view, shown, select, kinds, detail = explorer
    kinds.value = "D"
    assert _entries(detail.value) == ["D m1"]
    kinds.value = "C"
    assert _entries(detail.value) == ["C m2"]
    kinds.value = "A"
    assert "<i>(no file changes)</i>" in detail.value
    select.value = 1  # the filter stays while another layer is picked
    assert _entries(detail.value) == ["A app/", "A lib/", "A m1", "A m2", "A m3"]
    kinds.value = "D"
    assert "<i>(no file changes)</i>" in detail.value


def test_small_trees_open_whole_big_ones_collapse(explorer):
    view, shown, select, kinds, detail = explorer
    select.value = 1  # five entries: every folder open, the files seen without a click
    assert detail.value.count("<details open>") == 2
    select.value = 0  # the busybox base: hundreds of entries; the big folder starts closed
    assert '<li><details><summary><b style="color:#2e7d32">A</b> <b>bin/</b>' in detail.value
    assert '<li><details open><summary><b style="color:#2e7d32">A</b> <b>etc/</b>' in (detail.value)


def test_one_bundle_carries_the_widget_and_the_static_view(explorer):
    """One output: JupyterLab draws the widget view, every other reader the static HTML."""
    view, shown, select, kinds, detail = explorer
    bundle = shown._repr_mimebundle_()
    widget_view = bundle["application/vnd.jupyter.widget-view+json"]
    assert widget_view["model_id"] == shown.widget.model_id
    assert (
        bundle["text/html"] == view.to_html()
        and 'class="docker-magics-layers"' in (bundle["text/html"])
    )
    assert bundle["text/plain"] == view.to_text() and "step2" in bundle["text/plain"]


def test_the_widget_says_what_the_static_view_says(explorer):
    """Live, the widget is the only explorer on screen: the image's score and waste are in it."""
    view, shown, select, kinds, detail = explorer
    texts = "".join(c.value for c in shown.widget.children if isinstance(c, w.HTML))
    assert view.summary_html() in texts and "efficiency" in texts
    assert view.waste_html() in texts and "/app/lib/m1" in texts
