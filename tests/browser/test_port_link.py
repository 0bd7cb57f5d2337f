"""A published port in JupyterLab: `run -d -p` shows a link, clicking it opens the app's page
(a real busybox httpd in a container), and `%container curl` shows the page in a sandboxed
frame. Measured: ~15 s with the lab already started."""

from __future__ import annotations

import os

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    pytest.skip(
        "browser test needs Playwright for Python: pip install -e '.[test]'",
        allow_module_level=True,
    )

import nbformat  # noqa: E402

from docker_magics.engine.ports import free_port  # noqa: E402

from .lab_ui import open_notebook, run_all, shot  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _write(root: str, port: int) -> str:
    script = (
        "mkdir /www && echo '<h1>hi from a container</h1>' > /www/index.html && "
        "exec httpd -f -p 3000 -h /www"
    )
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext docker_magics"),
        nbformat.v4.new_code_cell(
            f'%container run -d --name weblink -p {port}:3000 busybox:latest sh -c "{script}"'
        ),
        nbformat.v4.new_code_cell("%container curl weblink"),
    ]
    nbformat.write(nb, os.path.join(root, "port-link.ipynb"))
    return "port-link.ipynb"


def test_published_port_link_opens_the_page(page, lab):
    port = free_port()
    open_notebook(page, lab, _write(lab.root_dir, port))
    try:
        run_all(page)
        link = page.locator(f'a[href="http://localhost:{port}/"]')
        expect(link).to_be_visible(timeout=120_000)
        with page.context.expect_page() as opened:
            link.click()
        app = opened.value
        expect(app.locator("h1")).to_have_text("hi from a container", timeout=30_000)
        app.close()
        frame = page.frame_locator("iframe[sandbox]").first
        expect(frame.locator("h1")).to_have_text("hi from a container", timeout=60_000)
        shot(page.locator(".jp-Cell").nth(2), lab.artifacts, "c1-curl-page")
    finally:
        from docker_magics.api import Engine

        Engine(lab.store).rm("weblink", force=True)
        for session in lab.api("GET", "sessions") or []:
            lab.api("DELETE", f"sessions/{session['id']}")
