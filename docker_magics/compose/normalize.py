"""Short and long syntaxes of a service, turned into the one form ``project.py`` uses: the same
``-v``, ``--mount`` and ``-p`` strings the command line takes."""

from __future__ import annotations

import os
from typing import Any

from .model import ComposeError, Service, at, read_env_file, split_command

__all__ = ["normalize_service", "top_level"]


def _map(value: Any) -> dict[str, str]:
    """A list of ``K=V`` (or bare ``K``) or a mapping, as a dict of strings."""
    if isinstance(value, dict):
        return {str(k): "" if v is None else _scalar(v) for k, v in value.items()}
    out = {}
    for item in value or []:
        key, _, val = str(item).partition("=")
        out[key] = val
    return out


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _ports(items: list[Any]) -> list[str]:
    out = []
    for p in items:
        if isinstance(p, dict):
            spec = str(p["target"])
            if p.get("published") not in (None, ""):
                spec = f"{p['published']}:{spec}"
                if p.get("host_ip"):
                    spec = f"{p['host_ip']}:{spec}"
            out.append(spec + (f"/{p['protocol']}" if p.get("protocol") else ""))
        else:
            out.append(str(p))
    return out


def _volume(item: Any, directory: str) -> tuple[str | None, str | None]:
    """One ``volumes:`` entry -> (-v spec, or --mount spec); relative binds from the project."""
    if isinstance(item, dict):
        kind, source = item.get("type", "volume"), item.get("source", "")
        if kind == "bind":
            source = os.path.normpath(os.path.join(directory, os.path.expanduser(source)))
        spec = f"type={kind},target={item['target']}"
        spec += f",source={source}" if source and kind != "tmpfs" else ""
        return None, spec + (",readonly" if item.get("read_only") else "")
    parts = str(item).split(":")
    if len(parts) > 1 and parts[0].startswith((".", "~")):
        parts[0] = os.path.normpath(os.path.join(directory, os.path.expanduser(parts[0])))
    return ":".join(parts), None


def _env(raw: dict[str, Any], directory: str, env: dict[str, str], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    files = raw.get("env_file") or []
    for f in [files] if isinstance(files, str) else files:
        path = os.path.join(directory, f)
        if not os.path.exists(path):
            raise ComposeError(f"{where}: env_file {path} not found")
        out.update(read_env_file(path))
    given = raw.get("environment") or {}
    if isinstance(given, list):
        given = dict(str(i).partition("=")[::2] if "=" in str(i) else (str(i), None) for i in given)
    for key, value in given.items():
        if value is not None:
            out[str(key)] = _scalar(value)
        elif key in env:  # `[NAME]` or `NAME:` without a value: the host's, as `-e NAME` does,
            out[str(key)] = env[key]  # and not set at all when the host has none
    return out


def normalize_service(
    name: str, raw: dict[str, Any], line: int, directory: str, env: dict[str, str], path: str
) -> Service:
    build = raw.get("build")
    if isinstance(build, str):
        build = {"context": build}
    if build is not None:
        build = dict(build)
        build["context"] = os.path.normpath(os.path.join(directory, build.get("context", ".")))
        build["args"] = _map(build.get("args"))
    if build is None and not raw.get("image"):
        raise ComposeError(f"{at(path, line)}: service {name} has neither image nor build")
    depends = raw.get("depends_on") or {}
    if isinstance(depends, list):
        depends = {d: {"condition": "service_started"} for d in depends}
    nets = raw.get("networks") or {}
    if isinstance(nets, list):
        nets = {n: None for n in nets}
    volumes, mounts = [], []
    for item in raw.get("volumes") or []:
        v, m = _volume(item, directory)
        volumes += [v] if v else []
        mounts += [m] if m else []
    tmpfs = raw.get("tmpfs") or []
    for t in [tmpfs] if isinstance(tmpfs, str) else tmpfs:
        mounts.append(f"type=tmpfs,target={t.split(':')[0]}")
    hosts = raw.get("extra_hosts") or []
    if isinstance(hosts, dict):
        hosts = [f"{k}:{v}" for k, v in hosts.items()]
    return Service(
        name=name,
        line=line,
        image=raw.get("image"),
        build=build,
        command=split_command(raw.get("command")),
        entrypoint=split_command(raw.get("entrypoint")),
        environment=_env(raw, directory, env, at(path, line)),
        ports=_ports(raw.get("ports") or []),
        expose=[str(e) for e in raw.get("expose") or []],
        depends_on={d: (c or {}).get("condition", "service_started") for d, c in depends.items()},
        healthcheck=raw.get("healthcheck"),
        volumes=volumes,
        mounts=mounts,
        working_dir=raw.get("working_dir"),
        user=None if raw.get("user") is None else str(raw["user"]),
        restart=raw.get("restart"),
        networks={n: list((c or {}).get("aliases") or []) for n, c in nets.items()},
        profiles=list(raw.get("profiles") or []),
        container_name=raw.get("container_name"),
        hostname=raw.get("hostname"),
        extra_hosts=[h.replace("=", ":", 1) if ":" not in h else h for h in map(str, hosts)],
    )


def top_level(data: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    vols = {k: dict(v or {}) for k, v in (data.get("volumes") or {}).items()}
    nets = {k: dict(v or {}) for k, v in (data.get("networks") or {}).items()}
    return vols, nets
