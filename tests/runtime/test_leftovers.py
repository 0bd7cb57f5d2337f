"""A caller SIGKILLed mid-run leaves its scratch dir; the next run removes it, and only it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

from rt_helpers import run_capture, wait_for

from docker_magics.runtime.scratch import SCRATCH_PREFIX


def _scratch_dirs(base: str) -> set[str]:
    return {n for n in os.listdir(base) if n.startswith(SCRATCH_PREFIX)}


def test_killed_callers_scratch_is_swept(backend, layout, tmp_path, monkeypatch):
    base = str(tmp_path / "tmp")
    os.mkdir(base)
    monkeypatch.setenv("TMPDIR", base)
    tempfile.tempdir = None  # re-read TMPDIR here and in the child
    spec = layout.spec
    code = f"""
import sys
sys.path.insert(0, {os.path.dirname(__file__)!r})
from rt_helpers import backend_or_skip
from docker_magics.runtime import ProcessSpec, RootfsSpec
b = backend_or_skip({backend.name!r})
b.run(RootfsSpec(lowerdirs={spec.lowerdirs!r}, upperdir={spec.upperdir!r}, workdir={spec.workdir!r},
                 directory={spec.directory!r}, mountpoint={spec.mountpoint!r}),
      ProcessSpec(argv=("sleep", "60")))
"""
    try:
        caller = subprocess.Popen([sys.executable, "-c", code], env={**os.environ})
        assert wait_for(lambda: len(_scratch_dirs(base)) == 1, 20), "the run did not start"
        left = _scratch_dirs(base)
        time.sleep(0.3)
        caller.send_signal(signal.SIGKILL)
        caller.wait()
        assert wait_for(lambda: not _sleepers(), 20), "the container outlived its caller"
        assert _scratch_dirs(base) == left  # the leftover this test is about
        # A live process's dir must survive the sweep: make one for this very process.
        from docker_magics.runtime.leftovers import owner_tag

        mine = os.path.join(base, f"{SCRATCH_PREFIX}{owner_tag()}-keep")
        os.mkdir(mine)
        assert run_capture(backend, layout.spec, "true")[0] == 0
        assert _scratch_dirs(base) == {os.path.basename(mine)}
    finally:
        tempfile.tempdir = None


def _sleepers() -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if fh.read() == b"sleep\x0060\x00":
                        found.append(int(pid))
            except OSError:
                pass
    return found
