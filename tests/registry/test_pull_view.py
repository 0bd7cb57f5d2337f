"""A pull in a notebook cell is a live view (one display, redrawn in place, bars per layer while
it runs) that ends as a plain summary; nothing goes to stderr, so nothing looks like an error."""

from __future__ import annotations

import pytest

from docker_magics.display.transfer import TransferProgress
from docker_magics.registry.progress import Progress

pytestmark = pytest.mark.registry


def test_transfer_view_bars_then_summary():
    view = TransferProgress("Pulling app:1")
    view.feed(Progress("sha256:" + "a" * 64, "exists", 10, 10))
    view.feed(Progress("sha256:" + "b" * 64, "downloading", 3 << 20, 8 << 20))
    assert view.feed(Progress("sha256:" + "c" * 64, "downloading", 0, 1 << 20))
    assert not view.feed(Progress("sha256:" + "c" * 64, "downloading", 1, 1 << 20))
    html = view.to_html()
    assert html.count("<progress") == 3 and "value='3145728' max='8388608'" in html
    assert view.headline() == "Pulling app:1… (1/3 layers, 3.15MB transferred, 1 already here)"
    assert "bbbbbbbbbbbb  Downloading 3.15MB/8.39MB" in view.to_text()
    view.feed(Progress("sha256:" + "b" * 64, "downloaded", 8 << 20, 8 << 20))
    view.feed(Progress("sha256:" + "c" * 64, "downloaded", 1 << 20, 1 << 20))
    view.feed("made here by docker-magics bootstrap")
    view.finish("Pulled app:1")
    assert view.to_text() == (
        "Pulled app:1 (3 layers, 9.44MB transferred, 1 already here)\n"
        "  made here by docker-magics bootstrap"
    )
    assert "<progress" not in view.to_html()


def test_pull_in_a_cell_is_a_live_view(engine, base_image, registry, tmp_path):
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    name = f"{registry.host}/view/bb:1"
    engine.tag(base_image, name)
    engine.push(name)
    ip = InteractiveShell.instance()
    ip.history_manager.enabled = False
    ip.run_cell("%load_ext docker_magics")
    ip.run_cell(f"%config DockerMagics.root = {str(tmp_path / 'other')!r}")
    try:
        with capture_output() as cap:
            result = ip.run_cell(f"%container pull {name}")
    finally:
        ip.run_cell("%config DockerMagics.root = None")
    assert result.error_in_exec is None
    assert cap.stderr == ""
    views = [o.data for o in cap.outputs if "docker-magics-transfer" in o.data.get("text/html", "")]
    assert views[0]["text/plain"].startswith(f"Pulling {name}…")
    assert views[-1]["text/plain"].startswith(f"Pulled {name} (1 layers, ")
    assert "Digest: sha256:" in cap.stdout
