"""`network create|ls|rm|inspect|connect|disconnect`: user networks, by which containers find
each other by name (engine/networks.py says what a network is here and its limits)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..display.tables import Table

if TYPE_CHECKING:
    from ..api import Engine
    from .output import Output

__all__ = ["register", "HANDLERS"]


def register(sub: argparse._SubParsersAction, verb: Callable[..., argparse.ArgumentParser]) -> None:
    p = verb(sub, "network", "Manage networks: containers on one network find each other by name")
    nsub = p.add_subparsers(dest="network_verb", metavar="SUBCOMMAND", parser_class=type(p))
    nsub.required = True
    c = nsub.add_parser("create", help="create a network")
    c.add_argument("name")
    c.add_argument("-d", "--driver", default="bridge", help="accepted: bridge")
    c.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    ls = nsub.add_parser("ls", aliases=["list"], help="list networks")
    ls.add_argument("-q", "--quiet", action="store_true", help="only show names")
    rm = nsub.add_parser("rm", aliases=["remove"], help="remove networks")
    rm.add_argument("networks", nargs="+")
    ins = nsub.add_parser("inspect", help="show networks and their containers as JSON")
    ins.add_argument("networks", nargs="+")
    con = nsub.add_parser("connect", help="connect a container to a network")
    con.add_argument("--alias", action="append", default=[], help="another name on that network")
    con.add_argument("network")
    con.add_argument("container")
    dis = nsub.add_parser("disconnect", help="disconnect a container from a network")
    dis.add_argument("-f", "--force", action="store_true", help="accepted, as Docker's")
    dis.add_argument("network")
    dis.add_argument("container")


def do_network(eng: Engine, args: Any, out: Output) -> int:
    from ..engine import networks

    verb = {"list": "ls", "remove": "rm"}.get(args.network_verb, args.network_verb)
    if verb == "create":
        labels = dict(item.partition("=")[::2] for item in args.label)
        out.line(networks.create_network(eng.store, args.name, labels=labels)["Id"])
    elif verb == "ls":
        rows = [
            [n["Id"][:12], n["Name"], n.get("Driver", "bridge"), "local"]
            for n in networks.list_networks(eng.store)
        ]
        if args.quiet:
            for row in rows:
                out.line(row[1])
        else:
            out.show(Table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"], rows))
    elif verb in ("connect", "disconnect"):
        from ..engine import netpods

        if verb == "connect":
            netpods.connect(eng.store, args.network, args.container, args.alias)
        else:
            netpods.disconnect(eng.store, args.network, args.container)
    elif verb == "rm":
        for name in args.networks:
            networks.remove_network(eng.store, name)
            out.line(name)
    else:
        from ..engine.netpods import namespace_info

        info = [networks.inspect_network(eng.store, n) for n in args.networks]
        for item in info:
            item["Namespace"] = namespace_info(eng.store, item["Name"])
        out.line(json.dumps(info, indent=4))
    return 0


HANDLERS = {"network": do_network}
