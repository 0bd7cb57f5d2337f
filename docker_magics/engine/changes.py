"""`commit -c` changes: Dockerfile instructions that only edit the image config."""

from __future__ import annotations

import json
import shlex
from typing import Any

from ..errors import UsageError

__all__ = ["apply_change", "ALLOWED_CHANGES"]

ALLOWED_CHANGES = (
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "LABEL",
    "ONBUILD",
    "USER",
    "VOLUME",
    "WORKDIR",
)


def _argv(rest: str) -> list[str]:
    """Exec form if it is a JSON list of strings, else shell form (as Docker decides)."""
    text = rest.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return value
        except ValueError:
            pass
    return ["/bin/sh", "-c", text]


def _pairs(rest: str, keyword: str) -> list[tuple[str, str]]:
    words = shlex.split(rest)
    if not words:
        raise UsageError(f"{keyword} needs at least one argument")
    if "=" not in words[0]:
        key, _, value = rest.strip().partition(" ")
        return [(key, " ".join(shlex.split(value)) if value.strip() else "")]
    out = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise UsageError(f"{keyword}: expected KEY=VALUE, got {word!r}")
        out.append((key, value))
    return out


def apply_change(config: dict[str, Any], change: str) -> None:
    """Apply one `-c` line to a container config dict (Docker's `Config` object) in place."""
    keyword, _, rest = change.strip().partition(" ")
    keyword = keyword.upper()
    if keyword not in ALLOWED_CHANGES:
        raise UsageError(
            f"{keyword} is not a valid change command for commit; "
            f"use one of {', '.join(ALLOWED_CHANGES)}"
        )
    if keyword == "CMD":
        config["Cmd"] = _argv(rest)
    elif keyword == "ENTRYPOINT":
        config["Entrypoint"] = _argv(rest)
    elif keyword == "ENV":
        env = [e for e in config.get("Env") or []]
        for key, value in _pairs(rest, keyword):
            env = [e for e in env if e.split("=", 1)[0] != key] + [f"{key}={value}"]
        config["Env"] = env
    elif keyword == "LABEL":
        labels = dict(config.get("Labels") or {})
        labels.update(dict(_pairs(rest, keyword)))
        config["Labels"] = labels
    elif keyword == "EXPOSE":
        ports = dict(config.get("ExposedPorts") or {})
        for port in rest.split():
            ports[port if "/" in port else f"{port}/tcp"] = {}
        config["ExposedPorts"] = ports
    elif keyword == "VOLUME":
        vols = dict(config.get("Volumes") or {})
        for vol in _argv(rest) if rest.strip().startswith("[") else rest.split():
            vols[vol] = {}
        config["Volumes"] = vols
    elif keyword == "USER":
        config["User"] = rest.strip()
    elif keyword == "WORKDIR":
        config["WorkingDir"] = rest.strip()
    elif keyword == "ONBUILD":
        config["OnBuild"] = [*(config.get("OnBuild") or []), rest.strip()]
