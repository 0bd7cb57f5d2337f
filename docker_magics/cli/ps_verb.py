"""`ps [-a] [-q] [-n N] [-l] [--filter K=V]... [--format F] [--no-trunc]`, as `docker ps`.

Filters are Docker's most used ones (id, name, label, status, ancestor, exited, publish);
values of one key are alternatives, different keys must all hold. ``--format`` takes
``json``, ``table TEMPLATE`` or a template such as ``{{.Names}}\\t{{.Status}}``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..display.tables import Table
from ..engine.ports import bindings_of, format_ports
from ..errors import UsageError
from ..textfmt import human_age, truncate
from .status import container_status

if TYPE_CHECKING:
    from ..api import Engine
    from ..store.containers import Container
    from .output import Output

__all__ = ["add_ps_parser", "do_ps"]

FILTER_KEYS = ("id", "name", "label", "status", "ancestor", "exited", "publish")
STATES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
_FIELD = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")
_DEFAULT = ["ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names"]
_COLUMNS = {
    "ID": "CONTAINER ID",
    "Image": "IMAGE",
    "Command": "COMMAND",
    "RunningFor": "CREATED",
    "CreatedAt": "CREATED AT",
    "Status": "STATUS",
    "State": "STATE",
    "Ports": "PORTS",
    "Names": "NAMES",
    "Labels": "LABELS",
}


def add_ps_parser(p: Any) -> None:
    p.add_argument("-a", "--all", action="store_true", help="show all containers")
    p.add_argument("-q", "--quiet", action="store_true", help="only show IDs")
    p.add_argument("--no-trunc", action="store_true", help="do not truncate output")
    p.add_argument("-n", "--last", type=int, default=-1, help="show the N last created")
    p.add_argument("-l", "--latest", action="store_true", help="show the latest created")
    p.add_argument(
        "-f", "--filter", action="append", default=[], help="filter KEY=VALUE (e.g. status=exited)"
    )
    p.add_argument("--format", help="'json', 'table TEMPLATE' or a template like '{{.Names}}'")


status_of = container_status  # Up 5 seconds (healthy), Restarting (1) ..., Exited (0) ...


def _record(c: Container, no_trunc: bool) -> dict[str, str]:
    command = json.dumps(" ".join(c.argv))
    return {
        "ID": c.id if no_trunc else c.short_id,
        "Image": c.image_ref,
        "Command": command if no_trunc else truncate(command, 22),
        "RunningFor": human_age(c.created),
        "CreatedAt": _local_time(c.created),
        "Status": status_of(c),
        "State": c.state,
        "Ports": format_ports(c.config),
        "Names": c.name,
        "Labels": ",".join(f"{k}={v}" for k, v in sorted(c.labels.items())),
    }


def _local_time(when: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S %z %Z", time.localtime(when))


def _filters(specs: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for spec in specs:
        key, eq, value = spec.partition("=")
        if not eq or key not in FILTER_KEYS:
            raise UsageError(
                f'invalid filter "{spec}": give KEY=VALUE with KEY one of ' + ", ".join(FILTER_KEYS)
            )
        if key == "status" and value not in STATES:
            raise UsageError(
                f"invalid filter 'status={value}': the states are " + ", ".join(STATES)
            )
        out.setdefault(key, []).append(value)
    return out


def _holds(c: Container, key: str, value: str) -> bool:
    if key == "id":
        return c.id.startswith(value)
    if key == "name":
        return re.search(value, c.name) is not None  # Docker matches names as a pattern
    if key == "label":
        k, eq, v = value.partition("=")
        return k in c.labels and (not eq or c.labels[k] == v)
    if key == "status":
        return c.state == value
    if key == "ancestor":
        return value in (c.image_ref, c.image, c.image[7:19]) or c.image_ref.split(":")[0] == value
    if key == "exited":
        return c.state == "exited" and str(c.exit_code) == value
    # publish: a host or container port, with or without /tcp
    port = value.removesuffix("/tcp")
    return any(port in (str(h), str(ct)) for _ip, h, ct in bindings_of(c.config))


def _render(template: str, rec: dict[str, str]) -> str:
    template = template.replace("\\t", "\t").replace("\\n", "\n")
    return _FIELD.sub(lambda m: rec.get(m.group(1), ""), template)


def do_ps(eng: Engine, args: Any, out: Output) -> int:
    filters = _filters(args.filter)
    # As Docker: a status or exited filter, -n and -l look at stopped containers too.
    wanted = args.all or "status" in filters or "exited" in filters or args.last > 0 or args.latest
    found = eng.ps(all=wanted)  # newest first
    found = [c for c in found if all(any(_holds(c, k, v) for v in vs) for k, vs in filters.items())]
    if args.latest:
        found = found[:1]
    elif args.last > 0:
        found = found[: args.last]
    records = [_record(c, args.no_trunc) for c in found]
    fmt = args.format or ""
    if args.quiet:
        for rec in records:
            out.line(rec["ID"])
    elif fmt == "json":
        for rec in records:
            out.line(json.dumps(rec))
    elif fmt and not fmt.startswith("table"):
        for rec in records:
            out.line(_render(fmt, rec))
    else:
        fields = _FIELD.findall(fmt) if fmt else _DEFAULT
        head = [_COLUMNS.get(f, f.upper()) for f in fields]
        out.show(Table(head, [[rec.get(f, "") for f in fields] for rec in records]))
    return 0
