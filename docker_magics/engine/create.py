"""`create`: a container record and its root filesystem from an image and RunOptions.

Checks come first (network, -p, -v, --mount, --add-host), so bad input leaves nothing behind;
then the record, the rootfs (overlay or copy), volumes created and seeded, and the hosts files
of the container's network rewritten so its peers find it.
"""

from __future__ import annotations

import os
import re
import secrets
from typing import TYPE_CHECKING

from ..errors import ImageReferenceError, NotFoundError, UsageError
from ..layer.extract import safe_rmtree
from ..phases import phase
from ..snapshot.prepare import prepare_copy, prepare_overlay
from ..store.containers import Container
from ..store.images import Image
from ..store.store import Store
from .healthconfig import merge_config
from .mountspec import parse_mount_flag, parse_volume_flag, resolve_mounts
from .networks import BUILTIN, check_network, refresh_hosts
from .options import RunOptions
from .ports import parse_publish, port_bindings
from .restart import parse_policy

if TYPE_CHECKING:
    from ..runtime import Backend

__all__ = ["create_container", "exposed_ports", "DEFAULT_PATH"]

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _argv(cfg: dict, opts: RunOptions) -> list[str]:
    if opts.entrypoint is not None:
        entry = [opts.entrypoint] if opts.entrypoint else []
        cmd = list(opts.command)
    else:
        entry = list(cfg.get("Entrypoint") or [])
        cmd = list(opts.command) if opts.command else list(cfg.get("Cmd") or [])
    argv = entry + cmd
    if not argv:
        raise UsageError(f"no command specified: the image {opts.image} has no CMD or ENTRYPOINT")
    return argv


_EXPOSE = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$")


def exposed_ports(specs: list[str]) -> dict[str, dict]:
    """``--expose``/compose ``expose:`` entries as Docker's ``ExposedPorts`` keys."""
    out: dict[str, dict] = {}
    for spec in specs:
        m = _EXPOSE.match(str(spec).strip())
        low, high = (int(m[1]), int(m[2] or m[1])) if m else (0, 0)
        if not m or not 0 < low <= high < 65536:
            raise UsageError(f"invalid --expose {spec!r}: use PORT[-PORT][/tcp], e.g. 3000")
        out.update({f"{p}/{m[3] or 'tcp'}": {} for p in range(low, high + 1)})
    return out


def _env(cfg: dict, extra: list[str]) -> list[str]:
    env: dict[str, str] = {}
    for item in cfg.get("Env") or [DEFAULT_PATH]:
        key, _, value = item.partition("=")
        env[key] = value
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep:
            if key not in os.environ:
                continue  # `-e NAME` passes the host's value only when it is set, like Docker
            value = os.environ[key]
        env[key] = value
    return [f"{k}={v}" for k, v in env.items()]


def create_container(
    store: Store, opts: RunOptions, backend: Backend, image: Image | None = None
) -> Container:
    """``image``: the image itself, when the caller has it (a build step's image, which is in
    no index: ``opts.image`` is then its manifest digest, for the record)."""
    network = _network_mode(store, opts)
    for spec in opts.publish:
        parse_publish(spec)  # a malformed -p fails before anything is pulled or created
    policy = parse_policy(opts.restart) if opts.restart else None
    merge_config(None, opts.health)  # a malformed --health-* duration: the same
    if image is None:
        image = _resolve(store, opts.image)
    exposed_ports(opts.expose)  # and so does a malformed --expose
    cfg = dict(image.config.get("config") or {})
    run_cfg = dict(cfg)
    run_cfg["Env"] = _env(cfg, opts.env)
    if opts.workdir:
        run_cfg["WorkingDir"] = opts.workdir
    if opts.user is not None:
        run_cfg["User"] = opts.user
    mounts = [parse_volume_flag(v) for v in opts.volumes]
    mounts += [parse_mount_flag(m) for m in opts.mounts]
    cid = secrets.token_hex(32)
    run_cfg["Hostname"] = opts.hostname or cid[:12]  # Docker's default: the short ID
    run_cfg["Binds"] = list(opts.volumes)
    if opts.expose:  # like EXPOSE: shown by inspect, published by -P
        run_cfg["ExposedPorts"] = {**(cfg.get("ExposedPorts") or {}), **exposed_ports(opts.expose)}
    bindings = port_bindings(opts.publish, opts.publish_all, run_cfg.get("ExposedPorts"))
    if bindings and network == "none":
        raise UsageError("--network none has no network to publish ports on: drop -p/-P")
    if bindings:
        run_cfg["PortBindings"] = bindings
        if opts.network == "default" and backend.name in ("root", "userns"):
            network = "bridge"  # a network namespace of its own, reached through forwarders
    run_cfg["NetworkMode"] = network
    if network not in BUILTIN:
        run_cfg["Network"] = network
        run_cfg["NetworkAliases"] = list(opts.network_aliases)
        run_cfg["ExtraNetworks"] = {k: list(v) for k, v in opts.extra_networks.items()}
    if opts.add_hosts:
        run_cfg["ExtraHosts"] = list(opts.add_hosts)
    if policy is not None:
        run_cfg["RestartPolicy"] = policy
    health = merge_config(cfg.get("Healthcheck"), opts.health)
    if health:
        run_cfg["Healthcheck"] = health
    argv = _argv(cfg, opts)
    mode = "overlay" if backend.supports_overlay else "copy"
    c = store.containers.create(
        {
            "image": image.id,
            "image_ref": opts.image,
            "manifest_digest": image.manifest_digest,
            "config": run_cfg,
            "argv": argv,
            "rootfs_mode": mode,
            "runtime": backend.name,
            "labels": dict(opts.labels),
        },
        opts.name,
        cid,
    )
    try:
        cdir = store.containers.dir(c.id)
        if mode == "overlay":
            with phase("rootfs"):
                plan = prepare_overlay(store, image, cdir)
        else:
            plan = prepare_copy(store, image, cdir)
        if mounts:
            run_cfg["Mounts"] = resolve_mounts(
                store, mounts, lowerdirs=plan.lowerdirs, directory=plan.directory
            )
            c = store.containers.update(c.id, config=run_cfg)
    except BaseException:
        safe_rmtree(store.containers.dir(c.id))
        raise
    refresh_hosts(store, [run_cfg.get("Network") or "", *opts.extra_networks])
    return c


def _resolve(store: Store, name: str) -> Image:
    try:
        return store.images.resolve(name)
    except (NotFoundError, ImageReferenceError):
        from .pull import pull_if_missing  # like `docker run`: pull what is not here yet

        return pull_if_missing(store, name)


def _network_mode(store: Store, opts: RunOptions) -> str:
    """Check --network, --network-alias and --add-host; returns the mode to record."""
    from ..runtime.network import check_mode

    for entry in opts.add_hosts:
        host, sep, ip = entry.partition(":")
        if not (host and sep and ip):
            raise UsageError(f"invalid --add-host {entry!r}: use NAME:IP (or NAME:host-gateway)")
    if opts.extra_networks and opts.network in BUILTIN:
        raise UsageError("more networks need a user network first (--network NAME)")
    for name in opts.extra_networks:
        check_network(store, name)
    if opts.network not in BUILTIN:
        check_network(store, opts.network)
        return opts.network
    if opts.network_aliases:
        raise UsageError("--network-alias needs a user network (--network NAME)")
    try:
        return check_mode(opts.network)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
