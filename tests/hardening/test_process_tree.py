"""Processes that will not end, and descriptors that must not leak, in every runtime backend.

Each test finds the container's processes by a unique number in their command line (a /proc scan
of the real host), so "nothing left" means nothing, not "nothing our bookkeeping knows of".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from docker_magics.errors import BuildError
from docker_magics.runtime import Backend
from tests.hardening.leftovers import mounts_under, processes_with, unique_marker
from tests.runtime.rt_helpers import backend_or_skip

RUNTIMES = [
    pytest.param("root", marks=pytest.mark.root),
    pytest.param("userns", marks=pytest.mark.userns),
    pytest.param("proot", marks=pytest.mark.proot),
]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(params=RUNTIMES)
def rt(request, engine, base_image):
    """(engine forced to one backend, its name); the busybox image is imported."""
    from docker_magics.api import Engine

    backend: Backend = backend_or_skip(request.param)
    return Engine(engine.store.root, runtime=backend.name), backend.name


def _gone(marker: str, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not processes_with(marker)


def _collect(eng, argv):
    out: list[bytes] = []
    code = eng.run("busybox", argv, out=out.append, err=out.append, remove=True)
    return code, b"".join(out).decode()


def test_children_die_with_the_main_process(rt):
    eng, _ = rt
    mark = unique_marker()
    start = time.monotonic()
    code, out = _collect(eng, ["sh", "-c", f"sleep {mark} & sleep {mark} & echo forked"])
    assert code == 0 and "forked" in out
    assert time.monotonic() - start < 20
    assert _gone(mark), "a background child outlived its container"


@pytest.mark.parametrize("verb", ["stop", "kill"])
def test_stop_and_kill_end_the_whole_tree(rt, verb):
    eng, name = rt
    from docker_magics.engine.options import RunOptions

    # Every process ignores SIGTERM, so stop must escalate, and must reach the grandchildren.
    mark = unique_marker()
    script = f"trap '' TERM; (trap '' TERM; sleep {mark}) & sleep {mark} & sleep {mark}; wait"
    c = eng.run_detached(RunOptions(image="busybox", command=["sh", "-c", script]))
    try:
        deadline = time.monotonic() + 30
        while len(processes_with(mark)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(processes_with(mark)) >= 3, f"[{name}] the container never started"
        start = time.monotonic()
        eng.stop(c.id, timeout=1) if verb == "stop" else eng.kill(c.id)
        assert time.monotonic() - start < 10
        assert _gone(mark), f"[{name}] {verb} left processes: {processes_with(mark)}"
        assert eng.container(c.id).state == "exited"
    finally:
        eng.rm(c.id, force=True)


def test_build_timeout_kills_a_run_that_never_ends(rt, tmp_path):
    eng, name = rt
    mark = unique_marker()
    (tmp_path / "Dockerfile").write_text(
        f"FROM busybox\nRUN echo before; sleep {mark} & sleep {mark}; echo never\n"
    )
    start = time.monotonic()
    with pytest.raises(BuildError) as caught:
        eng.build(str(tmp_path), tags=["forever"], timeout=2)
    took = time.monotonic() - start
    err = caught.value
    assert "--timeout 2 s" in str(err) and "raise --timeout" in str(err)
    assert err.line == 2 and err.exit_code == 137 and "before" in err.output_tail
    assert took < 30, f"[{name}] the timeout took {took:.1f} s"
    assert _gone(mark), f"[{name}] the RUN's processes survived the timeout"
    assert mounts_under(eng.store.root) == []
    assert eng.ps(all=True) == [] and eng.check().ok


def test_build_timeout_flag_is_checked(engine, tmp_path, capsys):
    from docker_magics.cli.main import main

    assert main(["--root", engine.store.root, "build", "--timeout", "-3", str(tmp_path)]) == 125
    assert "'-3' is not a positive number of seconds" in capsys.readouterr().err


CALLER = r"""
import sys
from docker_magics.api import Engine
eng = Engine(sys.argv[1], runtime=sys.argv[2])
print("go", flush=True)
eng.run("busybox", ["sh", "-c", f"sleep {sys.argv[3]} & sleep {sys.argv[3]}"])
"""


def test_a_killed_caller_takes_its_container_down(rt):
    """A kernel restarted (SIGKILL) mid-run must not leave the container running."""
    eng, name = rt
    mark = unique_marker()
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.Popen(
        [sys.executable, "-c", CALLER, eng.store.root, name, mark], env=env, stdout=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while len(_container_procs(proc.pid, mark)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_container_procs(proc.pid, mark)) >= 2, f"[{name}] the container never started"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    while _container_procs(proc.pid, mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _container_procs(proc.pid, mark)
    assert not left, f"[{name}] the container outlived its killed caller"
    assert mounts_under(eng.store.root) == []


def _container_procs(caller: int, mark: str) -> list[int]:
    return [p for p in processes_with(mark) if p != caller]


# Everything a process may hold open: a plain file, a pipe, a socket, a directory. None is
# close-on-exec, so only the runtime's own closing keeps them from the container.
def _leaky_fds(tmp_path):
    import socket

    secret = tmp_path / "host-secret"
    secret.write_text("host secret\n")
    fds = [os.open(secret, os.O_RDONLY), *os.pipe(), os.open(tmp_path, os.O_RDONLY)]
    sock = socket.socket()
    fds.append(sock.detach())
    for fd in fds:
        os.set_inheritable(fd, True)
    return fds


LIST_FDS = (
    'for f in /proc/self/fd/*; do echo "fd $f -> $(readlink $f)"; done; '
    "cat /proc/self/fd/3 /proc/self/fd/4 /proc/self/fd/5 2>/dev/null; true"
)


def _visible_fds(out: str) -> set[int]:
    fds = set()
    for line in out.splitlines():
        if line.startswith("fd /proc/self/fd/"):
            fds.add(int(line.split()[1].rsplit("/", 1)[1]))
    return fds


def test_no_host_descriptor_reaches_the_container(rt, tmp_path):
    eng, name = rt
    from docker_magics.engine.options import RunOptions

    fds = _leaky_fds(tmp_path)
    try:
        code, out = _collect(eng, ["sh", "-c", LIST_FDS])
        assert code == 0, out
        # 0-2 and the one the shell's glob opened to read the directory (gone by readlink).
        assert _visible_fds(out) <= {0, 1, 2, 3}, f"[{name}] {out}"
        assert "host secret" not in out and "host-secret" not in out, f"[{name}] {out}"
        # exec into a running container goes through a different path: check it too.
        mark = unique_marker()
        c = eng.run_detached(RunOptions(image="busybox", command=["sleep", mark]))
        try:
            assert _wait_running(eng, c.id, mark), f"[{name}] the container never started"
            got: list[bytes] = []
            code = eng.exec(c.id, ["sh", "-c", LIST_FDS], out=got.append, err=got.append)
            text = b"".join(got).decode()
            assert code == 0, text
            assert _visible_fds(text) <= {0, 1, 2, 3}, f"[{name}] exec: {text}"
            assert "host secret" not in text and "host-secret" not in text
        finally:
            eng.rm(c.id, force=True)
    finally:
        for fd in fds:
            os.close(fd)


def _wait_running(eng, cid: str, mark: str) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if eng.container(cid).state == "running" and processes_with(mark):
            return True
        time.sleep(0.05)
    return False
