"""One operation of the chaos test, run as its own process so the test can SIGKILL it anywhere.

    python chaos_worker.py STORE OP N REGISTRY BUSYBOX_TAR WORKDIR MARK

Exits 0 when the operation completed; the tag it made must then survive everything after.
MARK, new for each test run, is in every RUN's command line: how the test finds leftover
processes. (A fixed one also found those of another chaos run on the machine, a parallel
session's suite, and blamed this run for them.)
"""

from __future__ import annotations

import os
import sys

from docker_magics.api import Engine
from docker_magics.errors import NotFoundError

# Long enough that a container outliving its killed worker is still there when the test looks.
RUN_S = 1.5


def build(eng: Engine, n: int, work: str, mark: str) -> None:
    ctx = os.path.join(work, f"ctx-{n}")
    os.makedirs(ctx, exist_ok=True)
    with open(os.path.join(ctx, "f"), "w") as fh:
        fh.write(f"{n}\n")
    with open(os.path.join(ctx, "Dockerfile"), "w") as fh:
        # Half of the builds share a cached first step, so cache hits get killed too.
        fh.write(f"FROM busybox\nRUN echo {n % 2} > /shared # {mark}\nCOPY f /f\n")
        fh.write(f"RUN sleep {RUN_S}; cat /f > /g # {mark}\n")
    eng.build(ctx, tags=[f"chaos-build:{n}"])


def commit(eng: Engine, n: int, mark: str) -> None:
    name = f"c-{n}"
    eng.run("busybox", ["sh", "-c", f"echo {n} > /c; sleep {RUN_S} # {mark}"], name=name)
    eng.commit(name, f"chaos-commit:{n}")
    eng.rm(name)


def pull(eng: Engine, n: int, registry: str) -> None:
    # Remove and prune first, so the pull downloads again (and prune gets killed).
    ref = f"{registry}/chaos/img:{n % 3}"
    try:
        eng.rmi(ref)
    except NotFoundError:
        pass
    eng.prune()
    eng.pull(ref)


def main() -> int:
    store, op, n, registry, tar, work, mark = sys.argv[1:8]
    eng = Engine(store)
    if op == "build":
        build(eng, int(n), work, mark)
    elif op == "commit":
        commit(eng, int(n), mark)
    elif op == "pull":
        pull(eng, int(n), registry)
    elif op == "import":
        eng.import_image(tar, f"chaos-import:{n}")
    else:
        raise SystemExit(f"unknown operation {op!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
