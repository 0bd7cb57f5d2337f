"""Two processes on one store, and processes killed mid-write: the store always loads and checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WORKER = r"""
import sys
from docker_magics.api import Engine
store, tar, me, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
eng = Engine(store)
for i in range(rounds):
    eng.import_image(tar, f"{me}:{i}")
    eng.tag(f"{me}:{i}", f"shared:{i % 3}")
    if i % 2:
        eng.rmi(f"{me}:{i}")
"""


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.Popen([sys.executable, "-c", WORKER, *args], env=env, stderr=subprocess.PIPE)


def test_two_writers_never_lose_tags(tmp_path, busybox_tar):
    from docker_magics.api import Engine

    store = str(tmp_path / "store")
    Engine(store)
    procs = [_spawn(store, busybox_tar, name, "12") for name in ("alpha", "beta")]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    eng = Engine(store)
    refs = {r for image in eng.images() for r in image.refs}
    for name in ("alpha", "beta"):
        for i in range(0, 12, 2):  # the even rounds were kept by each writer
            assert f"docker.io/library/{name}:{i}" in refs
    assert {f"docker.io/library/shared:{i}" for i in range(3)} <= refs
    assert eng.check().ok


def test_killed_writers_leave_a_loadable_store(tmp_path, busybox_tar):
    from docker_magics.api import Engine

    store = str(tmp_path / "store")
    Engine(store)
    for delay in (0.05, 0.15, 0.3, 0.5, 0.8):
        p = _spawn(store, busybox_tar, "victim", "50")
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        eng = Engine(store)
        report = eng.check()
        assert report.ok, report.problems
    eng = Engine(store)
    eng.prune()
    assert os.listdir(eng.store.tmp_dir) == []
    assert eng.check().ok
    eng.import_image(busybox_tar, "after:1")  # and the next write works
