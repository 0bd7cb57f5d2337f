"""A real notebook executed by nbclient with a real kernel; the saved outputs are what a reader of
the executed notebook (nbconvert HTML, GitHub preview) gets: SVG graph, HTML tables, summaries."""

from __future__ import annotations

import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.slow

ARTIFACTS = os.environ.get("DOCKER_MAGICS_ARTIFACTS", "")


def notebook(root: str, ctx: str):
    cells = [
        "%load_ext docker_magics",
        f"%config DockerMagics.root = {root!r}",
        f"%%dockerfile -t app {ctx}\nFROM busybox\nCOPY . /app/\nRUN echo built > /app/built\n"
        'CMD ["cat", "/app/built"]',
        "%container images",
        "%%container\n# pasted from a tutorial\ndocker run --rm app\n",
        "%container graph",
        "%container layers app",
        "%container run --rm app sh -c 'echo bad; exit 5'",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.cells[-1].metadata["tags"] = ["raises-exception"]
    return nb


def outputs(cell, kind=None):
    return [o for o in cell.outputs if kind is None or o.output_type == kind]


def test_executed_notebook_keeps_pictures(engine, base_image, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "hello.txt").write_text("hello\n")
    nb = notebook(engine.store.root, str(ctx))
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True)
    client.execute(cwd=str(tmp_path))
    load, config, build, images, pasted, graph, layers, failing = nb.cells
    for cell in nb.cells[:-1]:
        assert not outputs(cell, "error"), cell.source
    # the live step list was one display updated in place: its final state, then the summary
    (live,) = outputs(build, "display_data")
    assert "Build log: 3 steps" in live.data["text/html"]
    (summary,) = outputs(build, "execute_result")
    assert "✓ Built app" in summary.data["text/html"] and "Built app" in summary.data["text/plain"]
    (table,) = outputs(images, "display_data")
    assert "<table" in table.data["text/html"] and "busybox" in table.data["text/plain"]
    assert "$ docker run --rm app" in pasted.outputs[0].text
    assert any("built" in o.get("text", "") for o in outputs(pasted, "stream"))
    (pic,) = outputs(graph, "display_data")
    assert pic.data["image/svg+xml"].startswith("<svg") and "<svg" in pic.data["text/html"]
    assert "app:latest" in pic.data["text/plain"]
    # One output: the widget for a live Lab, the static view for every other reader.
    (explorer,) = outputs(layers, "display_data")
    assert "application/vnd.jupyter.widget-view+json" in explorer.data
    assert "<details" in explorer.data["text/html"] and "built" in explorer.data["text/html"]
    assert "app" in explorer.data["text/plain"]
    assert "state" in nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
    (error,) = outputs(failing, "error")
    assert error.ename == "CellFailed" and len(error.traceback) == 1
    assert "exit code" in outputs(failing, "display_data")[0].data["text/html"]
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "<svg" in html and "docker-magics-table" in html and "docker-magics-build" in html
    # With widget state saved (nbclient's default) nbconvert draws the widget, from a CDN; a
    # notebook as JupyterLab saves it (no widget state) shows the static explorer in its body,
    # its layers' file trees included.
    stripped = nbformat.from_dict(nb)
    del stripped.metadata["widgets"]
    static, _ = HTMLExporter().from_notebook_node(stripped)
    assert 'class="docker-magics-layers"' in static and "<details" in static
    assert "built</" in static
    if ARTIFACTS:
        os.makedirs(ARTIFACTS, exist_ok=True)
        with open(os.path.join(ARTIFACTS, "notebook.html"), "w") as fh:
            fh.write(static)
        nbformat.write(nb, os.path.join(ARTIFACTS, "notebook.ipynb"))
