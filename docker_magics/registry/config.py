"""Where to talk to: registry endpoints, plain-HTTP (insecure) hosts and Docker Hub mirrors.

Sources, merged in this order: explicit arguments (`--registry-mirror`, `--insecure-registry`),
the environment (`DOCKER_MAGICS_REGISTRY_MIRRORS`, `DOCKER_MAGICS_INSECURE_REGISTRIES`, comma or
space separated) and `<store>/config.json` with Docker daemon.json's keys `registry-mirrors` and
`insecure-registries`. Mirrors serve Docker Hub (`docker.io`) pulls only, as in Docker.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..errors import RegistryError
from ..oci.reference import DEFAULT_REGISTRY

__all__ = ["Endpoint", "RegistryConfig", "load_config", "is_loopback"]

# Docker Hub's index name is not the host that serves its API.
HUB_API_HOST = "registry-1.docker.io"
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

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"


@dataclass
class RegistryConfig:
    mirrors: list[str] = field(default_factory=list)
    insecure: list[str] = field(default_factory=list)

    def scheme_for(self, host: str) -> str:
        return "http" if is_loopback(host) or host in self.insecure else "https"

    def endpoints(self, registry: str, *, for_push: bool = False) -> list[Endpoint]:
        """Where to try, in order: mirrors first for Docker Hub pulls, then the registry."""
        out: list[Endpoint] = []
        if registry == DEFAULT_REGISTRY and not for_push:
            for url in self.mirrors:
                parts = urlsplit(url if "://" in url else f"https://{url}")
                if not parts.netloc:
                    raise RegistryError(f"registry mirror {url!r} is not a URL")
                out.append(Endpoint(registry, parts.netloc, parts.scheme or "https", True))
        host = HUB_API_HOST if registry == DEFAULT_REGISTRY else registry
        out.append(Endpoint(registry, host, self.scheme_for(host)))
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
    return RegistryConfig(list(dict.fromkeys(m)), list(dict.fromkeys(i)))
