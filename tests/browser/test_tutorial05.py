"""Tutorial 05 in a real JupyterLab, as a learner goes through it: the cells up to the compose
project's `up` run (Run ▸ Run All Above Selected Cell), the link to the published port that
the `%%compose` cell shows is clicked, and the app answers in a new tab with its page and the
visit counted by its database (`db`, found by name); then the rest of the tutorial runs
(Run ▸ Run Selected Cell and All Below) with no error. Screenshots: c05-compose-link.png (the
cell with the link) and c05-app-page.png (the app's tab), in the browser artifacts.

Measured on the 2-core machine, stand-ins already made: 35-55 s (the app's image built
from node:20, both compose `up`s)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    pytest.skip(
        "browser test needs Playwright for Python: pip install -e '.[test]'",
        allow_module_level=True,
    )

from .lab_ui import error_outputs, open_notebook, shot, wait_all_ran  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "05-web-apps-and-compose.ipynb"
BUDGET_MS = 600_000  # ~2 min here; this catches a hang, not a slow CI
LINK = 'a[href="http://localhost:3000/"]'


def _cell_index(page, source_start: str) -> int:
    """Index among .jp-Cell of the first cell whose text starts with ``source_start``."""
    sources = page.locator(".jp-Cell .jp-InputArea-editor").all_inner_texts()
    matches = [i for i, s in enumerate(sources) if s.strip().startswith(source_start)]
    assert matches, f"no cell starts with {source_start!r}"
    return matches[0]


def _run_from_menu(page, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def _cleanup(store: str) -> None:
    for args in (["compose", "-p", "shop", "down", "-v"], ["rm", "-f", "web", "db"]):
        cmd = [sys.executable, "-m", "docker_magics", "--root", store, *args]
        subprocess.run(cmd, capture_output=True, timeout=120, env={**os.environ})


def test_tutorial05_port_link_opens_the_app(page, lab):
    open_notebook(page, lab, NOTEBOOK)
    cells = page.locator(".jp-Cell")
    try:
        up = _cell_index(page, "%%compose -p shop")
        # Select the cell after the project's `up`, and run everything above it.
        cells.nth(up + 1).locator(".jp-InputPrompt").click()
        _run_from_menu(page, "Run All Above Selected Cell")
        wait_all_ran(page, BUDGET_MS)
        assert error_outputs(page) == []
        link = cells.nth(up).locator(LINK)
        expect(link).to_be_visible(timeout=60_000)
        expect(cells.nth(up)).to_contain_text("shop-app-1 port 3000")
        shot(cells.nth(up), lab.artifacts, "c05-compose-link")
        with page.context.expect_page() as opened:
            link.click()
        app = opened.value
        expect(app.locator("h1")).to_have_text("Hello from docker-testing!", timeout=60_000)
        # The app reached its database by the name `db`: the visit was counted there.
        expect(app.locator("p")).to_contain_text(
            "This page was seen 1 time (counted by the database at db:6379)."
        )
        app.screenshot(path=os.path.join(lab.artifacts, "c05-app-page.png"))
        app.close()
        # The rest of the lesson: curl, graph, ps, logs, down, up again, down -v.
        cells.nth(up + 1).locator(".jp-InputPrompt").click()
        _run_from_menu(page, "Run Selected Cell and All Below")
        prompts = wait_all_ran(page, BUDGET_MS)
        assert error_outputs(page) == []
        assert "[ ]:" not in prompts, prompts
        expect(cells.last).to_contain_text("Volume shop_dbdata  Removed")
    finally:
        for session in lab.api("GET", "sessions") or []:
            lab.api("DELETE", f"sessions/{session['id']}")
        _cleanup(lab.store)
