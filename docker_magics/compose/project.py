"""Running a compose project with the Engine: one container per service, named
``<project>-<service>-1`` and labelled as Docker Compose labels them, on the project's networks
(``<project>_default`` unless the service names others) with the service name as an alias, and
its named volumes as ``<project>_<volume>``.

``out`` is the CLI's Output (``line``, ``show``, ``raw_out``, ``raw_err``); the magic passes the
same interface pointed at a cell.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..engine import networks
from ..engine.options import RunOptions
from ..errors import DockerMagicsError, Interrupted, NotFoundError
from .health import wait_for
from .model import ComposeError, Project, Service
from .order import start_order

if TYPE_CHECKING:
    from ..api import Engine
    from ..store.containers import Container

__all__ = [
    "PROJECT_LABEL",
    "SERVICE_LABEL",
    "ComposeError",
    "containers_of",
    "container_name",
    "ensure_image",
    "prepare",
    "run_options",
    "selected",
    "up",
    "down",
]

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


def container_name(project: Project, s: Service) -> str:
    return s.container_name or f"{project.name}-{s.name}-1"  # health.wait_for: the same


def containers_of(eng: Engine, project: str, services: list[str] | None = None) -> list[Container]:
    found = [c for c in eng.ps(all=True) if c.labels.get(PROJECT_LABEL) == project]
    if services:
        found = [c for c in found if c.labels.get(SERVICE_LABEL) in services]
    return sorted(found, key=lambda c: c.name)


def image_of(project: Project, s: Service) -> str:
    return s.image or f"{project.name}-{s.name}"


def network_of(project: Project, s: Service) -> str:
    """The service's first network; more are ``extra_networks`` (engine/netpods.py: networks
    sharing a container share one namespace)."""
    return _network_name(project, next(iter(s.networks), "default"))


def _network_name(project: Project, net: str) -> str:
    spec = project.networks.get(net, {})
    return str(spec.get("name") or f"{project.name}_{net}")


def _extra_networks(project: Project, s: Service) -> dict[str, list[str]]:
    return {_network_name(project, n): [s.name, *a] for n, a in list(s.networks.items())[1:]}


def volume_name(project: Project, name: str) -> str:
    spec = project.volumes.get(name)
    if spec is None:
        return name  # not declared: Compose refuses; a plain named volume here
    return str(spec.get("name") or f"{project.name}_{name}")


def _named(project: Project, spec: str, mount: bool) -> str:
    if mount:
        parts = dict(p.partition("=")[::2] for p in spec.split(","))
        if parts.get("type", "volume") == "volume" and parts.get("source"):
            parts["source"] = volume_name(project, parts["source"])
        return ",".join(f"{k}={v}" if v else k for k, v in parts.items())
    source, sep, rest = spec.partition(":")
    if sep and not source.startswith(("/", ".", "~")):
        return f"{volume_name(project, source)}:{rest}"
    return spec


def run_options(
    project: Project, s: Service, name: str | None = None, command: list[str] | None = None
) -> RunOptions:
    """``command``: `compose run`'s, in place of the service's."""
    # `entrypoint: [a, b]`: the first word replaces ENTRYPOINT, the rest go before the command.
    entry = s.entrypoint
    return RunOptions(
        image=image_of(project, s),
        command=list(entry[1:] if entry else []) + list(command or s.command or []),
        name=name or container_name(project, s),
        env=[f"{k}={v}" for k, v in s.environment.items()],
        workdir=s.working_dir,
        user=s.user,
        entrypoint=None if entry is None else " ".join(entry[:1]),
        hostname=s.hostname,
        volumes=[_named(project, v, False) for v in s.volumes],
        mounts=[_named(project, m, True) for m in s.mounts],
        network=network_of(project, s),
        publish=list(s.ports),
        expose=list(s.expose),
        network_aliases=[s.name, *next(iter(s.networks.values()), [])],
        extra_networks=_extra_networks(project, s),
        add_hosts=list(s.extra_hosts),
        labels={PROJECT_LABEL: project.name, SERVICE_LABEL: s.name},
        restart=s.restart,
        health=_health_flags(s.healthcheck),
    )


def _health_flags(hc: dict[str, Any] | None) -> dict[str, Any]:
    """A service's ``healthcheck:`` as the --health-* flags (the image's HEALTHCHECK stays
    for what it does not set), so the monitor runs it and `ps` shows the status."""
    if not hc:
        return {}
    keys = ("test", "interval", "timeout", "start_period", "start_interval", "retries")
    return {**{k: hc.get(k) for k in keys}, "disable": bool(hc.get("disable"))}


def ensure_image(eng: Engine, project: Project, s: Service, build: bool, out: Any) -> None:
    ref = image_of(project, s)
    try:
        eng.image(ref)
        have = True
    except NotFoundError:
        have = False
    if s.build is not None and (build or not have):
        out.line(f"Building {s.name} ({ref})")
        b = s.build
        eng.build(
            b["context"],
            dockerfile=os.path.join(b["context"], b["dockerfile"]) if b.get("dockerfile") else None,
            tags=[ref],
            build_args=b.get("args") or {},
            target=b.get("target"),
        )
    elif not have:
        out.line(f"Pulling {s.name} ({ref})")
        eng.pull(ref)


def selected(project: Project, services: list[str] | None, profiles: list[str]) -> list[str]:
    for name in services or []:
        if name not in project.services:
            raise ComposeError(f"no such service: {name} (services: {', '.join(project.services)})")
    if services:
        return start_order(project, services)
    active = [
        n for n, s in project.services.items() if not s.profiles or set(s.profiles) & set(profiles)
    ]
    return start_order(project, active)


def prepare(eng: Engine, project: Project, names: list[str]) -> None:
    """The networks of these services and the project's volumes, made where missing."""
    labels = {PROJECT_LABEL: project.name}
    for name in names:
        s = project.services[name]
        for net in [network_of(project, s), *_extra_networks(project, s)]:
            networks.create_network(eng.store, net, labels=labels, exist_ok=True)
    for vol in project.volumes:
        eng.volume_create(volume_name(project, vol), labels=labels)


def up(
    eng: Engine,
    project: Project,
    out: Any,
    *,
    services: list[str] | None = None,
    build: bool = False,
    profiles: list[str] | None = None,
    health_timeout: float | None = None,
) -> list[str]:
    """Create and start the services (dependencies first); returns the container names."""
    for w in project.warnings:
        out.raw_err(f"warning: {w}\n".encode())
    names = selected(project, services, profiles or [])
    had = _networks_and_volumes(eng, project.name)
    prepare(eng, project, names)
    started: list[str] = []
    before = {c.name: c.state for c in containers_of(eng, project.name)}
    try:
        for name in names:
            s = project.services[name]
            with _naming(s):
                ensure_image(eng, project, s, build, out)
            for dep, condition in s.depends_on.items():
                wait_for(eng, project, project.services[dep], condition, health_timeout)
            with _naming(s):
                started.append(_start_service(eng, project, s, out))
    except BaseException:
        # A failed `up` (an unhealthy dependency, a taken port) leaves nothing running that it
        # started: what it made goes, what existed stopped is stopped again with its data; the
        # networks and volumes it made go too.
        for cname in reversed(started):
            try:
                if cname not in before:
                    eng.rm(cname, force=True, volumes=True)
                elif before[cname] != "running":
                    eng.stop(cname)
            except Exception:
                pass
        _remove_new(eng, project.name, had)
        raise
    return started


@contextlib.contextmanager
def _naming(s: Service) -> Iterator[None]:
    """An error while pulling, building or starting a service says which service."""
    try:
        yield
    except (ComposeError, Interrupted):
        raise
    except DockerMagicsError as exc:
        raise ComposeError(f"service {s.name}: {exc}") from None


def _networks_and_volumes(eng: Engine, project: str) -> set[tuple[str, str]]:
    nets = networks.list_networks(eng.store)
    found = {("network", n["Name"]) for n in nets if _ours(n, project)}
    return found | {("volume", v["Name"]) for v in eng.volumes() if _ours(v, project)}


def _ours(record: dict[str, Any], project: str) -> bool:
    return (record.get("Labels") or {}).get(PROJECT_LABEL) == project


def _remove_new(eng: Engine, project: str, had: set[tuple[str, str]]) -> None:
    for kind, name in _networks_and_volumes(eng, project) - had:
        try:
            if kind == "network":
                networks.remove_network(eng.store, name)
            else:
                eng.volume_rm(name)
        except DockerMagicsError:
            pass  # in use by a container of another `up`: it stays, as Compose leaves it


def _start_service(eng: Engine, project: Project, s: Service, out: Any) -> str:
    cname = container_name(project, s)
    existing = containers_of(eng, project.name, [s.name])
    if existing and existing[0].image != eng.image(image_of(project, s)).id:
        # `up --build` made a new image (or `pull` fetched one): Compose recreates the container.
        eng.stop(existing[0].id)
        eng.rm(existing[0].id, force=True)
        existing = []
        out.line(f"Container {cname}  Recreate")
    if existing and existing[0].state == "running":
        out.line(f"Container {cname}  Running")
    elif existing:
        eng.start_detached(existing[0].id)
        out.line(f"Container {cname}  Started")
    else:
        opts = run_options(project, s)
        eng.run_detached(opts)
        out.line(f"Container {cname}  Started")
    return cname


def down(eng: Engine, project: str, out: Any, *, volumes: bool = False) -> None:
    """Stop and remove the project's containers and networks (and its volumes with ``volumes``)."""
    found = containers_of(eng, project)
    nets = [
        n["Name"]
        for n in networks.list_networks(eng.store)
        if (n.get("Labels") or {}).get(PROJECT_LABEL) == project
    ]
    vols = [
        v["Name"] for v in eng.volumes() if (v.get("Labels") or {}).get(PROJECT_LABEL) == project
    ]
    if not found and not nets and not (volumes and vols):
        raise ComposeError(
            f"no project named {project}: no containers or networks carry that name "
            "(check -p NAME or the directory of -f FILE)"
        )
    for c in sorted(found, key=lambda c: c.created, reverse=True):  # dependents first
        eng.stop(c.id)  # SIGTERM first: a database gets to write its data before it goes
        eng.rm(c.id, force=True, volumes=True)
        out.line(f"Container {c.name}  Removed")
    for n in nets:
        networks.remove_network(eng.store, n)
        out.line(f"Network {n}  Removed")
    if volumes:
        for v in vols:
            eng.volume_rm(v)
            out.line(f"Volume {v}  Removed")
