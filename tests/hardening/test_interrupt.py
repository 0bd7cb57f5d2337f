"""Interrupt is an outcome: the notebook's stop button (a real kernel through jupyter_client,
which sends SIGINT to the kernel as JupyterLab does) and Ctrl-C in a real CLI process.

Every process stops within about a second; the live view ends saying where it stopped; the one
line shown says it was interrupted (no traceback); the CLI exits 130; a container is recorded as
exited with 130; finished build steps stay cached; the store checks clean.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from html import unescape

import pytest

from docker_magics.errors import NotFoundError
from tests.hardening.leftovers import mounts_under, processes_with, tmp_leftovers

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.slow

# Sleep lengths no other test or process uses, new in each run: how we find the processes (a
# fixed number once matched a process another test had left behind).
MARKER = f"6061{random.randrange(10**5):05d}"
RUN_MARKER = f"6065{random.randrange(10**5):05d}"
CLI_MARKER = f"6066{random.randrange(10**5):05d}"
PKG = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKERFILE = (
    f"FROM busybox\nRUN echo first > /first\nRUN sleep {MARKER} & sleep {MARKER}; echo no\n"
)
WHERE = f"at line 3 (RUN sleep {MARKER} & sleep {MARKER}; echo no)"


def _wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class Kernel:
    def __init__(self, cwd: str) -> None:
        self.km = jupyter_client.KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=cwd)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def messages(self, msg_id: str, timeout: float = 120) -> tuple[dict, list[dict]]:
        """The execute reply's content and every iopub message of the cell, once it is idle."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        out = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return reply["content"], out
            out.append(msg)

    def execute(self, code: str) -> tuple[dict, list[dict]]:
        return self.messages(self.kc.execute(code))

    def interrupt_after(self, code: str, marker: str) -> tuple[float, dict, list[dict]]:
        msg_id = self.kc.execute(code)
        assert _wait_for(lambda: processes_with(marker), 60), f"never ran: {code}"
        time.sleep(0.3)  # the RUN's shell has started its children
        start = time.monotonic()
        self.km.interrupt_kernel()
        reply, msgs = self.messages(msg_id, 60)
        return time.monotonic() - start, reply, msgs

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def _shown(msgs: list[dict]) -> tuple[str, str, list[dict]]:
    """(last HTML of the cell's displays, all stream text, error messages)."""
    html = [m["content"]["data"].get("text/html", "") for m in msgs if "data" in m["content"]]
    text = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
    return unescape(html[-1] if html else ""), text, [m for m in msgs if m["msg_type"] == "error"]


@pytest.mark.parametrize("runtime", ["root", "userns", "proot"])
def test_interrupt_in_a_kernel(engine, base_image, tmp_path, runtime):
    from tests.runtime.rt_helpers import backend_or_skip

    backend_or_skip(runtime)
    kernel = Kernel(str(tmp_path))
    try:
        reply, _ = kernel.execute(
            "%load_ext docker_magics\n"
            f"%config DockerMagics.root = {engine.store.root!r}\n"
            f"%config DockerMagics.runtime = {runtime!r}"
        )
        assert reply["status"] == "ok"
        # A build step: the shell stays the RUN's parent so a child outlives a bare exec.
        took, reply, msgs = kernel.interrupt_after(
            f"%%dockerfile -t never {tmp_path}\n{DOCKERFILE}", MARKER
        )
        assert reply["status"] == "error" and reply["ename"] == "CellInterrupted", reply
        assert took < 5, f"the interrupted build took {took:.1f} s to stop"
        print(f"[{runtime}] interrupted build stopped in {took:.2f} s")
        html, text, errors = _shown(msgs)
        assert f"Build interrupted {WHERE}" in html and "INTERRUPTED" in html
        assert "running" not in html and "<progress" not in html  # the view did not freeze
        assert [e["content"]["traceback"] for e in errors] == [
            [f"Interrupted: build interrupted {WHERE}"]
        ]
        assert "Traceback" not in text and "KeyboardInterrupt" not in text
        assert _wait_for(lambda: not processes_with(MARKER), 5), "RUN survived"
        assert mounts_under(engine.store.root) == []

        # A foreground run: stopped, recorded as exited with 130, said in one line.
        took, reply, msgs = kernel.interrupt_after(
            f"%container run --name sleeper busybox sleep {RUN_MARKER}", RUN_MARKER
        )
        assert reply["ename"] == "CellInterrupted" and took < 5
        _, text, errors = _shown(msgs)
        assert [e["content"]["traceback"] for e in errors] == [
            ["Interrupted: container sleeper stopped (exit code 130)"]
        ]
        assert _wait_for(lambda: not processes_with(RUN_MARKER), 5), "the container survived"
        assert engine.container("sleeper").exit_code == 130
        # The kernel is still usable and the store is whole.
        reply, _ = kernel.execute(
            "from docker_magics.api import Engine\n"
            f"r = Engine({engine.store.root!r}).check(); assert r.ok, r.problems",
        )
        assert reply["status"] == "ok", reply
    finally:
        kernel.close()
    engine.rm("sleeper")
    _assert_clean(engine)


def _assert_clean(engine) -> None:  # type: ignore[no-untyped-def]
    assert engine.check().ok, engine.check().problems
    assert engine.ps(all=True) == [], "the RUN's container record was left behind"
    engine.prune()
    assert tmp_leftovers(engine.store.root) == []
    assert engine.images()[0].refs  # busybox still tagged; "never" was never made
    with pytest.raises(NotFoundError):
        engine.image("never")


def _cli(root: str, *args: str) -> subprocess.Popen[str]:
    """The CLI in a session of its own, as a terminal runs it (Ctrl-C reaches its group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "docker_magics", "--root", root, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": PKG},
        start_new_session=True,
    )


def _cli_interrupted(root: str, *args: str, marker: str) -> subprocess.CompletedProcess[str]:
    """Ctrl-C as a terminal sends it: SIGINT to the CLI's whole process group."""
    proc = _cli(root, *args)
    try:
        # The CLI's own command line may hold the marker too: wait for a process beyond it.
        assert _wait_for(lambda: set(processes_with(marker)) - {proc.pid}, 60), args
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_ctrl_c_in_the_cli(engine, base_image, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    root = engine.store.root
    built = _cli_interrupted(root, "build", "-t", "never", str(ctx), marker=MARKER)
    assert built.returncode == 130, built.stderr
    lines = built.stderr.splitlines()
    assert lines[-2:] == ["#3 INTERRUPTED", f"Interrupted: build interrupted {WHERE}"]
    assert "Traceback" not in built.stderr and "ERROR" not in built.stderr
    assert built.stdout == ""
    assert _wait_for(lambda: not processes_with(MARKER), 5), "RUN survived"

    ran = _cli_interrupted(
        root, "run", "--name", "sleeper", "busybox", "sleep", CLI_MARKER, marker=CLI_MARKER
    )
    assert ran.returncode == 130 and ran.stderr == (
        "Interrupted: container sleeper stopped (exit code 130)\n"
    )
    assert engine.container("sleeper").exit_code == 130
    assert _wait_for(lambda: not processes_with(CLI_MARKER), 5), "the container survived"
    engine.rm("sleeper")
    assert mounts_under(root) == []

    # The finished steps were kept: the same Dockerfile minus the sleep is all cached.
    (ctx / "Dockerfile").write_text(DOCKERFILE.rsplit("RUN sleep", 1)[0])
    rebuilt = subprocess.run(
        [sys.executable, "-m", "docker_magics", "--root", root, "build", str(ctx)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": PKG},
        timeout=120,
    )
    assert rebuilt.returncode == 0 and rebuilt.stderr.count("CACHED") == 2, rebuilt.stderr
    check = subprocess.run(
        [sys.executable, "-m", "docker_magics", "--root", root, "system", "check"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": PKG},
    )
    assert check.returncode == 0 and check.stdout.rstrip().endswith("OK"), check.stdout
    _assert_clean(engine)


@pytest.fixture()
def slow_registry():
    from tests.hardening.slowregistry import SlowRegistry

    reg = SlowRegistry()
    yield reg
    reg.close()


def test_interrupted_pull_in_a_kernel(engine, slow_registry, tmp_path):
    name = f"{slow_registry.host}/slow/img:1"
    kernel = Kernel(str(tmp_path))
    try:
        reply, _ = kernel.execute(
            f"%load_ext docker_magics\n%config DockerMagics.root = {engine.store.root!r}"
        )
        assert reply["status"] == "ok"
        msg_id = kernel.kc.execute(f"%container pull {name}")
        assert slow_registry.sending.wait(60), "the layer never started to come down"
        time.sleep(0.3)
        start = time.monotonic()
        kernel.km.interrupt_kernel()
        reply, msgs = kernel.messages(msg_id, 60)
        took = time.monotonic() - start
    finally:
        kernel.close()
    # It did not wait for the 64 MiB layer (minutes at this rate) to finish.
    assert reply["ename"] == "CellInterrupted" and took < 5, (reply, took)
    html, text, errors = _shown(msgs)
    assert f"Interrupted: pull of {name}" in html and "<progress" not in html
    assert [e["content"]["traceback"] for e in errors] == [["Interrupted: pull interrupted"]]
    assert not [m for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]
    assert engine.check().ok and engine.images() == []
    assert tmp_leftovers(engine.store.root) == []


def test_ctrl_c_during_a_pull_in_the_cli(engine, slow_registry):
    name = f"{slow_registry.host}/slow/img:1"
    proc = _cli(engine.store.root, "pull", name)
    try:
        assert slow_registry.sending.wait(60), "the layer never started to come down"
        time.sleep(0.3)
        start = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        took = time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and took < 5, (proc.returncode, took, err)
    assert err == "Interrupted: pull interrupted\n"
    assert out.startswith(f"1: Pulling from {slow_registry.host}/slow/img\n")
    assert engine.check().ok and engine.images() == []
    assert tmp_leftovers(engine.store.root) == []
