"""Credentials in Docker's `config.json` (`auths`, `credsStore`, `credHelpers`), read and written.

The file is `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, the same one `docker login`
writes, so a user who logged in with Docker is logged in here too. Keys we do not know are kept.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess

from ..errors import RegistryError
from ..store.atomic import atomic_write_bytes

__all__ = ["Credentials", "config_path", "lookup", "store_auth", "remove_auth", "server_keys"]

Credentials = tuple[str, str]

# What `docker login` with no server argument writes for Docker Hub.
HUB_KEY = "https://index.docker.io/v1/"
_HUB_ALIASES = (HUB_KEY, "index.docker.io", "docker.io", "registry-1.docker.io")


def config_path() -> str:
    base = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(base, "config.json")


def _read() -> dict:
    try:
        with open(config_path(), "rb") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise RegistryError(f"{config_path()} is not valid JSON: {exc}")
    return data if isinstance(data, dict) else {}


def _write(data: dict) -> None:
    path = config_path()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    atomic_write_bytes(path, json.dumps(data, indent="\t").encode() + b"\n", mode=0o600)


def server_keys(registry: str) -> list[str]:
    """Every key `config.json` may use for `registry` (Docker Hub has several spellings)."""
    if registry in _HUB_ALIASES:
        return list(_HUB_ALIASES)
    return [registry, f"https://{registry}", f"http://{registry}", f"https://{registry}/v1/"]


def _helper(name: str, registry: str) -> Credentials | None:
    exe = shutil.which(f"docker-credential-{name}")
    if exe is None:
        return None
    server = HUB_KEY if registry in _HUB_ALIASES else registry
    try:
        out = subprocess.run(
            [exe, "get"], input=server.encode(), capture_output=True, timeout=30, check=True
        ).stdout
        data = json.loads(out)
        return str(data["Username"]), str(data["Secret"])
    except (subprocess.SubprocessError, ValueError, KeyError, OSError):
        return None


def lookup(registry: str) -> Credentials | None:
    """(user, password) for `registry`, or None for anonymous access."""
    data = _read()
    helpers = data.get("credHelpers") or {}
    for key in server_keys(registry):
        if key in helpers:
            return _helper(str(helpers[key]), registry)
    auths = data.get("auths") or {}
    for key in server_keys(registry):
        entry = auths.get(key)
        if not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise RegistryError(f"{config_path()}: the auth entry for {key} is not base64")
            return user, password
        if entry.get("username"):
            return str(entry["username"]), str(entry.get("password", ""))
    if data.get("credsStore"):
        return _helper(str(data["credsStore"]), registry)
    return None


def store_auth(registry: str, user: str, password: str) -> str:
    """Record credentials in `auths` (base64, as Docker does); returns the file written."""
    data = _read()
    key = HUB_KEY if registry in _HUB_ALIASES else registry
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    data.setdefault("auths", {})[key] = {"auth": token}
    _write(data)
    return config_path()


def remove_auth(registry: str) -> bool:
    data = _read()
    auths = data.get("auths") or {}
    hit = [k for k in server_keys(registry) if k in auths]
    for key in hit:
        del auths[key]
    if hit:
        _write(data)
    return bool(hit)
