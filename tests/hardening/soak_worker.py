"""One of the processes of the concurrency soak: builds, commits, pulls and prunes in a loop.

    python soak_worker.py STORE NAME SECONDS REGISTRY WORKDIR SEED

Writes WORKDIR/NAME.json: the tags it made (each must survive the other process) and counts.
Any exception ends it with a traceback and a non-zero exit code.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time

from docker_magics.api import Engine
from docker_magics.errors import NotFoundError


def main() -> int:
    store, me, seconds, registry, work, seed = sys.argv[1:7]
    rng = random.Random(int(seed))
    eng = Engine(store)
    made: list[str] = []
    counts = {"build": 0, "commit": 0, "pull": 0, "prune": 0}
    deadline = time.monotonic() + float(seconds)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        op = rng.choice(["build", "build", "commit", "pull", "prune"])
        if op == "build":
            ctx = os.path.join(work, f"{me}-ctx-{n}")
            os.makedirs(ctx)
            with open(os.path.join(ctx, "f"), "w") as fh:
                fh.write(f"{me} {n}\n")
            with open(os.path.join(ctx, "Dockerfile"), "w") as fh:
                # The first RUN is shared by both processes: the same cache entry, raced.
                fh.write(f"FROM busybox\nRUN echo shared-{n % 3} > /s\nCOPY f /f\nRUN cat /f\n")
            eng.build(ctx, tags=[f"{me}-build:{n}"])
            made.append(f"docker.io/library/{me}-build:{n}")
        elif op == "commit":
            eng.run("busybox", ["sh", "-c", f"echo {n} > /c"], name=f"{me}-{n}")
            eng.commit(f"{me}-{n}", f"{me}-commit:{n}")
            eng.rm(f"{me}-{n}")
            made.append(f"docker.io/library/{me}-commit:{n}")
        elif op == "pull":
            ref = f"{registry}/chaos/img:{n % 3}"
            try:
                eng.rmi(ref)
            except NotFoundError:
                pass  # the other process removed it first, or never pulled it
            eng.pull(ref)
        else:
            eng.prune()
        counts[op] += 1
    with open(os.path.join(work, f"{me}.json"), "w") as fh:
        json.dump({"made": made, "counts": counts}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
