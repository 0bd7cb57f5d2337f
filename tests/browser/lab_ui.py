"""What a learner does in JupyterLab, as Playwright steps: open a notebook, Run All from the menu,
wait until every cell ran, read what is on screen.

Only waiting uses ``window.jupyterapp`` (exposed by the server flag in conftest.py): the kernel's
status is not on screen in a stable form. Running, clicking and reading go through the page.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

__all__ = [
    "write_notebook",
    "open_notebook",
    "run_all",
    "wait_all_ran",
    "error_outputs",
    "shot",
    "set_theme",
]


def write_notebook(root: str, name: str, cells: list[str]) -> str:
    """A notebook of code cells on the python3 kernel, written to ``root/name``; returns name."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, os.path.join(root, name))
    return name


_KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === "idle";
}"""

# Queued and running cells show "[*]:"; a cell that never ran shows "[ ]:".
_PROMPTS = """() => Array.from(document.querySelectorAll(
  ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt"
)).map(e => e.textContent.trim())"""

_ERRORS = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content.model;
  const out = [];
  for (let i = 0; i < nb.cells.length; i++) {
    const c = nb.cells.get(i);
    if (c.type !== "code") continue;
    for (let j = 0; j < c.outputs.length; j++) {
      const o = c.outputs.get(j).toJSON();
      if (o.output_type === "error")
        out.push(c.sharedModel.getSource().split("\\n")[0] + " -> " + o.ename + ": " + o.evalue);
    }
  }
  return out;
}"""


def open_notebook(page: Page, lab: Any, path: str, timeout_ms: int = 120_000) -> None:
    # ?reset: a fresh workspace, or Lab would reopen (and start kernels for) earlier notebooks.
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}")
    expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible(timeout=timeout_ms)
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout_ms)


def run_all(page: Page) -> None:
    """Run ▸ Run All Cells, as a learner would."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def wait_all_ran(page: Page, timeout_ms: int) -> list[str]:
    """Until no cell is queued or running; returns the prompts ("[1]:", ...)."""
    page.wait_for_function(
        f"() => ({_PROMPTS})().some(p => p !== '[ ]:')", timeout=timeout_ms, polling=250
    )
    page.wait_for_function(
        f"() => !({_PROMPTS})().some(p => p.includes('*'))", timeout=timeout_ms, polling=500
    )
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout_ms)
    return list(page.evaluate(_PROMPTS))


def error_outputs(page: Page) -> list[str]:
    """'first line -> ename: evalue' of each error output; then what else reads as an error."""
    errors = list(page.evaluate(_ERRORS))
    tracebacks = page.locator(".jp-OutputArea-output", has_text="Traceback (most recent call")
    errors += [f"traceback on screen: {t[:200]}" for t in tracebacks.all_inner_texts()]
    # IPython prints a UsageError as stderr text, not as an error output; our failures also
    # show a rendered error view before the one-line CellFailed.
    usage = page.locator(".jp-OutputArea-output", has_text=re.compile(r"^UsageError:"))
    errors += [f"usage error on screen: {t[:200]}" for t in usage.all_inner_texts()]
    views = page.locator(".docker-magics-error")
    errors += [f"error view on screen: {t[:200]}" for t in views.all_inner_texts()]
    return errors


def shot(locator: Any, artifacts: str, name: str) -> str:
    """An element's screenshot (scrolled into view first) as ARTIFACTS/NAME.png."""
    path = os.path.join(artifacts, f"{name}.png")
    # A live view may redraw its output element between the scroll and the picture (the
    # element is replaced, not changed; Playwright says "not attached" or, when the old one is
    # already detached from layout, "not visible"): the locator finds the new one next try.
    for attempt in range(3):
        try:
            locator.scroll_into_view_if_needed()
            locator.screenshot(path=path)
            return path
        except PlaywrightError as exc:
            replaced = "not attached" in str(exc) or "not visible" in str(exc)
            if not replaced or attempt == 2:
                raise
            time.sleep(0.5)
    return path


def set_theme(page: Page, theme: str) -> None:
    page.evaluate(
        f"() => window.jupyterapp.commands.execute('apputils:change-theme', "
        f"{{theme: {json.dumps(theme)}}})"
    )
    expect(page.locator("body")).to_have_attribute("data-jp-theme-name", theme, timeout=30_000)
    # Lab covers the page with its fading splash while the theme loads: shoot after it.
    expect(page.locator("#jupyterlab-splash")).to_have_count(0, timeout=30_000)
