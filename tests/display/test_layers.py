"""The layer explorer: A/C/D per layer from tar headers, waste and efficiency."""

from __future__ import annotations

from docker_magics.display.layers import LayerExplorer, Member, analyze, collect_layers


def M(path, size=0, type="file"):
    return Member(path, type, size)


def test_added_changed_deleted_and_waste():
    layers = [
        [
            M("etc", type="dir"),
            M("etc/conf", 100),
            M("big", 1000),
            M("d", type="dir"),
            M("d/a", 10),
            M("d/b", 20),
        ],
        [M("etc", type="dir"), M("etc/conf", 120), M(".wh.big"), M("new", 5)],
        [M("d/.wh..wh..opq"), M("d/c", 7)],
    ]
    changes, waste, total, wasted = analyze(layers)
    kinds = [{(c.kind, c.path) for c in layer} for layer in changes]
    assert ("A", "etc/conf") in kinds[0] and ("A", "d") in kinds[0]
    assert kinds[1] == {("C", "etc/conf"), ("D", "big"), ("A", "new")}  # dirs are not changes
    assert kinds[2] == {("D", "d/a"), ("D", "d/b"), ("A", "d/c")}
    assert total == 100 + 1000 + 10 + 20 + 120 + 5 + 7
    assert wasted == 100 + 1000 + 10 + 20
    assert [w.path for w in waste][:2] == ["big", "etc/conf"]
    assert waste[1].versions == 2


def test_deleting_a_directory_wastes_its_contents():
    changes, waste, total, wasted = analyze([[M("x", type="dir"), M("x/y", 50)], [M(".wh.x")]])
    assert [(c.kind, c.path, c.size) for c in changes[1]] == [("D", "x", 50)]
    assert wasted == 50


def test_real_image_view(engine, base_image):
    engine.run("busybox", ["sh", "-c", "head -c 5000 /dev/zero > /big; echo hi > /hi"], name="c")
    engine.commit("c", "step1")
    engine.run("step1", ["sh", "-c", "rm /big; rm /bin/vi"], name="d")
    engine.commit("d", "step2")
    report = collect_layers(engine, "step2")
    assert len(report.layers) == 3
    assert {(c.kind, c.path) for c in report.layers[2].changes} == {("D", "big"), ("D", "bin/vi")}
    assert report.wasted_bytes == 5000 and 0 < report.efficiency < 1
    view = LayerExplorer(report)
    html = view.to_html()
    assert html.count("<details><summary><b>#") == 3
    assert "text-decoration:line-through" in html and "Wasted space" in html
    text = view.to_text()
    assert "D /big" in text and "… " in text  # the base layer's list is cut in text
    view.text_limit = 0
    assert "… " not in view.to_text().split("Wasted")[0].split("#2")[0].splitlines()[-1]


def test_big_trees_collapse():
    from docker_magics.display.layers import Change, layer_tree_html

    changes = [
        Change(f"usr/share/doc/p{i}/f{j}", "A", "file", 10) for i in range(50) for j in range(20)
    ]
    html = layer_tree_html(changes, budget=100)
    # The folders' summaries still count everything; past the budget a note says what is cut.
    assert "<b>usr/</b> <span style='color:#777'>10kB, 1052 entries</span>" in html
    assert "<b>p0/</b> <span style='color:#777'>200B, 20 entries</span>" in html
    assert html.count("<span>f0</span>") == 5  # five folders' files fit a budget of 100
    assert "… 20 entries in this folder not shown" in html
    assert html.count("<li>") < 200 and len(html) < 40_000
