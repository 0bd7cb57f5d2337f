"""The process that owns a detached (`run -d`) container: it outlives the CLI or the kernel,
applies the container's restart policy (engine/restart.py) and runs its healthcheck
(engine/health.py) while it runs."""

from __future__ import annotations

import argparse
import os

from ..api import Engine
from ..engine import containers, health, restart
from ..errors import NotFoundError


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("container")
    ap.add_argument("--runtime")
    ap.add_argument("--rm", action="store_true")
    args = ap.parse_args()
    eng = Engine(args.root, runtime=args.runtime)

    def run_once() -> int:
        checker = health.Checker(eng.store, args.container, eng.backend())
        checker.start()
        try:
            return eng.start(args.container, restart_policy=True)
        finally:
            checker.stop()

    try:
        eng.store.containers.update(args.container, monitor_pid=os.getpid())
        restart.supervise(eng.store, args.container, run_once)
    except NotFoundError:
        pass  # removed while it ran (rm -f): nothing is left to record
    finally:
        if args.rm:
            try:
                containers.remove_container(eng.store, args.container, force=True, volumes=True)
            except NotFoundError:
                pass


if __name__ == "__main__":
    main()
