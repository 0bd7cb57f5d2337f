"""Published ports: `-p [IP:]HOST:CONTAINER[/tcp]`, `-P`, and how `ps`/`port`/`inspect` show them.

A container's ports are kept in its record as Docker's ``HostConfig.PortBindings``:
``{"3000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8081"}]}``. Host ports left open (``-p
3000``, ``-P``) get a free port at create time, so ``port`` answers before the start.

How a published port is reached depends on the container's network (see ``portfwd.py``):
with a network namespace of its own, a forwarder accepts on the host port and connects to the
container's 127.0.0.1; on the host's network (PRoot, or ``--network host``), the app's own
port *is* a host port, so HOST = CONTAINER needs nothing and HOST != CONTAINER gets a
forwarder to 127.0.0.1:CONTAINER, and two such containers cannot both listen on one port.
"""

from __future__ import annotations

import re
import socket
from typing import Any

from ..errors import UsageError

__all__ = [
    "parse_publish",
    "port_bindings",
    "format_ports",
    "port_lines",
    "Binding",
    "bindings_of",
    "free_port",
]

_SPEC = re.compile(
    r"^(?:(?P<ip>\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?"
    r"(?:(?P<host>\d*):)?(?P<cport>\d+)(?:/(?P<proto>[a-z]+))?$"
)

# (host ip, host port, container port)
Binding = tuple[str, int, int]


def _port(text: str, spec: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise UsageError(f"invalid port {text} in -p {spec}: ports are 1 to 65535")
    return value


def parse_publish(spec: str) -> tuple[str, int | None, int]:
    """``-p`` text -> (host ip, host port or None for "any free one", container port)."""
    m = _SPEC.match(spec.strip())
    if m is None:
        raise UsageError(
            f"invalid -p {spec!r}: use [IP:]HOST_PORT:CONTAINER_PORT[/tcp], e.g. -p 8080:80"
        )
    if (m["proto"] or "tcp") != "tcp":
        raise UsageError(f"-p {spec}: only tcp ports can be published here (no {m['proto']})")
    host = _port(m["host"], spec) if m["host"] else None
    return (m["ip"] or "0.0.0.0").strip("[]"), host, _port(m["cport"], spec)


def free_port(ip: str = "0.0.0.0") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


def port_bindings(
    publish: list[str], publish_all: bool, exposed: dict[str, Any] | None
) -> dict[str, list[dict[str, str]]]:
    """Docker's PortBindings for the ``-p`` list and ``-P`` (EXPOSEd ports to free ports)."""
    out: dict[str, list[dict[str, str]]] = {}
    taken: set[int] = set()
    wanted = [parse_publish(p) for p in publish]
    if publish_all:
        for key in exposed or {}:
            number, _, proto = key.partition("/")
            if (proto or "tcp") == "tcp" and number.isdigit():
                wanted.append(("0.0.0.0", None, int(number)))
    for ip, host, cport in wanted:
        if host is None:
            host = free_port(ip)
        if host in taken:
            raise UsageError(f"host port {host} is published twice: give each -p its own port")
        taken.add(host)
        out.setdefault(f"{cport}/tcp", []).append({"HostIp": ip, "HostPort": str(host)})
    return out


def bindings_of(config: dict[str, Any]) -> list[Binding]:
    result = []
    for key, hosts in (config.get("PortBindings") or {}).items():
        cport = int(key.partition("/")[0])
        for h in hosts:
            result.append((h.get("HostIp") or "0.0.0.0", int(h["HostPort"]), cport))
    return result


def format_ports(config: dict[str, Any]) -> str:
    """`ps`'s PORTS column: ``0.0.0.0:8081->3000/tcp, ...``."""
    return ", ".join(f"{ip}:{h}->{c}/tcp" for ip, h, c in bindings_of(config))


def port_lines(config: dict[str, Any]) -> list[str]:
    """`port CONTAINER`'s lines: ``3000/tcp -> 0.0.0.0:8081``."""
    return [f"{c}/tcp -> {ip}:{h}" for ip, h, c in bindings_of(config)]
