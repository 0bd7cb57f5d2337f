"""Two builds of the same step at the same time on one store (two kernels, two terminals): the
step is made once, as BuildKit merges identical steps, and both images share its layer."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_a_step_built_twice_at_once_is_made_once(engine, base_image, tmp_path):
    # The step makes a new random file each time it runs: two runs would make two layers.
    dockerfile = "FROM busybox\nRUN sleep 2; cat /proc/sys/kernel/random/uuid > /made\n"
    procs = []
    for tag in ("one", "two"):
        ctx = tmp_path / tag
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(dockerfile)
        argv = [sys.executable, "-m", "docker_magics", "--root", engine.store.root]
        argv += ["build", "--progress", "plain", "-t", tag, str(ctx)]
        env = {**os.environ, "PYTHONPATH": ROOT}
        procs.append(
            subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        )
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    layers = {tag: [x["digest"] for x in engine.image(tag).layers] for tag in ("one", "two")}
    assert layers["one"] == layers["two"], outputs
    # One of them waited for the other and took its result from the cache.
    assert sorted("#2 CACHED" in out for out in outputs) == [False, True], outputs
    assert engine.check().ok
    # The step's claim (a lock file beside its cache entry) goes with the next prune.
    engine.prune()
    assert [n for n in os.listdir(os.path.join(engine.store.root, "cache")) if ".lock" in n] == []
