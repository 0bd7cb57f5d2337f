"""Behaviour every backend shares, run against each available one (real kernel, no mocks)."""

from __future__ import annotations

import os
import random
import signal
import time

import pytest
from rt_helpers import run_capture, start_background, wait_for

from tests.hardening.leftovers import processes_with


def test_exit_codes(backend, layout):
    assert run_capture(backend, layout.spec, "sh", "-c", "exit 7")[0] == 7
    assert run_capture(backend, layout.spec, "true")[0] == 0
    assert run_capture(backend, layout.spec, "false")[0] == 1


def test_missing_command_is_127(backend, layout):
    code, _out, err = run_capture(backend, layout.spec, "no-such-command")
    assert code == 127
    assert 'exec: "no-such-command": executable file not found in $PATH' in err


def test_not_executable_is_126(backend, layout):
    code, _out, err = run_capture(backend, layout.spec, "/etc/greeting")
    assert code == 126
    assert "permission denied" in err


def test_env_cwd_and_defaults(backend, layout):
    script = 'echo "$FOO|$(pwd)|$HOME|$PATH"'
    code, out, _ = run_capture(
        backend, layout.spec, "sh", "-c", script, env=("FOO=bar",), cwd="/work/dir"
    )
    assert code == 0
    foo, cwd, home, path = out.strip().split("|")
    assert (foo, cwd, home) == ("bar", "/work/dir", "/root")
    assert path.endswith("/usr/bin:/sbin:/bin")


def test_reads_image_files(backend, layout):
    code, out, _ = run_capture(backend, layout.spec, "cat", "/etc/greeting")
    assert (code, out) == (0, "hello from the image\n")


def test_hosts_files_present(backend, layout):
    code, out, _ = run_capture(backend, layout.spec, "cat", "/etc/hosts", hostname="box1")
    assert code == 0 and "box1" in out


def test_fds_not_leaked(backend, layout):
    fd = os.open("/etc/hostname", os.O_RDONLY)  # inheritable=False by default in Python...
    leak = os.dup2(fd, 50, inheritable=True)  # ...so make one that would survive exec
    try:
        code, out, _ = run_capture(backend, layout.spec, "ls", "/proc/self/fd")
    finally:
        os.close(fd)
        os.close(leak)
    assert code == 0
    assert set(out.split()) <= {"0", "1", "2", "3"}  # 3 is ls's own directory fd


def test_sigterm_is_forwarded(backend, layout):
    script = 'trap "exit 42" TERM; echo up > /ready; while true; do sleep 0.1; done'
    bg = start_background(backend, layout.spec, "sh", "-c", script)
    time.sleep(0.5)
    bg.kill(signal.SIGTERM)
    assert bg.join() == 42


def test_no_process_left_behind(backend, layout):
    marker = str(1000 + random.randrange(10**6))
    bg = start_background(
        backend, layout.spec, "sh", "-c", f"sleep {marker} & sleep {marker} & wait"
    )
    assert wait_for(lambda: len(processes_with(f"sleep\0{marker}")) == 2)
    bg.kill(signal.SIGTERM)
    assert bg.join() == 128 + signal.SIGTERM
    assert wait_for(lambda: not processes_with(f"sleep\0{marker}"), timeout=5)


def test_exec_sees_same_filesystem(backend, layout):
    script = "mkdir -p /tmp && echo shared > /tmp/x && sleep 1000"
    bg = start_background(backend, layout.spec, "sh", "-c", script)
    try:
        for _ in range(50):
            code, out, err = _exec_capture(backend, bg.pid, layout.spec, "cat", "/tmp/x")
            if code == 0:
                break
            time.sleep(0.1)
        assert (code, out) == (0, "shared\n"), err
    finally:
        bg.kill(signal.SIGKILL)
    assert bg.join() is not None


def _exec_capture(backend, pid, rootfs, *argv):
    import tempfile

    from docker_magics.runtime import ProcessSpec

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code = backend.exec(
            pid, rootfs, ProcessSpec(argv=argv), stdout=out.fileno(), stderr=err.fileno()
        )
        out.seek(0)
        err.seek(0)
        return code, out.read().decode(), err.read().decode()


def test_read_only_bind(backend, layout, tmp_path):
    if backend.name == "proot":
        pytest.skip("PRoot cannot make a bind read-only")
    host = tmp_path / "data"
    host.mkdir()
    (host / "f").write_text("bound\n")
    binds = ((str(host), "/data", True),)
    code, out, _ = run_capture(
        backend, layout.spec, "sh", "-c", "cat /data/f; echo x > /data/g", binds=binds
    )
    assert code != 0 and out == "bound\n"
    assert not (host / "g").exists()
