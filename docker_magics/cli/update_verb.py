"""`update --restart POLICY CONTAINER...`: change a container's restart policy (the part of
Docker's `update` that means something here: there are no resource limits to change)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..api import Engine
    from .output import Output

__all__ = ["register", "HANDLERS"]


def register(sub: argparse._SubParsersAction, verb: Callable[..., argparse.ArgumentParser]) -> None:
    p = verb(sub, "update", "Change the restart policy of containers")
    p.add_argument(
        "--restart",
        required=True,
        metavar="POLICY",
        help="no, always, unless-stopped or on-failure[:MAX_RETRIES]",
    )
    p.add_argument("containers", nargs="+")


def do_update(eng: Engine, args: Any, out: Output) -> int:
    from ..engine.restart import parse_policy

    policy = parse_policy(args.restart)  # checked before any container changes
    for name in args.containers:
        c = eng.container(name)
        # The monitor reads the policy when the process ends: a running container gets it too.
        eng.store.containers.update(c.id, config={**c.config, "RestartPolicy": policy})
        out.line(name)
    return 0


HANDLERS = {"update": do_update}
