"""`volume create|ls|rm|inspect|prune`: named volumes kept in the store (engine/volumes.py).

`register(sub, verb)` adds the parser (called from `parsers.build_parser`); `HANDLERS` maps the
verb to its handler (merged into `commands.HANDLERS`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..display.tables import Table
from ..errors import UsageError

if TYPE_CHECKING:
    from ..api import Engine
    from .output import Output

__all__ = ["register", "HANDLERS"]


def register(sub: argparse._SubParsersAction, verb: Callable[..., argparse.ArgumentParser]) -> None:
    p = verb(sub, "volume", "Manage volumes: data kept apart from containers (create, ls, rm, ...)")
    vsub = p.add_subparsers(dest="volume_verb", metavar="SUBCOMMAND", parser_class=type(p))
    vsub.required = True
    c = vsub.add_parser("create", help="create a volume")
    c.add_argument("name", nargs="?", help="volume name (default: a random one)")
    c.add_argument("--name", dest="name_opt", help="volume name (same as the argument)")
    c.add_argument("-d", "--driver", default="local", help="only local is supported")
    c.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    ls = vsub.add_parser("ls", aliases=["list"], help="list volumes")
    ls.add_argument("-q", "--quiet", action="store_true", help="only show names")
    rm = vsub.add_parser("rm", aliases=["remove"], help="remove volumes")
    rm.add_argument("volumes", nargs="+")
    rm.add_argument("-f", "--force", action="store_true", help="remove even if in use")
    ins = vsub.add_parser("inspect", help="show volumes as JSON")
    ins.add_argument("volumes", nargs="+")
    pr = vsub.add_parser("prune", help="remove unused anonymous volumes (-a: all unused)")
    pr.add_argument("-a", "--all", action="store_true", help="unused named volumes too")
    pr.add_argument("-f", "--force", action="store_true", help="accepted: never asks")


def do_volume(eng: Engine, args: Any, out: Output) -> int:
    verb = {"list": "ls", "remove": "rm"}.get(args.volume_verb, args.volume_verb)
    if verb == "create":
        if args.driver != "local":
            raise UsageError(f"volume driver {args.driver!r} is not supported: only local is")
        labels = dict(item.partition("=")[::2] for item in args.label)
        out.line(eng.volume_create(args.name or args.name_opt, labels=labels))
    elif verb == "ls":
        names = [v["Name"] for v in eng.volumes()]
        if args.quiet:
            for name in names:
                out.line(name)
        else:
            out.show(Table(["DRIVER", "VOLUME NAME"], [["local", n] for n in names]))
    elif verb == "rm":
        for name in args.volumes:
            eng.volume_rm(name, force=args.force)
            out.line(name)
    elif verb == "inspect":
        out.line(json.dumps([eng.volume_inspect(n) for n in args.volumes], indent=4))
    else:
        removed = eng.volume_prune(all=args.all)
        out.line("Deleted Volumes:" if removed else "No unused volumes to remove.")
        for name in removed:
            out.line(name)
    return 0


HANDLERS = {"volume": do_volume}
