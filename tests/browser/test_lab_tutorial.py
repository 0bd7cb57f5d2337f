"""Tutorial 01 as a teacher gives it: JupyterLab started by `scripts/lab`'s own entry point
(`docker-magics tutorial lab`, what the script execs once it has installed everything), with
Docker Hub unreachable and the stand-ins made here, opened at the URL it prints.

Run ▸ Run All Cells: every cell of the tutorial runs, nothing is drawn pink (progress is not an
error), no traceback. The notebook copy ends with a learner's experiment, a build whose RUN step
waits forever: the Stop button interrupts it, the step list ends INTERRUPTED at its line, one
line says so (the only pink), no traceback, no process left, and the kernel still answers the
next cell.

About 90 s once the stand-ins exist (setup ~15 s, the tutorial ~45 s, the interrupt ~15 s).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    pytest.skip("browser test needs Playwright for Python", allow_module_level=True)

from tests.hardening.leftovers import processes_with  # noqa: E402

from .conftest import EXAMPLES, LAB_SETTINGS, PASS_ENV, _free_port, _wait_ready  # noqa: E402
from .lab_ui import error_outputs, shot, wait_all_ran  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TUTORIAL = "01-images-and-layers.ipynb"
PINK = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
# In the waiting RUN's command line, to find its processes; new in each run, so a leftover of
# another run is not taken for this one's.
MARKER = f"{secrets.randbelow(90_000) + 10_000}e3"
EXPERIMENT = f"""\
%%dockerfile -t hello-wait app
FROM node:20-slim
RUN node -e "console.log('waiting for the stop button'); setTimeout(() => {{}}, {MARKER})\""""
WHERE = f"""at line 2 (RUN node -e "console.log('waiting for the stop button'); \
setTimeout(() => {{}}, {MARKER})")"""
AFTER = "%container run --rm hello-app"
URL_LINE = re.compile(r"^JupyterLab: open (http://\S+/lab/tree/(\S+)\?token=(\w+))$", re.M)


def _add_experiment(folder: str) -> None:
    """The learner's own cells after the tutorial's: a build to interrupt, then one more run."""
    import nbformat

    path = os.path.join(folder, TUTORIAL)
    nb = nbformat.read(path, as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(EXPERIMENT), nbformat.v4.new_code_cell(AFTER)]
    nbformat.write(nb, path)


def _private_jupyter(base: str) -> dict[str, str]:
    """Jupyter's and Lab's dirs for this test alone, with the settings the UI steps need."""
    dirs = {n: os.path.join(base, n) for n in ("config", "data", "runtime", "settings", "ws")}
    for rel, value in LAB_SETTINGS.items():
        path = os.path.join(dirs["settings"], rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            json.dump(value, fh)
    return {
        "JUPYTER_CONFIG_DIR": dirs["config"],
        "JUPYTER_DATA_DIR": dirs["data"],
        "JUPYTER_RUNTIME_DIR": dirs["runtime"],
        "JUPYTERLAB_SETTINGS_DIR": dirs["settings"],
        "JUPYTERLAB_WORKSPACES_DIR": dirs["ws"],
    }


def _read_url(proc: subprocess.Popen, out_path: str, timeout: float) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with open(out_path, errors="replace") as fh:
            m = URL_LINE.search(fh.read())
        if m:
            return m
        time.sleep(0.5)
    with open(out_path, errors="replace") as fh:
        raise AssertionError(f"scripts/lab's setup printed no URL:\n{fh.read()[-3000:]}")


@pytest.fixture(scope="module")
def teacher_lab(playwright_api, stand_in_env, artifacts, tmp_path_factory) -> Iterator:
    base = str(tmp_path_factory.mktemp("teacher-lab"))
    folder = os.path.join(base, "examples")
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _add_experiment(folder)
    bindir = os.path.dirname(sys.executable)
    env = {
        "PATH": f"{bindir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", base),
        "LANG": "C.UTF-8",
        "DOCKER_MAGICS_ROOT": os.path.join(base, "store"),
        **{k: os.environ[k] for k in PASS_ENV if k in os.environ},
        **_private_jupyter(base),
        **stand_in_env,
    }
    port = _free_port()
    cmd = [
        os.path.join(bindir, "docker-magics"),
        "tutorial",
        "lab",
        folder,
        "--port",
        str(port),
        "--jupyter-arg=--LabApp.expose_app_in_browser=True",  # to wait on the kernel's state
    ]
    out_path = os.path.join(base, "lab.out")
    t0 = time.monotonic()
    with open(out_path, "wb") as logf:
        proc = subprocess.Popen(cmd, env=env, stdout=logf, stderr=subprocess.STDOUT)
    try:
        m = _read_url(proc, out_path, timeout=900)  # stand-ins copied from the cache
        _wait_ready(f"http://127.0.0.1:{port}", proc, out_path)
        setup = time.monotonic() - t0
        yield SimpleNamespace(
            url=m.group(1),
            notebook=m.group(2),
            token=m.group(3),
            base=f"http://127.0.0.1:{port}",
            store=env["DOCKER_MAGICS_ROOT"],
            out=out_path,
            setup=setup,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.copy(out_path, os.path.join(artifacts, "teacher-lab.log"))


def test_tutorial_01_in_the_teachers_lab(browser, teacher_lab, artifacts):
    from docker_magics.api import Engine

    with open(teacher_lab.out, errors="replace") as fh:
        setup_text = fh.read()
    assert teacher_lab.notebook == TUTORIAL
    assert "node:20-slim: ready" in setup_text and "using a stand-in made here" in setup_text
    # Why no registry had node:20 is said once; the images after it say "as above".
    assert setup_text.count("no registry has it here (Docker Hub") == 1, setup_text
    assert "no registry has it here (as above)" in setup_text
    # Kernels on Unix sockets: no kernel warns that its TCP traffic is not encrypted.
    assert "without encryption" not in setup_text
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(teacher_lab.url + "&reset")  # the printed URL, in a fresh workspace
        expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible(timeout=120_000)
        page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " const k = w && w.sessionContext.session && w.sessionContext.session.kernel;"
            " return !!k && k.status === 'idle'; }",
            timeout=120_000,
        )
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

        # The tutorial's cells run; then the learner's build waits in its RUN step.
        cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
        experiment = cells.nth(cells.count() - 2)
        running = experiment.locator(".docker-magics-build tr", has_text="waiting for the stop")
        expect(running).to_contain_text("running", timeout=400_000)
        assert processes_with(MARKER)
        # Everything above it: no error, nothing pink, no traceback.
        assert error_outputs(page) == []
        assert page.locator(PINK).all_inner_texts() == []
        shot(page.locator(".docker-magics-graph").last, artifacts, "t01-graph")
        shot(experiment, artifacts, "t01-experiment-running")

        page.locator("jp-button[data-command='notebook:interrupt-kernel']").first.click()
        prompts = wait_all_ran(page, 60_000)
        assert prompts[-1] == "[ ]:", prompts  # Run All stopped at the interrupted cell
        assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts[:-1]), prompts
        assert not processes_with(MARKER), "the RUN's processes survived the interrupt"
        build = experiment.locator(".docker-magics-build")
        expect(build).to_contain_text(f"Build interrupted {WHERE}")
        expect(build.locator("tr", has_text="waiting for the stop")).to_contain_text("INTERRUPTED")
        expect(build.locator("progress")).to_have_count(0)  # not frozen at "running"
        assert page.locator(PINK).all_inner_texts() == [f"Interrupted: build interrupted {WHERE}"]
        errors = error_outputs(page)
        assert len(errors) == 1 and errors[0].startswith("%%dockerfile -t hello-wait app -> "), (
            errors
        )
        shot(experiment, artifacts, "t01-interrupted")

        # The kernel still answers: the learner runs the next cell.
        last = cells.nth(cells.count() - 1)  # fixed: running it adds an empty cell below
        last.locator(".jp-InputPrompt").click()  # selects the cell (command mode)
        page.locator("jp-button[data-command='notebook:run-cell-and-select-next']").first.click()
        expect(last.locator(".jp-OutputArea-output")).to_contain_text(
            "Layers are reused!", timeout=120_000
        )
        shot(last, artifacts, "t01-after-interrupt")
        page.screenshot(path=os.path.join(artifacts, "t01-page.png"))
    finally:
        context.close()
    assert Engine(teacher_lab.store).check().ok
