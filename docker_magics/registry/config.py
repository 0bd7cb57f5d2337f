"""Where to talk to: registry endpoints, plain-HTTP (insecure) hosts and Docker Hub mirrors.

Sources, merged in this order: explicit arguments (`--registry-mirror`, `--insecure-registry`),
the environment (`DOCKER_MAGICS_REGISTRY_MIRRORS`, `DOCKER_MAGICS_INSECURE_REGISTRIES`, comma or
space separated) and `<store>/config.json` with Docker daemon.json's keys `registry-mirrors` and
`insecure-registries`. Mirrors serve Docker Hub (`docker.io`) pulls only, as in Docker.

A Docker Hub pull tries, in order: Docker Hub itself, then the public mirrors of Docker's
official images (`mirror.gcr.io`, `public.ecr.aws/docker`: Binder pods share addresses and Docker
Hub allows few anonymous pulls per address), then the configured mirrors. The hub and the public
mirrors can be pointed elsewhere (`DOCKER_MAGICS_HUB`, `DOCKER_MAGICS_PUBLIC_MIRRORS`, or the
config.json keys `hub` and `public-mirrors`); `DOCKER_MAGICS_PUBLIC_MIRRORS=off` switches them off.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..errors import RegistryError
from ..oci.reference import DEFAULT_REGISTRY

__all__ = ["Endpoint", "RegistryConfig", "load_config", "is_loopback"]

# Docker Hub's index name is not the host that serves its API.
HUB_API_HOST = "registry-1.docker.io"
# They serve Docker Hub's official images as `library/NAME` (under the URL's path, if any).
PUBLIC_MIRRORS = ["https://mirror.gcr.io", "https://public.ecr.aws/docker"]
_LOOPBACK = re.compile(r"^(localhost|127(?:\.\d+){3}|\[::1\])(?::\d+)?$")


def is_loopback(host: str) -> bool:
    return bool(_LOOPBACK.match(host))


@dataclass(frozen=True)
class Endpoint:
    """One server speaking the distribution API: `scheme://host`; `registry` is the index name."""

    registry: str
    host: str
    scheme: str = "https"
    mirror: bool = False
    prefix: str = ""  # put before the repository: "docker/" on public.ecr.aws
    kind: str = "registry"  # said in messages: "Docker Hub", "public mirror", "mirror"

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"

    def repository(self, repo: str) -> str:
        return self.prefix + repo

    @property
    def where(self) -> str:
        """How a message names this endpoint: `public mirror public.ecr.aws/docker`."""
        name = self.host + ("/" + self.prefix.rstrip("/") if self.prefix else "")
        return name if self.kind == "registry" else f"{self.kind} {name}"


def _endpoint(registry: str, url: str, kind: str, scheme_for: Any) -> Endpoint:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if not parts.netloc:
        raise RegistryError(f"registry mirror {url!r} is not a URL")
    scheme = parts.scheme if "://" in url else scheme_for(parts.netloc)
    prefix = parts.path.strip("/")
    return Endpoint(
        registry, parts.netloc, scheme, kind != "Docker Hub", prefix + "/" if prefix else "", kind
    )


@dataclass
class RegistryConfig:
    mirrors: list[str] = field(default_factory=list)
    insecure: list[str] = field(default_factory=list)
    hub: str = HUB_API_HOST
    public_mirrors: list[str] = field(default_factory=list)

    def scheme_for(self, host: str) -> str:
        return "http" if is_loopback(host) or host in self.insecure else "https"

    def endpoints(self, registry: str, *, for_push: bool = False) -> list[Endpoint]:
        """Where to try, in order: for Docker Hub pulls the hub, the public mirrors, then the
        configured mirrors; for anything else the registry itself."""
        if registry != DEFAULT_REGISTRY:
            return [Endpoint(registry, registry, self.scheme_for(registry))]
        hub = _endpoint(registry, self.hub, "Docker Hub", self.scheme_for)
        if for_push:
            return [hub]
        out = [hub]
        for kind, urls in (("public mirror", self.public_mirrors), ("mirror", self.mirrors)):
            out += [_endpoint(registry, u, kind, self.scheme_for) for u in urls]
        return out


def _split(value: str | None) -> list[str]:
    return [v for v in re.split(r"[,\s]+", value or "") if v]


def load_config(
    store_root: str | None,
    *,
    mirrors: list[str] | None = None,
    insecure: list[str] | None = None,
) -> RegistryConfig:
    file_data: dict = {}
    if store_root:
        path = os.path.join(store_root, "config.json")
        try:
            with open(path, "rb") as fh:
                file_data = json.load(fh)
        except FileNotFoundError:
            pass
        except ValueError as exc:
            raise RegistryError(f"{path} is not valid JSON: {exc}")
    m = list(mirrors or []) + _split(os.environ.get("DOCKER_MAGICS_REGISTRY_MIRRORS"))
    m += [str(x) for x in file_data.get("registry-mirrors", [])]
    i = list(insecure or []) + _split(os.environ.get("DOCKER_MAGICS_INSECURE_REGISTRIES"))
    i += [str(x) for x in file_data.get("insecure-registries", [])]
    hub = os.environ.get("DOCKER_MAGICS_HUB") or str(file_data.get("hub") or HUB_API_HOST)
    public = os.environ.get("DOCKER_MAGICS_PUBLIC_MIRRORS")
    if public is None:
        listed = file_data.get("public-mirrors", PUBLIC_MIRRORS)
        public_list = [str(x) for x in listed] if isinstance(listed, list) else []
    else:
        public_list = [] if public.strip().lower() in ("off", "no", "0", "") else _split(public)
    return RegistryConfig(list(dict.fromkeys(m)), list(dict.fromkeys(i)), hub, public_list)
