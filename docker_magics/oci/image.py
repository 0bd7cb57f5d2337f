"""Image configs and manifests as plain dicts (OCI image-spec), built without any I/O."""

from __future__ import annotations

import copy
import datetime as _dt
import os
import platform
from typing import Any

from .mediatypes import OCI_CONFIG, OCI_MANIFEST

__all__ = [
    "host_platform",
    "timestamp",
    "empty_config",
    "derive_config",
    "history_entry",
    "make_manifest",
    "descriptor",
]

_ARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "i686": "386",
    "ppc64le": "ppc64le",
}


def host_platform() -> dict[str, str]:
    machine = platform.machine()
    out = {"os": "linux", "architecture": _ARCH.get(machine, machine)}
    if machine == "aarch64":
        out["variant"] = "v8"
    return out


def timestamp() -> str:
    """RFC 3339 in UTC; SOURCE_DATE_EPOCH pins it so a rebuild gives the same config."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        moment = _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc)
    else:
        moment = _dt.datetime.now(_dt.timezone.utc)
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if not epoch
        else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def empty_config() -> dict[str, Any]:
    plat = host_platform()
    cfg: dict[str, Any] = {
        "architecture": plat["architecture"],
        "os": plat["os"],
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [],
    }
    if "variant" in plat:
        cfg["variant"] = plat["variant"]
    return cfg


def history_entry(
    created_by: str,
    *,
    comment: str | None = None,
    empty_layer: bool = False,
    author: str | None = None,
    created: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"created": created or timestamp(), "created_by": created_by}
    if comment:
        entry["comment"] = comment
    if author:
        entry["author"] = author
    if empty_layer:
        entry["empty_layer"] = True
    return entry


def derive_config(
    base: dict[str, Any],
    *,
    diff_id: str | None,
    history: dict[str, Any],
    container_config: dict[str, Any] | None = None,
    author: str | None = None,
) -> dict[str, Any]:
    """A child image's config: the base's, plus one history entry and at most one layer."""
    cfg = copy.deepcopy(base)
    cfg.setdefault("rootfs", {"type": "layers", "diff_ids": []})
    cfg.setdefault("history", [])
    if diff_id is not None:
        cfg["rootfs"]["diff_ids"].append(diff_id)
    cfg["history"].append(history)
    if container_config is not None:
        cfg["config"] = container_config
    if author:
        cfg["author"] = author
    cfg["created"] = history["created"]
    return cfg


def descriptor(media_type: str, digest: str, size: int, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"mediaType": media_type, "digest": digest, "size": size}
    out.update(extra)
    return out


def make_manifest(
    config_digest: str, config_size: int, layers: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(OCI_CONFIG, config_digest, config_size),
        "layers": layers,
    }
