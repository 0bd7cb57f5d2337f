"""runtime/netns.py, the holder of a shared network namespace, as a real process: it pins a
namespace (with slirp4netns's tap0 when it can run), lives while a member holds the shared
lock, then ends with everything it started and removes its files. (Containers joining it:
tests/webapps/test_netns.py.)"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from docker_magics.runtime.netns import outbound_problem
from tests.hardening.leftovers import processes_with

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start_holder(tmp_path, userns: bool) -> tuple[int, int, str]:
    """(holder pid, pin pid, what it said about outbound traffic)."""
    members, record = str(tmp_path / "h.members"), str(tmp_path / "h.json")
    cmd = [sys.executable, "-m", "docker_magics.runtime.netns", "--members", members]
    cmd += ["--record", record] + (["--userns"] if userns else [])
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True)
    assert proc.stdout is not None
    with proc.stdout:
        kind, pin, *said = proc.stdout.readline().split()
    proc.wait()
    assert kind == "ready", said
    with open(f"/proc/{pin}/stat") as fh:
        holder = int(fh.read().rsplit(")", 1)[1].split()[1])
    with open(record, "w") as fh:
        json.dump({"holder": holder}, fh)  # the engine writes it; the holder removes its own
    return holder, int(pin), " ".join(said)


@pytest.mark.parametrize("userns", [False, True], ids=["netns", "userns+netns"])
def test_holder_lives_while_a_member_holds_it(tmp_path, userns):
    if os.geteuid() != 0:
        pytest.skip("as root: the holder's namespaces need no other world here")
    members = tmp_path / "h.members"
    members.touch()
    fd = os.open(members, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)  # a member, before the holder starts (as the engine does)
    holder, pin, said = start_holder(tmp_path, userns)
    try:
        assert os.stat(f"/proc/{pin}/ns/net").st_ino != os.stat("/proc/self/ns/net").st_ino
        with open(f"/proc/{pin}/net/dev") as fh:
            devices = fh.read()
        if outbound_problem() is None:
            assert said == "outbound" and "tap0" in devices
        else:
            assert said.startswith("none ") and "tap0" not in devices
        time.sleep(0.3)
        # slirp4netns's argv names no path: it is checked by its pin's pid below.
        assert sorted(processes_with(str(members))) == sorted([holder, pin])
    finally:
        os.close(fd)  # the last member goes
    deadline = time.monotonic() + 5
    while (processes_with(str(members)) or _alive(pin)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(str(members)) == [] and not _alive(pin)
    assert os.listdir(tmp_path) == ["netns.lock"]  # record, members and slirp log removed
    if shutil.which("pgrep"):
        slirp = subprocess.run(["pgrep", "-f", f"slirp4netns .* {pin} tap0"], capture_output=True)
        assert slirp.stdout == b""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_holder_that_cannot_make_its_namespace_says_why(tmp_path):
    """--join of a process that is gone: one line naming the cause, nothing left behind."""
    members, record = str(tmp_path / "h.members"), str(tmp_path / "h.json")
    cmd = [sys.executable, "-m", "docker_magics.runtime.netns", "--members", members]
    cmd += ["--record", record, "--join", str(2**22 + 1)]  # above pid_max's default: no such pid
    env = {**os.environ, "PYTHONPATH": ROOT}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=30).stdout
    assert out.startswith("error cannot make a network namespace: ") and "No such file" in out
    assert os.listdir(tmp_path) == ["netns.lock"]  # the store's lock, kept like any lock file
