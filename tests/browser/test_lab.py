"""The notebook views in a real JupyterLab, in Debian's headless Chromium, with a real kernel.

(a) a `%%dockerfile` cell: the live step list while a RUN step sleeps, then the summary with the
image ID that the store holds; (b) the layer explorer widget: select a layer, expand a folder,
filter deleted files, and the view follows; (c) each tutorial run with Run ▸ Run All Cells: every
cell ran, no error on screen, the graph SVG and (for rebuilds) the cache diff visible. Screenshots
of each key output go to $DOCKER_MAGICS_ARTIFACTS/browser (else a tmp dir; its path is printed).

Measured on the 2-core CI machine, seed images already made: about 2 minutes for the module
(JupyterLab start ~5 s; tutorial 01 30-45 s, 02-04 10-16 s each; the demo ~13 s).
"""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    pytest.skip(
        "browser test needs Playwright for Python: pip install -e '.[test]'",
        allow_module_level=True,
    )


from .lab_ui import (  # noqa: E402
    error_outputs,
    open_notebook,
    run_all,
    set_theme,
    shot,
    wait_all_ran,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every output JupyterLab draws pink: stderr streams and error outputs.
PINK = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
TUTORIAL_BUDGET_MS = 240_000  # each tutorial ran in < 60 s here; this catches a hang, not a slow CI
DEMO = """\
%%dockerfile -t browser-demo -
FROM busybox:latest
RUN mkdir -p /app/data && echo one > /app/data/one.txt && echo "sleeping $((2 + 2))s" && sleep 4
RUN echo two > /app/two.txt && rm /app/data/one.txt
CMD ["cat", "/app/two.txt"]"""
FAILING = """\
%%dockerfile -t browser-broken -
FROM busybox:latest
RUN echo "about to fail" && exit 3"""


def _write_demo(root: str) -> str:
    return write_notebook(
        root,
        "browser-demo.ipynb",
        [
            "%load_ext docker_magics",
            DEMO,
            "%container layers browser-demo",
            FAILING,  # last: a failure stops Run All
        ],
    )


def _shutdown_kernels(lab) -> None:
    """Each test's kernel goes when it is done: 2 cores and several kernels do not mix."""
    for session in lab.api("GET", "sessions") or []:
        lab.api("DELETE", f"sessions/{session['id']}")


# notebook -> (cache diffs at least, key outputs to screenshot besides graph and cache diff)
TUTORIALS = {
    "01-images-and-layers": (5, []),
    "02-containers-and-commits": (0, [".docker-magics-table"]),
    "03-whats-in-a-layer": (0, [".widget-vbox"]),
    "04-cache-deep-dive": (6, []),
}


@pytest.mark.parametrize("name", list(TUTORIALS))
def test_tutorial_runs_in_lab(page, lab, name):
    diffs, extra = TUTORIALS[name]
    open_notebook(page, lab, f"{name}.ipynb")
    try:
        run_all(page)
        prompts = wait_all_ran(page, TUTORIAL_BUDGET_MS)
        assert error_outputs(page) == []
        # Nothing drawn pink either (stderr streams): progress is not an error.
        assert page.locator(PINK).all_inner_texts() == []
        assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), prompts
        graph = page.locator(".docker-magics-graph svg").last
        expect(graph).to_be_visible()
        assert (graph.bounding_box() or {}).get("width", 0) > 200
        shot(page.locator(".docker-magics-graph").last, lab.artifacts, f"c{name[:2]}-graph")
        cachediff = page.locator(".docker-magics-cachediff")
        assert cachediff.count() >= diffs
        if diffs:
            expect(cachediff.last).to_be_visible()
            shot(cachediff.first, lab.artifacts, f"c{name[:2]}-cachediff-first")
            shot(cachediff.last, lab.artifacts, f"c{name[:2]}-cachediff-last")
        for i, selector in enumerate(extra):
            shot(page.locator(selector).first, lab.artifacts, f"c{name[:2]}-extra{i}")
        if name.startswith("01"):
            # A learner's dark theme: the same outputs must stay legible.
            set_theme(page, "JupyterLab Dark")
            try:
                shot(cachediff.last, lab.artifacts, "c01-dark-cachediff")
                shot(page.locator(".docker-magics-graph").last, lab.artifacts, "c01-dark-graph")
                shot(page.locator(".docker-magics-build").last, lab.artifacts, "c01-dark-buildlog")
            finally:
                set_theme(page, "JupyterLab Light")
    finally:
        _shutdown_kernels(lab)


# Last, so that its image is not in the tutorials' graphs (they share the session's store).
def test_dockerfile_cell_and_layer_explorer(page, lab):
    from docker_magics.api import Engine

    open_notebook(page, lab, _write_demo(lab.root_dir))
    try:
        run_all(page)
        # (a) Live: the step list while `sleep 4` runs, updated in place.
        build = page.locator(".docker-magics-build").first
        expect(build).to_contain_text("Building…", timeout=120_000)
        # The running row (progress bar) with the RUN step's own output streamed into it (the
        # instruction says "$((2 + 2))"), while it sleeps; the steps after it wait.
        running = build.locator("tr", has=page.locator("progress"))
        expect(running).to_contain_text("sleeping 4s", timeout=60_000)
        expect(running).to_contain_text("running")
        expect(build).to_contain_text("waiting")
        shot(build, lab.artifacts, "a1-live-step-list")
        # Done: the step list folds into a closed "build log", the summary shows the image.
        summary = page.locator(".docker-magics-build-summary")
        expect(summary).to_be_visible(timeout=120_000)
        expect(build).to_contain_text("Build log:")
        expect(build.locator("table")).to_be_hidden()
        image_id = Engine(lab.store).image("browser-demo").id.split(":")[-1][:12]
        expect(summary).to_contain_text(f"image {image_id}")
        # FROM counts as cached when an earlier test already pulled busybox
        expect(summary).to_contain_text(re.compile(r"3 steps, [01] cached, [23] built"))
        shot(page.locator(".jp-Cell").nth(1), lab.artifacts, "a2-build-summary")

        # (b) The layer explorer widget: layer #3 selected first, as the newest.
        box = page.locator(".widget-vbox").filter(has=page.locator(".widget-select")).first
        expect(box).to_be_visible(timeout=120_000)
        # Once: the widget alone, not also the static copy its output carries for exports.
        layers_cell = page.locator(".jp-Cell").nth(2)
        expect(layers_cell.locator(".jp-OutputArea-output")).to_have_count(1)
        expect(layers_cell.locator(".widget-select")).to_have_count(1)
        expect(layers_cell.locator(".docker-magics-layers")).to_have_count(0)
        detail = box.locator(".widget-html").nth(2)  # after the heading and the style
        expect(detail).to_contain_text("#3")
        expect(detail.locator("li", has_text="two.txt").last).to_contain_text("A two.txt")
        shot(box, lab.artifacts, "b1-layers-widget")
        box.locator(".widget-select select").select_option(index=0)
        expect(detail).to_contain_text("#1")
        expect(detail.locator("li", has_text="two.txt")).to_have_count(0)
        # /bin holds every busybox applet: too many entries to open by itself.
        bin_dir = detail.locator("summary").filter(
            has=page.locator("b", has_text=re.compile("^bin/$"))
        )
        busybox = bin_dir.first.locator("xpath=..").get_by_text("busybox", exact=True).first
        expect(busybox).to_be_hidden()
        bin_dir.first.click()
        expect(busybox).to_be_visible()
        shot(box, lab.artifacts, "b2-layers-expanded")
        box.locator(".widget-select select").select_option(index=2)
        box.locator("button", has_text="deleted").click()
        expect(detail.locator("li", has_text="one.txt").last).to_contain_text("D one.txt")
        expect(detail.locator("li", has_text="two.txt")).to_have_count(0)
        shot(box, lab.artifacts, "b3-layers-deleted")
        # A failed RUN: a short error with the line, the exit code and the output; no traceback.
        failure = page.locator(".docker-magics-error")
        expect(failure).to_be_visible(timeout=60_000)
        expect(failure.locator("tr", has_text="exit code")).to_contain_text("3")
        expect(failure).to_contain_text("about to fail")
        shot(page.locator(".jp-Cell").nth(3), lab.artifacts, "a3-failed-build")
        set_theme(page, "JupyterLab Dark")
        try:
            shot(failure, lab.artifacts, "a3-dark-failed-build")
            shot(box, lab.artifacts, "b4-dark-layers-widget")
        finally:
            set_theme(page, "JupyterLab Light")
        prompts = wait_all_ran(page, 60_000)
        assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), prompts
        errors = error_outputs(page)
        assert len(errors) == 2, errors
        assert errors[0].startswith("%%dockerfile -t browser-broken - -> CellFailed"), errors
        assert errors[1].startswith("error view on screen: "), errors
    finally:
        _shutdown_kernels(lab)
