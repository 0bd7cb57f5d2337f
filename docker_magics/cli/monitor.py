"""The process that owns a detached (`run -d`) container: it outlives the CLI or the kernel."""

from __future__ import annotations

import argparse

from ..api import Engine
from ..engine import containers


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("container")
    ap.add_argument("--runtime")
    ap.add_argument("--rm", action="store_true")
    args = ap.parse_args()
    eng = Engine(args.root, runtime=args.runtime)
    try:
        eng.start(args.container)
    finally:
        if args.rm:
            containers.remove_container(eng.store, args.container, force=True, volumes=True)


if __name__ == "__main__":
    main()
