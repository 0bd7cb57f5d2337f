"""JupyterLab started on 127.0.0.1 for the test session, and Debian's Chromium driven by Playwright.

Everything the server and its kernels touch is private to the session: Jupyter's config, data,
runtime, settings and workspace dirs, IPython's profile dir, a fresh store (DOCKER_MAGICS_ROOT)
and a copy of examples/. Base images come from Docker Hub or, where it is unreachable, the local
stand-ins `bootstrap` makes (tests/conftest.py: the kernel opts in through its environment).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from skipguard import need_in_ci

CHROMIUM = "/usr/bin/chromium"
EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
PASS_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "https_proxy")
# JupyterLab settings for a test: every cell stays in the DOM (the default windowing mode
# detaches cells scrolled out of view, so outputs could not be found), and no news pop-up.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


@dataclass
class Lab:
    url: str  # http://127.0.0.1:PORT
    token: str
    root_dir: str  # the server's root: examples/ copied here, test notebooks written here
    store: str  # DOCKER_MAGICS_ROOT of the kernels
    artifacts: str

    def api(self, method: str, path: str) -> object:
        req = urllib.request.Request(
            f"{self.url}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def playwright_api():
    if not os.path.exists(CHROMIUM):
        need_in_ci(f"browser test needs Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need_in_ci("browser test needs Playwright for Python: pip install -e '.[test]'")
    if shutil.which("jupyter-lab", path=os.path.dirname(sys.executable)) is None:
        need_in_ci("browser test needs JupyterLab in this venv: pip install -e '.[test]'")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> str:
    base = os.environ.get("DOCKER_MAGICS_ARTIFACTS")
    path = (
        os.path.join(base, "browser") if base else str(tmp_path_factory.mktemp("browser-artifacts"))
    )
    os.makedirs(path, exist_ok=True)
    _ARTIFACTS.append(path)
    return path


_ARTIFACTS: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for path in _ARTIFACTS:  # screenshots are for people: say where they are
        terminalreporter.write_line(f"browser screenshots: {path}")


def _wait_ready(url: str, proc: subprocess.Popen, log: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # 403 without the token: the server answers
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                with open(log, errors="replace") as fh:
                    raise RuntimeError(f"jupyter lab did not start:\n{fh.read()[-3000:]}")
            time.sleep(0.25)


@pytest.fixture(scope="session")
def lab(playwright_api, hub_env, artifacts, tmp_path_factory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("lab")
    dirs = {n: str(base / n) for n in ("config", "data", "runtime", "settings", "ws", "ipython")}
    for d in dirs.values():
        os.makedirs(d)
    for rel, value in LAB_SETTINGS.items():
        path = os.path.join(dirs["settings"], rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            json.dump(value, fh)
    root_dir = str(base / "work")
    shutil.copytree(EXAMPLES, root_dir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    store = str(base / "store")
    port, token = _free_port(), secrets.token_hex(16)
    bindir = os.path.dirname(sys.executable)
    env = {
        "PATH": f"{bindir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", str(base)),
        "LANG": "C.UTF-8",
        "JUPYTER_CONFIG_DIR": dirs["config"],
        "JUPYTER_DATA_DIR": dirs["data"],
        "JUPYTER_RUNTIME_DIR": dirs["runtime"],
        "JUPYTERLAB_SETTINGS_DIR": dirs["settings"],
        "JUPYTERLAB_WORKSPACES_DIR": dirs["ws"],
        "IPYTHONDIR": dirs["ipython"],
        "DOCKER_MAGICS_ROOT": store,
        **{k: os.environ[k] for k in PASS_ENV if k in os.environ},
        **hub_env,
    }
    cmd = [
        os.path.join(bindir, "jupyter-lab"),
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--ServerApp.allow_root=True",  # CI runs as root; the kernel is this user's either way
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands
    ]
    log = str(base / "lab.log")
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            cmd, env=env, cwd=root_dir, stdout=logf, stderr=logf, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log)
        yield Lab(url, token, root_dir, store, artifacts)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.copy(log, os.path.join(artifacts, "lab.log"))


@pytest.fixture(scope="session")
def browser(playwright_api):
    # --no-sandbox: Chromium's sandbox refuses to start as root, which CI is.
    b = playwright_api.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield b
    b.close()


@pytest.fixture()
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()
