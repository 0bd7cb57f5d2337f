"""The layer graph: DOT text from pure data, SVG from the real `dot`, the tree fallback."""

from __future__ import annotations

import shutil

import pytest

from docker_magics.display import graph as g

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs graphviz `dot`")


def sample() -> g.GraphData:
    data = g.GraphData()
    data.layers["c1"] = g.LayerNode("c1", None, "sha256:aa", "sha256:b1", 2_430_000, "ADD rootfs")
    data.layers["c2"] = g.LayerNode(
        "c2", "c1", "sha256:bb", "sha256:b2", 1200, 'RUN echo "quoted" > /x', mark="cached"
    )
    data.layers["c3"] = g.LayerNode(
        "c3", "c1", "sha256:cc", "sha256:b3", 10, "COPY . /src", "built"
    )
    data.images += [
        g.ImageNode("sha256:i1", ["busybox:latest"], 2_430_000, "c1"),
        g.ImageNode("sha256:i2", ["app:v1", "app:latest"], 2_431_200, "c2", ['CMD ["sh"]']),
        g.ImageNode("sha256:i3", [], 2_430_010, "c3"),
    ]
    data.containers.append(g.ContainerNode("f00", "web", "running", "sha256:i2"))
    return data


def test_dot_text_is_pure_and_complete():
    dot = g.to_dot(sample(), prefix="dmX")
    assert dot == g.to_dot(sample(), prefix="dmX")
    assert dot.count("ADD rootfs") == 2  # label + tooltip, one node
    assert "L0 -> L1;" in dot and "L0 -> L2;" in dot
    assert "app:v1, app:latest" in dot and "&lt;none&gt; i3" in dot
    assert 'tooltip="RUN echo \\"quoted\\" > /x"' in dot
    assert "CACHED in last build" in dot and "BUILT in last build" in dot
    assert "-> C0 [style=dashed" in dot and 'id="dmX_L0"' in dot


@needs_dot
def test_svg_inline_with_html_and_text():
    view = g.LayerGraph(sample())
    bundle, meta = view._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<svg")
    assert "<?xml" not in bundle["text/html"] and "<svg" in bundle["text/html"]
    assert "<title>" in bundle["image/svg+xml"]  # tooltips
    assert meta["image/svg+xml"]["isolated"] is True
    assert "busybox:latest" in bundle["text/plain"]


def test_missing_dot_falls_back_to_a_tree(monkeypatch):
    monkeypatch.setattr(g, "DOT", "/nonexistent/dot")
    view = g.LayerGraph(sample())
    bundle, meta = view._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    html = bundle["text/html"]
    assert "graphviz is not installed" in html and "apt.txt" in html
    assert (
        "<ul" in html and "app:v1" in html and 'title="RUN echo &quot;quoted&quot; &gt; /x"' in html
    )
    with pytest.raises(g.DotError):
        view.save("/tmp/never.svg")


def test_dot_failure_is_one_error():
    with pytest.raises(g.DotError, match="graphviz failed"):
        g.render_svg("digraph { this is not dot")


def test_text_tree_shape():
    assert g.text_tree(sample()).splitlines() == [
        "└─  2.43MB  ADD rootfs",
        "   ├─ ▣ image busybox:latest (i1, 2.43MB)",
        '   ├─   1.2kB  RUN echo "quoted" > /x  [CACHED]',
        "   │  └─ ▣ image app:v1, app:latest (i2, 2.43MB)",
        "   │       container web (running)",
        "   └─     10B  COPY . /src  [BUILT]",
        "      └─ ▣ image <none> i3 (i3, 2.43MB)",
    ]


def test_graph_of_a_real_store(engine, base_image, tmp_path):
    engine.run("busybox", ["sh", "-c", "echo 1 > /one"], name="a")
    engine.commit("a", "one", message="Add one")
    engine.run("busybox", ["sh", "-c", "echo 2 > /two"], name="b")
    engine.commit("b", "two")
    data = g.collect_graph(engine)
    base = [n for n in data.layers.values() if n.parent is None]
    assert len(base) == 1 and base[0].instruction.startswith("Imported")
    assert len(data.layers) == 3 and {c.name for c in data.containers} == {"a", "b"}
    # a commit's layer is named by its message; without one, by the command that made it
    labels = sorted(n.instruction for n in data.layers.values() if n.parent is not None)
    assert labels[0] == "commit: Add one" and "echo 2 > /two" in labels[1]
    assert "commit: Add one" in g.to_dot(data)
    only = g.collect_graph(engine, ["one"])
    assert [i.tags for i in only.images] == [["one:latest"]] and len(only.layers) == 2
    view = g.LayerGraph(data)
    view.save(str(tmp_path / "g.dot"))
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
