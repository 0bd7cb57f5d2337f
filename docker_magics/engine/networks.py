"""User networks: names by which containers find each other, and which namespace they share.

What a network is here: with the root and userns backends, one network namespace shared by its
running containers, like a pod (``netpods.py``); under PRoot (no namespaces) the host's
network. Either way each container gets an /etc/hosts of its own that maps the names and
aliases of its networks' containers to 127.0.0.1. So ``--network app --name db`` lets the other
containers of ``app`` reach ``db:6379``; names of containers on other networks do not resolve.
Limits, said plainly: two containers of one network cannot listen on the same port; under
PRoot neither can two containers of any networks, and a container not on the network can still
reach the port through 127.0.0.1, just not by name.

A container may be on several networks: ``Network`` (the one it was created with) and
``ExtraNetworks`` (``network connect``, compose's ``networks: [a, b]``), each with its aliases.

The hosts files live in the container's dir and are bound over /etc/hosts; they are rewritten
in place (the bind pins the inode) whenever a member is created or removed, so a container
started before its peer still finds it by name.

Records: ``<store>/networks/<name>.json`` (Name, Id, Created, Driver, Labels).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from typing import Any

from ..errors import ConflictError, NotFoundError, UsageError
from ..store.atomic import atomic_write_json
from ..store.containers import Container
from ..store.lock import locked
from ..store.store import Store
from .volumes import NAME_RE

__all__ = [
    "create_network",
    "list_networks",
    "inspect_network",
    "remove_network",
    "check_network",
    "members",
    "write_hosts",
    "refresh_hosts",
    "BUILTIN",
    "hosts_path",
    "networks_of",
    "host_gateway",
    "load_network",
    "write_resolv_conf",
]

# Docker's predefined networks, accepted by --network with their meaning here.
BUILTIN = ("default", "bridge", "host", "none")


def _dir(store: Store) -> str:
    path = os.path.join(store.root, "networks")
    os.makedirs(path, exist_ok=True)
    return path


def _path(store: Store, name: str) -> str:
    return os.path.join(_dir(store), f"{name}.json")


def create_network(
    store: Store, name: str, *, labels: dict[str, str] | None = None, exist_ok: bool = False
) -> dict[str, Any]:
    if name in BUILTIN or not NAME_RE.match(name):
        raise UsageError(
            f"invalid network name {name!r}: use letters, digits and _ . - (not "
            f"{', '.join(BUILTIN)})"
        )
    with locked(os.path.join(store.root, "networks.lock")):
        if os.path.exists(_path(store, name)):
            if exist_ok:
                return load_network(store, name)
            raise ConflictError(f"network {name} already exists")
        record = {
            "Name": name,
            "Id": secrets.token_hex(32),
            "Created": time.time(),
            "Driver": "bridge",
            "Labels": dict(labels or {}),
        }
        atomic_write_json(_path(store, name), record, durable=False)
        return record


def load_network(store: Store, name: str) -> dict[str, Any]:
    try:
        with open(_path(store, name)) as fh:
            record: dict[str, Any] = json.load(fh)
            return record
    except FileNotFoundError:
        raise NotFoundError(
            f"network {name} not found: create it with `network create {name}`"
        ) from None


def check_network(store: Store, name: str) -> None:
    if name not in BUILTIN:
        load_network(store, name)


def list_networks(store: Store) -> list[dict[str, Any]]:
    out = []
    for entry in sorted(os.listdir(_dir(store))):
        if entry.endswith(".json"):
            try:
                out.append(load_network(store, entry[:-5]))
            except (NotFoundError, ValueError):
                continue
    return out


def networks_of(c: Container) -> dict[str, list[str]]:
    """The user networks ``c`` is on, each with its aliases."""
    out: dict[str, list[str]] = {}
    if c.config.get("Network"):
        out[c.config["Network"]] = list(c.config.get("NetworkAliases") or [])
    for name, aliases in (c.config.get("ExtraNetworks") or {}).items():
        out[name] = list(aliases)
    return out


def members(store: Store, name: str) -> list[Container]:
    return [c for c in store.containers.all() if name in networks_of(c)]


def inspect_network(store: Store, name: str) -> dict[str, Any]:
    record = load_network(store, name)
    return {
        "Name": name,
        "Id": record["Id"],
        "Created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record["Created"])),
        "Scope": "local",
        "Driver": record.get("Driver", "bridge"),
        "Labels": record.get("Labels") or {},
        "Containers": {
            c.id: {
                "Name": c.name,
                "Aliases": networks_of(c)[name],
                "IPv4Address": "127.0.0.1",
            }
            for c in members(store, name)
        },
    }


def remove_network(store: Store, name: str) -> None:
    load_network(store, name)
    users = [c.name for c in members(store, name)]
    if users:
        raise ConflictError(
            f"network {name} has containers: {', '.join(users)}; remove them first (rm -f)"
        )
    os.unlink(_path(store, name))


def hosts_path(store: Store, c: Container) -> str:
    return os.path.join(store.containers.dir(c.id), "hosts")


def _hosts_text(store: Store, c: Container) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    own = [c.config.get("Hostname") or c.short_id]
    peers: dict[str, list[str]] = {}
    for network in networks_of(c):
        for peer in members(store, network):
            names = [peer.name, *networks_of(peer)[network]]
            if peer.id == c.id:
                own += names
            else:
                peers.setdefault(peer.id, []).extend(names)
    lines += ["127.0.0.1\t" + " ".join(dict.fromkeys(names)) for names in peers.values()]
    lines.insert(2, "127.0.0.1\t" + " ".join(dict.fromkeys(own)))
    for entry in c.config.get("ExtraHosts") or []:
        host, _, ip = entry.partition(":")
        lines.append(f"{host_gateway(c) if ip == 'host-gateway' else ip}\t{host}")
    return "\n".join(lines) + "\n"


def write_hosts(store: Store, c: Container) -> str:
    """(Re)write ``c``'s hosts file in place and return its path."""
    path = hosts_path(store, c)
    text = _hosts_text(store, c).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, text)
    finally:
        os.close(fd)
    return path


def host_gateway(c: Container) -> str:
    """The host as seen from ``c``: slirp4netns's gateway in a namespace with outbound traffic
    (it leads to the host's loopback), else 127.0.0.1 (the host's network itself)."""
    from ..runtime.netns import SLIRP_GATEWAY, outbound_problem

    namespaced = c.runtime in ("root", "userns") and (
        bool(networks_of(c)) or c.config.get("NetworkMode") == "bridge"
    )
    return SLIRP_GATEWAY if namespaced and outbound_problem() is None else "127.0.0.1"


def refresh_hosts(store: Store, network: str | list[str] | None) -> None:
    """Rewrite the hosts files of every member of ``network`` (a member came or went)."""
    if not network:
        return
    names = [network] if isinstance(network, str) else [n for n in network if n]
    peers = {p.id: p for n in names for p in members(store, n)}
    for peer in peers.values():
        if os.path.exists(hosts_path(store, peer)):
            try:
                write_hosts(store, peer)
            except OSError:
                continue  # removed meanwhile


def write_resolv_conf(store: Store, c: Container) -> str:
    """slirp4netns's DNS forwarder (it reaches the host's resolvers, loopback ones included),
    with the host's search and options lines, as rootless podman writes it."""
    from ..runtime.netns import SLIRP_DNS

    keep = []
    try:
        with open("/etc/resolv.conf", errors="replace") as fh:
            keep = [ln for ln in fh.read().splitlines() if ln.startswith(("search", "options"))]
    except OSError:
        pass
    path = os.path.join(store.containers.dir(c.id), "resolv.conf")
    with open(path, "w") as fh:
        fh.write("\n".join([f"nameserver {SLIRP_DNS}", *keep]) + "\n")
    return path
