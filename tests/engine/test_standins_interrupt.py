"""Interrupting `bootstrap` (Ctrl-C in the CLI, a kernel interrupt) while mmdebstrap runs.

The CLI gets SIGINT alone, as a notebook kernel does (mmdebstrap runs in a process group of its
own, so a terminal's Ctrl-C reaches only the CLI too): every process mmdebstrap started stops,
the CLI says "interrupted" in one line and exits 130, no half-made stand-in, work dir or
mmdebstrap temp dir is left, and both stores check clean. A kernel interrupt likewise, with the
live view ending "Interrupted". About 5-20 s for both (the interrupt comes while mmdebstrap
downloads or unpacks; nothing is made to completion).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process now."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        found[int(entry)] = (ppid, cmd)
    return found


def _descendants(root: int) -> dict[int, str]:
    procs = _processes()
    found: dict[int, str] = {}
    todo = [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, cmd) in procs.items():
            if ppid == parent and pid not in found:
                found[pid] = cmd
                todo.append(pid)
    return found


def _wait_for_mmdebstrap_work(cli_pid: int, timeout: float = 120) -> dict[int, str]:
    """The CLI's descendants once mmdebstrap has children of its own (apt, dpkg at work)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        below = _descendants(cli_pid)
        if any("mmdebstrap" in cmd for cmd in below.values()) and len(below) >= 4:
            return below
        time.sleep(0.2)
    raise AssertionError("mmdebstrap did not get to work within two minutes")


def _cli(store: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "docker_magics", "--root", store, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_interrupting_a_bootstrap_stops_everything_and_keeps_nothing(tmp_path):
    if shutil.which("mmdebstrap") is None:
        pytest.fail("bootstrap needs mmdebstrap: run scripts/install-system-packages")
    cache, store = str(tmp_path / "cache"), str(tmp_path / "store")
    env = {**os.environ, "DOCKER_MAGICS_STAND_IN_CACHE": cache, "TMPDIR": str(tmp_path)}
    cli = subprocess.Popen(
        [sys.executable, "-m", "docker_magics", "--root", store, "bootstrap", "debian:12-slim"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = _wait_for_mmdebstrap_work(cli.pid)
        os.kill(cli.pid, signal.SIGINT)
        t0 = time.monotonic()
        stdout, stderr = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    stopped_in = time.monotonic() - t0
    assert cli.returncode == 130, stdout + stderr
    said = "Interrupted: bootstrap of debian:bookworm-slim interrupted; nothing was kept\n"
    assert stderr == said
    assert "Traceback" not in stdout
    now = _processes()
    left = [cmd for pid, cmd in started.items() if pid in now and now[pid][1] == cmd]
    assert left == [], f"still running after the interrupt: {left}"
    assert stopped_in < 30, f"stopping took {stopped_in:.0f} s"
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        mounted = [line.split()[4] for line in fh if str(tmp_path) in line]
    assert mounted == []  # a killed root-mode mmdebstrap leaves its chroot's /proc, /sys, /dev
    assert os.listdir(os.path.join(cache, "tmp")) == []  # our work dir and mmdebstrap's
    assert [p for p in os.listdir(tmp_path) if "mmdebstrap" in p] == []  # its temp dir
    for root in (cache, store):
        check = _cli(root, env, "system", "check")
        assert check.returncode == 0 and check.stdout.rstrip().endswith(": OK"), check.stdout
        images = _cli(root, env, "images", "-q")
        assert images.stdout == "", f"{root} has an image after the interrupt"


def test_a_kernel_interrupt_stops_a_bootstrap_in_a_notebook(tmp_path, monkeypatch):
    """The stop button (SIGINT to the kernel alone): the live view ends "Interrupted", one line
    without a traceback, mmdebstrap and its children gone, nothing kept, the store clean."""
    pytest.importorskip("ipykernel")
    from tests.hardening.leftovers import mounts_under, processes_with
    from tests.hardening.test_interrupt import Kernel, _shown, _wait_for

    cache, store = str(tmp_path / "cache"), str(tmp_path / "store")
    monkeypatch.setenv("DOCKER_MAGICS_STAND_IN_CACHE", cache)  # the kernel inherits it
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    kernel = Kernel(str(tmp_path))
    try:
        reply, _ = kernel.execute(f"%load_ext docker_magics\n%config DockerMagics.root = {store!r}")
        assert reply["status"] == "ok", reply
        msg_id = kernel.kc.execute("%container bootstrap debian:12-slim")
        # mmdebstrap's command line names its work dir in the cache; apt and dpkg at work too
        assert _wait_for(lambda: len(processes_with(cache)) >= 3, 120), "mmdebstrap never ran"
        kernel.km.interrupt_kernel()
        reply, msgs = kernel.messages(msg_id, 60)
        assert reply["status"] == "error" and reply["ename"] == "CellInterrupted", reply
        html, text, errors = _shown(msgs)
        assert "Interrupted: bootstrap of debian:12-slim" in html
        assert [e["content"]["traceback"] for e in errors] == [
            ["Interrupted: bootstrap of debian:bookworm-slim interrupted; nothing was kept"]
        ]
        assert "Traceback" not in text and "KeyboardInterrupt" not in text
        assert _wait_for(lambda: not processes_with(cache), 30), "mmdebstrap survived"
        assert mounts_under(str(tmp_path)) == []
        assert os.listdir(os.path.join(cache, "tmp")) == []
        assert [p for p in os.listdir(tmp_path) if "mmdebstrap" in p] == []
        reply, _ = kernel.execute(
            "from docker_magics.api import Engine\n"
            f"r = Engine({store!r}).check(); assert r.ok, r.problems\n"
            f"assert Engine({store!r}).store.images.all() == []"
        )
        assert reply["status"] == "ok", reply
    finally:
        kernel.close()
