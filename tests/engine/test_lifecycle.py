"""Detached containers, exec across calls, logs, stop, wait, ps, rm; no process left behind."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from docker_magics.api import RunOptions
from docker_magics.errors import ConflictError, NotFoundError, RegistryError, UsageError
from tests.hardening.leftovers import unique_marker


def _pids_with(marker: str) -> list[int]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if marker.encode() in fh.read().replace(b"\0", b" "):
                        out.append(int(pid))
            except OSError:
                continue
    return out


def test_detached_exec_logs_stop(engine, base_image):
    marker = f"sleep {unique_marker()}"
    opts = RunOptions(
        image=base_image,
        name="svc",
        command=[
            "sh",
            "-c",
            f"echo started; trap 'echo bye; exit 3' TERM; while true; do {marker} & wait $!; done",
        ],
    )
    c = engine.run_detached(opts)
    assert c.state == "running" and c.pid
    assert [x.name for x in engine.ps()] == ["svc"]
    deadline = time.time() + 10
    while b"started" not in engine.logs("svc") and time.time() < deadline:
        time.sleep(0.05)
    assert engine.logs("svc") == b"started\n"
    # exec: state written by one call is seen by the next, inside the same container
    assert engine.exec("svc", ["sh", "-c", "echo one > /state"]) == 0
    chunks: list[bytes] = []
    assert engine.exec("svc", ["cat", "/state"], out=chunks.append) == 0
    assert b"".join(chunks) == b"one\n"
    with pytest.raises(ConflictError):
        engine.rm("svc")
    stopped = engine.stop("svc", timeout=5)
    assert stopped.state == "exited"
    assert engine.wait("svc", timeout=5) == 3  # the trap ran: SIGTERM reached the payload
    assert _pids_with(marker) == []
    assert "state" in "\n".join(engine.diff("svc"))
    engine.rm("svc")
    with pytest.raises(NotFoundError):
        engine.container("svc")


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def test_exit_code_waits_for_a_slow_writer(engine, base_image):
    """The container's own exit code, not a crash's 137, even when the process recording it (a
    detached container's monitor) does so seconds after the container ended: on a loaded
    machine it may not run for that long. Here it is stopped for 2 s."""
    script = "trap 'exit 3' TERM; echo started; while true; do sleep 1 & wait $!; done"
    c = engine.run_detached(RunOptions(image=base_image, command=["sh", "-c", script]))
    deadline = time.time() + 10
    while b"started" not in engine.logs(c.id) and time.time() < deadline:
        time.sleep(0.05)
    # The monitor's forks (the runtime's supervisor and init) share its command line.
    forks = _pids_with(f"docker_magics.cli.monitor {engine.store.root} {c.id}")
    [writer] = [p for p in forks if _parent(p) not in forks]
    os.kill(writer, signal.SIGSTOP)
    resume = threading.Timer(2.0, os.kill, (writer, signal.SIGCONT))
    try:
        engine.kill(c.id, signal.SIGTERM)
        resume.start()
        assert engine.wait(c.id, timeout=20) == 3
    finally:
        resume.cancel()
        os.kill(writer, signal.SIGCONT)
        engine.rm(c.id, force=True)


def test_rm_force_kills_everything(engine, base_image):
    marker = f"sleep {unique_marker()}"
    engine.run_detached(
        RunOptions(
            image=base_image, name="forky", command=["sh", "-c", f"{marker} & {marker} & wait"]
        )
    )
    deadline = time.time() + 10
    while len(_pids_with(marker)) < 3 and time.time() < deadline:
        time.sleep(0.05)
    assert len(_pids_with(marker)) == 3  # the shell and its two sleeps
    engine.rm("forky", force=True)
    deadline = time.time() + 5
    while _pids_with(marker) and time.time() < deadline:
        time.sleep(0.05)
    assert _pids_with(marker) == []
    assert os.listdir(engine.store.containers.root) == []


def test_run_options(engine, base_image):
    chunks: list[bytes] = []
    code = engine.run(
        base_image,
        ["sh", "-c", 'echo "$FOO $(pwd) $(id -u)"'],
        env=["FOO=bar"],
        workdir="/tmp",
        remove=True,
        out=chunks.append,
    )
    assert code == 0 and b"".join(chunks) == b"bar /tmp 0\n"
    assert engine.ps(all=True) == []
    engine.run(base_image, ["true"], name="taken")
    with pytest.raises(ConflictError, match="already in use"):
        engine.run(base_image, ["true"], name="taken")
    with pytest.raises(UsageError, match="no command"):
        engine.run(base_image, [])
    with pytest.raises((NotFoundError, RegistryError)):
        engine.run("nosuch:image", ["true"])  # tried the registry (unreachable here), then failed
    with pytest.raises(NotFoundError):
        engine.run("sha256:" + "0" * 64, ["true"])


def test_entrypoint_and_cmd(engine, base_image):
    engine.run(base_image, ["true"], name="c")
    engine.commit("c", "ep", changes=['ENTRYPOINT ["echo", "ep"]', 'CMD ["default"]'])
    for command, expected in (([], b"ep default\n"), (["given"], b"ep given\n")):
        chunks: list[bytes] = []
        engine.run("ep", command, remove=True, out=chunks.append)
        assert b"".join(chunks) == expected
    chunks = []
    engine.run("ep", ["x"], entrypoint="echo", remove=True, out=chunks.append)
    assert b"".join(chunks) == b"x\n"


@pytest.mark.parametrize("runtime", ["root", "userns", "proot"])
def test_restart_keeps_changes(engine, base_image, runtime):
    """A stopped container starts again over its own changes (overlay remount, PRoot tree)."""
    from docker_magics.runtime import probe

    status = {s.name: s for s in probe().statuses}[runtime]
    if not status.ok:
        pytest.skip(f"{runtime} backend unavailable here: {status.reason}")
    engine.runtime_name = runtime
    engine.run(base_image, ["sh", "-c", "echo run >> /count"], name="again")
    assert engine.start("again") == 0
    chunks: list[bytes] = []
    engine.run(base_image, ["true"], name="other")
    engine.commit("again", "again-img")
    engine.run("again-img", ["cat", "/count"], remove=True, out=chunks.append)
    assert b"".join(chunks) == b"run\nrun\n"
