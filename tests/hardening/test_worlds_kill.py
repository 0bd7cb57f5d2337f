"""A CLI killed mid-run, as an unprivileged user and where no user namespace is allowed (PRoot):
its container must die with it, as in the root-run tests of test_process_tree.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.hardening.leftovers import processes_with, unique_marker
from tests.worlds import PYTHON, World, skip_unless_world

CASES = [("unprivileged", "userns"), ("unprivileged", "proot"), ("no-userns", None)]


@pytest.mark.parametrize(("name", "runtime"), CASES, ids=[f"{w}-{r or 'auto'}" for w, r in CASES])
def test_killed_cli_takes_its_container_down(busybox_tar, name, runtime):
    skip_unless_world(name)
    if (runtime == "proot" or name == "no-userns") and not shutil.which("proot"):
        pytest.skip("needs proot: apt-get install proot")
    w = World(name)
    sleeps = "sleep\0" + (mark := unique_marker())
    try:
        shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
        os.chmod(os.path.join(w.base, "base.tar.gz"), 0o644)
        w.cli("import", "base.tar.gz", "busybox")
        cmd = [PYTHON, "-m", "docker_magics", "--root", w.store]
        cmd += ["--runtime", runtime] if runtime else []
        cmd += ["run", "busybox", "sh", "-c", f"sleep {mark} & sleep {mark}"]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH": w.pkg, "HOME": w.home}
        proc = subprocess.Popen(w.command(cmd, env, w.base), env=env, cwd=w.base)
        try:
            deadline = time.monotonic() + 60
            while len(processes_with(sleeps)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(processes_with(sleeps)) >= 2, f"[{name}] never started"
        finally:
            # The CLI itself: the innermost process of the world's wrappers (setpriv, bwrap).
            # Its forks (supervisor, init) share its command line: kill only the topmost.
            ours = [p for p in processes_with(w.store) if _is_cli(p)]
            for pid in [p for p in ours if _ppid(p) not in ours]:
                os.kill(pid, signal.SIGKILL)
            proc.kill()
            proc.wait()
        deadline = time.monotonic() + 10
        while processes_with(sleeps) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_with(sleeps) == [], f"[{name}] the container outlived its CLI"
    finally:
        for pid in processes_with(sleeps):  # only after a failure: keep CI clean
            os.kill(pid, signal.SIGKILL)
        w.close()


def _is_cli(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return argv[0] == PYTHON.encode() and b"docker_magics" in argv and b"run" in argv


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])
