"""The stop button in a real JupyterLab (Debian's Chromium, a real kernel): a `%%dockerfile` cell
interrupted while its RUN step sleeps. On screen afterwards: the step list ends INTERRUPTED with
the line it stopped at, one line says so, no traceback, nothing else drawn as an error (pink),
and Run All stopped there. Screenshots go to the session's artifacts dir.

About 25 s here once JupyterLab is up (the session's `lab` fixture).
"""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    pytest.skip("browser test needs Playwright for Python", allow_module_level=True)


from tests.hardening.leftovers import processes_with  # noqa: E402

from .lab_ui import (  # noqa: E402
    error_outputs,
    open_notebook,
    run_all,
    shot,
    wait_all_ran,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MARKER = "6067"
BUILD = f"""\
%%dockerfile -t never-lab -
FROM interrupt-base:1
RUN echo first step
RUN echo "sleeping" && sleep {MARKER} & sleep {MARKER}; echo no"""
WHERE = f'at line 3 (RUN echo "sleeping" && sleep {MARKER} & sleep {MARKER}; echo no)'
# Every output JupyterLab draws pink: stderr streams and error outputs.
PINK = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


def _notebook(root: str) -> str:
    return write_notebook(
        root,
        "interrupt.ipynb",
        [
            "%load_ext docker_magics",
            "%container image ls",
            BUILD,
            "%container run --rm interrupt-base:1 echo never reached",
        ],
    )


def test_stop_button_during_a_build(page, lab, busybox_tar):
    from docker_magics.api import Engine

    engine = Engine(lab.store)
    engine.import_image(busybox_tar, "interrupt-base:1", message="busybox rootfs")
    open_notebook(page, lab, _notebook(lab.root_dir))
    try:
        run_all(page)
        build = page.locator(".docker-magics-build").first
        expect(build.locator("tr", has_text="sleeping")).to_contain_text("running", timeout=120_000)
        assert processes_with(MARKER)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:interrupt-kernel')")
        prompts = wait_all_ran(page, 60_000)
        assert prompts[3] == "[ ]:", prompts  # Run All stopped at the interrupted cell
        assert not processes_with(MARKER), "the RUN's processes survived the interrupt"
        expect(build).to_contain_text(f"Build interrupted {WHERE}")
        expect(build.locator("tr", has_text="sleeping")).to_contain_text("INTERRUPTED")
        expect(build.locator("progress")).to_have_count(0)  # the view did not freeze running
        pink = page.locator(PINK)
        assert pink.all_inner_texts() == [f"Interrupted: build interrupted {WHERE}"]
        errors = error_outputs(page)
        assert len(errors) == 1 and errors[0].startswith(
            "%%dockerfile -t never-lab - -> CellInterrupted:"
        ), errors
        shot(page.locator(".jp-Cell").nth(2), lab.artifacts, "i1-interrupted-build")
    finally:
        for session in lab.api("GET", "sessions") or []:
            lab.api("DELETE", f"sessions/{session['id']}")
    assert engine.check().ok
