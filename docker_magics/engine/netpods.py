"""Which network namespace a container joins (root and userns backends), and keeping it alive.

The pod model, as rootless podman's pods: every container of a user network joins one network
namespace, held by a ``runtime.netns`` holder process while the network has running members.
Inside it the members reach each other at 127.0.0.1 (hence the /etc/hosts of networks.py), and
nothing outside reaches their ports except through published ports (the forwarder joins the
namespace). A container that publishes ports on the default network gets a pod of its own.
Networks that share a member (``network connect``, compose ``networks: [a, b]``) share one
namespace: the *component* of networks linked through containers. Two networks already running
in separate namespaces cannot be joined by a container (it would have to be in both): that is
a clear error, until the members of one of them stop.

Records: ``<store>/netns/<id>.json`` = {holder, tag (pid + start time), pin, networks (as
``name/id``), container, members, outbound}. A member's caller holds a shared flock on the
``members`` file for as long as its container runs (``Membership``); the holder exits after the
last one.
Everything here runs under ``<store>/netns/netns.lock``.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import select
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from ..errors import ConflictError, NotFoundError, RuntimeBackendError
from ..store.atomic import atomic_write_json
from ..store.containers import Container
from ..store.lock import locked
from ..store.store import Store
from .networks import networks_of

__all__ = [
    "Membership",
    "join_pod",
    "pod_of",
    "needs_pod",
    "component",
    "stale_records",
    "namespace_info",
    "drop_stale",
    "connect",
    "disconnect",
]


@dataclass
class Membership:
    """A running container's hold on its pod: ``pin`` is the pid whose namespaces it joins."""

    pin: int
    outbound: str | None  # None when slirp4netns gives the namespace outbound traffic
    fd: int

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # drops the shared lock: the holder may now end
            self.fd = -1


def needs_pod(c: Container, backend_name: str) -> bool:
    """A namespace backend, and a user network or published ports on the default network."""
    if backend_name not in ("root", "userns"):
        return False
    return bool(networks_of(c)) or c.config.get("NetworkMode") == "bridge"


def _dir(store: Store) -> str:
    path = os.path.join(store.root, "netns")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _records(store: Store) -> list[tuple[str, dict[str, Any]]]:
    out = []
    base = _dir(store)
    for name in sorted(os.listdir(base)):
        if name.endswith(".json"):
            path = os.path.join(base, name)
            try:
                with open(path) as fh:
                    out.append((path, json.load(fh)))
            except (OSError, ValueError):
                continue
    return out


def owner_tag(pid: int) -> str:
    from ..runtime.leftovers import owner_tag as tag  # the runtime loads on first use

    return tag(pid)


def _alive(rec: dict[str, Any]) -> bool:
    """The recorded holder still runs: same pid *and* start time, and not a zombie (an
    orphaned holder is reaped by whatever init the machine has, if any)."""
    pid = int(rec.get("holder") or 0)
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != b"Z" and owner_tag(pid) == rec.get("tag")


def _drop(path: str, rec: dict[str, Any]) -> None:
    for p in (path, rec.get("members") or "", path[: -len(".json")] + ".slirp.log"):
        try:
            os.unlink(p)
        except OSError:
            pass


def _keys(store: Store, names: set[str] | list[str]) -> set[str]:
    """``name/id`` of each network that exists: a network removed and made again under the
    same name is another network, and must not find the old one's namespace."""
    from .networks import load_network

    out = set()
    for name in names:
        try:
            out.add(f"{name}/{load_network(store, name)['Id'][:12]}")
        except NotFoundError:
            continue
    return out


def component(store: Store, c: Container) -> set[str]:
    """``c``'s networks and every network linked to them through some container."""
    links = [set(networks_of(other)) for other in store.containers.all() if other.id != c.id]
    comp = set(networks_of(c))
    grew = True
    while grew:
        grew = False
        for nets in links:
            if nets & comp and not nets <= comp:
                comp |= nets
                grew = True
    return comp


def _running_member(store: Store, comp: set[str]) -> int | None:
    """The init pid of a running container of ``comp`` living in a namespace of its own."""
    me = os.stat("/proc/self/ns/net").st_ino
    for other in store.containers.all():
        if other.state == "running" and other.pid and set(networks_of(other)) & comp:
            try:
                if os.stat(f"/proc/{other.pid}/ns/net").st_ino != me:
                    return int(other.pid)
            except OSError:
                continue
    return None


def pod_of(store: Store, c: Container) -> dict[str, Any] | None:
    """The live pod record ``c`` would join (None: none runs); stale records are dropped.
    Raises ConflictError when its networks run in two namespaces. Call under the lock."""
    comp = _keys(store, component(store, c))
    live = []
    for path, rec in _records(store):
        if not (set(rec.get("networks") or []) & comp or rec.get("container") == c.id):
            continue
        if _alive(rec):
            live.append((path, rec))
        else:
            _drop(path, rec)
    if len(live) > 1:
        keys = set().union(*(set(r.get("networks") or []) for _, r in live)) & comp
        names = sorted(k.split("/")[0] for k in keys)
        raise ConflictError(
            f"container {c.name} would join networks {', '.join(names)}, which run in separate "
            "network namespaces here (see README, Web apps): stop the containers of one of them "
            "first"
        )
    if not live:
        return None
    path, rec = live[0]
    if not comp <= set(rec.get("networks") or []):
        rec["networks"] = sorted(comp | set(rec.get("networks") or []))
        atomic_write_json(path, rec, durable=False)
    return rec


def join_pod(store: Store, c: Container, *, userns: bool) -> Membership:
    """Find or start the holder of ``c``'s pod and hold it while ``c`` runs."""
    with locked(os.path.join(_dir(store), "netns.lock")):
        rec = pod_of(store, c)
        if rec is None:
            comp = component(store, c)
            rec = _start(store, comp, c, userns, _running_member(store, comp) if comp else None)
        fd = os.open(rec["members"], os.O_RDONLY | os.O_CLOEXEC)
        # The holder may hold it exclusively for a moment; it lets go, seeing our store lock.
        fcntl.flock(fd, fcntl.LOCK_SH)
    return Membership(int(rec["pin"]), rec.get("outbound"), fd)


def _start(
    store: Store, comp: set[str], c: Container, userns: bool, join: int | None
) -> dict[str, Any]:
    rid = secrets.token_hex(6)
    base = os.path.abspath(_dir(store))  # the holder works from "/"
    members = os.path.join(base, f"{rid}.members")
    record = os.path.join(base, f"{rid}.json")
    cmd = [sys.executable, "-m", "docker_magics.runtime.netns", "--members", members]
    cmd += ["--record", record] + (["--userns"] if userns else [])
    cmd += ["--join", str(join)] if join else []
    env = dict(os.environ)
    pkg_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [pkg_parent, env.get("PYTHONPATH")]))
    with open(os.path.join(base, "holder.err"), "ab") as err:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=env
        )
    assert proc.stdout is not None
    try:
        ready = select.select([proc.stdout], [], [], 10.0)[0]
        line = proc.stdout.readline().decode(errors="replace").split() if ready else []
    finally:
        proc.stdout.close()
        proc.wait()  # the first process exits at once; the holder lives on, detached
    if len(line) < 3 or line[0] != "ready":
        said = " ".join(line[1:]) if line else "no answer within 10 s"
        raise RuntimeBackendError(f"cannot start the network namespace holder: {said}")
    pin = int(line[1])
    holder = _holder_of(pin)
    rec = {
        "holder": holder,
        "tag": owner_tag(holder),
        "pin": pin,
        "networks": sorted(_keys(store, comp)),
        "container": None if comp else c.id,
        "members": members,
        "outbound": None if line[2] == "outbound" else " ".join(line[3:]),
    }
    atomic_write_json(record, rec, durable=False)
    return rec


def _holder_of(pin: int) -> int:
    with open(f"/proc/{pin}/stat", "rb") as fh:
        return int(fh.read().rsplit(b")", 1)[1].split()[1])


def namespace_info(store: Store, network: str) -> dict[str, Any] | None:
    """`network inspect`'s view of the namespace the network runs in now (None: none runs)."""
    for _, rec in _records(store) if os.path.isdir(os.path.join(store.root, "netns")) else []:
        if _keys(store, [network]) & set(rec.get("networks") or []) and _alive(rec):
            outbound = rec.get("outbound")
            return {
                "HolderPid": rec["holder"],
                "SharedWith": sorted({k.split("/")[0] for k in rec["networks"]} - {network}),
                "Outbound": f"none: {outbound}" if outbound else "slirp4netns, host at 10.0.2.2",
            }
    return None


def stale_records(store: Store) -> list[str]:
    """Records whose holder has ended (a killed holder): `system prune` removes them."""
    path = os.path.join(store.root, "netns")
    if not os.path.isdir(path):
        return []
    return [os.path.basename(p) for p, rec in _records(store) if not _alive(rec)]


def drop_stale(store: Store) -> int:
    if not os.path.isdir(os.path.join(store.root, "netns")):
        return 0
    with locked(os.path.join(_dir(store), "netns.lock")):
        stale = [(p, r) for p, r in _records(store) if not _alive(r)]
        for path, rec in stale:
            _drop(path, rec)
    return len(stale)


def connect(store: Store, network: str, name: str, aliases: list[str]) -> None:
    """`network connect`: ``name`` joins ``network`` (names at once; a running container in a
    pod takes the network into its pod, when that network runs in no other namespace)."""
    from .networks import load_network, refresh_hosts

    load_network(store, network)
    c = store.containers.resolve(name)
    mode = c.config.get("NetworkMode") or "host"
    if network in networks_of(c):
        raise ConflictError(f"endpoint with name {c.name} already exists in network {network}")
    if mode == "none":
        raise ConflictError(
            "container cannot be connected to multiple networks with one of the networks in "
            "private (none) mode"
        )
    running = c.state == "running" and c.pid is not None and _pid_alive(c.pid)
    cfg = dict(c.config)
    if not networks_of(c):
        if running:
            where = "the host's network" if mode == "host" else "a network namespace of its own"
            raise ConflictError(
                f"container {c.name} is running on {where}: stop it, connect it, then start it "
                "(its network is chosen when it starts)"
            )
        cfg.update(Network=network, NetworkAliases=list(aliases), NetworkMode=network)
    else:
        cfg["ExtraNetworks"] = {**(cfg.get("ExtraNetworks") or {}), network: list(aliases)}
    with locked(os.path.join(_dir(store), "netns.lock")):
        if running and c.runtime in ("root", "userns"):
            _widen_pod(store, c, network)
        store.containers.update(c.id, config=cfg)
    refresh_hosts(store, list(networks_of(store.containers.load(c.id))))


def _widen_pod(store: Store, c: Container, network: str) -> None:
    """Add ``network`` to running ``c``'s pod, unless it runs in another namespace already."""
    live = [(p, r) for p, r in _records(store) if _alive(r)]
    own, key = _keys(store, list(networks_of(c))), _keys(store, [network])
    mine = [(p, r) for p, r in live if set(r.get("networks") or []) & own]
    theirs = {r["holder"] for _, r in live if key & set(r.get("networks") or [])}
    if theirs - {r["holder"] for _, r in mine[:1]}:
        raise ConflictError(
            f"network {network} runs in another network namespace (its containers are "
            f"running): stop them, or stop {c.name}, then connect"
        )
    if mine:
        path, rec = mine[0]
        rec["networks"] = sorted({*rec.get("networks", []), *key})
        atomic_write_json(path, rec, durable=False)


def disconnect(store: Store, network: str, name: str) -> None:
    """`network disconnect`: names at once; a running container leaves the namespace when it
    stops (a process cannot leave a network namespace from outside)."""
    from .networks import load_network, refresh_hosts

    load_network(store, network)
    c = store.containers.resolve(name)
    nets = networks_of(c)
    if network not in nets:
        raise ConflictError(f"container {c.name} is not connected to network {network}")
    cfg = dict(c.config)
    extra = dict(cfg.get("ExtraNetworks") or {})
    extra.pop(network, None)
    if cfg.get("Network") == network:
        cfg.pop("Network", None)
        cfg.pop("NetworkAliases", None)
        cfg["NetworkMode"] = "none"  # Docker: a container with no network keeps loopback
        if extra:
            first = next(iter(extra))
            cfg.update(Network=first, NetworkAliases=extra.pop(first), NetworkMode=first)
    cfg["ExtraNetworks"] = extra
    store.containers.update(c.id, config=cfg)
    refresh_hosts(store, list(nets))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True
