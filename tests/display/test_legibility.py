"""What the browser screenshots showed (tests/browser), pinned without a browser: dark-theme
text colours, readable graph scale, the layer tree opening and counting, reasons said once."""

from __future__ import annotations

import re

from docker_magics.display._base import INK
from docker_magics.display.cachediff import CacheDiff, diff_builds
from docker_magics.display.graph import MIN_SCALE, _readable
from docker_magics.display.layers import Change, layer_tree_html


def _step(index, text, cached):
    return {"stage": "0", "index": index, "line": index + 1, "instruction": text, "cached": cached}


ENV_OLD, ENV_NEW = "ENV GREETING=hello", "ENV GREETING=bonjour"
INSTRUCTION = {"field": "instruction", "old": ENV_OLD, "new": ENV_NEW}
TWICE = {  # the builder can report an ENV step's text change twice; the view says it once
    "kind": "changed",
    "summary": f"instruction changed: {ENV_OLD!r} -> {ENV_NEW!r}; "
    f"instruction changed: {ENV_OLD!r} -> {ENV_NEW!r}",
    "changes": [INSTRUCTION, INSTRUCTION],
}
ENV = {
    "kind": "changed",
    "summary": "GREETING changed: 'hello' -> 'bonjour'",
    "changes": [{"field": "env", "name": "GREETING", "old": "hello", "new": "bonjour"}],
}


def _diff() -> CacheDiff:
    old = {"id": "b1", "steps": [_step(0, ENV_OLD, False), _step(1, "RUN x", False)]}
    new = {"id": "b2", "steps": [_step(0, ENV_NEW, False), _step(1, "RUN x", False)]}
    new["steps"][0]["reason"], new["steps"][1]["reason"] = TWICE, ENV
    return CacheDiff(diff_builds(old, new))


def test_cache_diff_says_each_reason_once():
    view = _diff()
    html, text = view.to_html(), view.to_text()
    said = f"instruction changed, was: {ENV_OLD}"
    rows, table = html.split("<tbody>")[1], text.split("\n")[2:-1]  # without the headline
    assert rows.count(said) == 1 and "\n".join(table).count(said) == 1
    assert view.headline().count("instruction changed") == 1
    # Made again from the changes: words, not the reprs the stored summary held.
    assert "environment variable GREETING changed: hello -&gt; bonjour" in html
    assert "&#x27;" not in html and "'hello'" not in text


def test_tinted_rows_set_their_own_text_colour():
    """A dark theme's near-white text is unreadable on our light tints."""
    rows = re.findall(r'<tr style="([^"]*)"', _diff().to_html())
    assert rows and all("background:" in r and INK in r for r in rows)


def test_graph_svg_shrinks_only_so_far():
    svg = _readable('<svg width="1200pt" height="300pt" viewBox="0 0 1200 300"><g/></svg>')
    least = 1200 * 4 / 3 * MIN_SCALE
    assert svg.startswith(f'<svg style="max-width:max(100%, {least:.0f}px);height:auto" width=')
    assert _readable("<svg><g/></svg>") == "<svg><g/></svg>"


def test_small_layer_tree_opens_whole_and_counts_in_words():
    deep = [Change("app", "A", "dir", 0), Change("app/data/one.txt", "D", "file", 4)]
    html = layer_tree_html(deep)
    assert "<details>" not in html  # every folder open: the deleted file shows at once
    assert "1 entry<" in html and "2 entries<" in html
    big = [Change(f"bin/f{i}", "A", "file", 1) for i in range(100)]
    assert "<details>" in layer_tree_html(big)


def test_error_card_rows_keep_dark_text():
    from docker_magics.display.errors import ErrorView

    html = ErrorView(title="a build step failed", command="RUN x", exit_code=3, line=2).to_html()
    rows = re.findall(r'<tr style="([^"]*)"', html)
    assert len(rows) == 3 and all(INK in r and "background:none" in r for r in rows)
