"""Named volumes: directories in the store that outlive the containers using them.

Layout: ``<store>/volumes/<name>/volume.json`` (name, created, labels, anonymous) and
``<store>/volumes/<name>/_data`` (the contents, bound into containers). A volume is *in use*
while a container record (running or not) mounts it, as with Docker: ``volume rm`` refuses it
and ``volume prune`` keeps it. Anonymous volumes (``-v /path``) get a random 64-hex name and go
with their container on ``rm -v`` and ``run --rm``.

Seeding: when a container first mounts an empty volume, the image's content at the mount point
is copied into it (Docker's copy-up; ``volume-nocopy`` turns it off). The image's merged view is
computed from its layer dirs (whiteouts and opaque dirs honoured) or read from the container's
private tree in copy mode.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import time
from typing import Any

from ..errors import ConflictError, NotFoundError, UsageError
from ..layer.extract import safe_rmtree
from ..layer.generate import is_opaque, is_whiteout_device
from ..store.atomic import atomic_write_json
from ..store.lock import locked
from ..store.store import Store

__all__ = [
    "create_volume",
    "list_volumes",
    "inspect_volume",
    "remove_volume",
    "prune_volumes",
    "volume_users",
    "data_dir",
    "seed_volume",
    "NAME_RE",
]

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


def _root(store: Store) -> str:
    path = os.path.join(store.root, "volumes")
    os.makedirs(path, exist_ok=True)
    return path


def _lock(store: Store) -> str:
    return os.path.join(store.root, "volumes.lock")


def data_dir(store: Store, name: str) -> str:
    return os.path.join(_root(store), name, "_data")


def _record_path(store: Store, name: str) -> str:
    return os.path.join(_root(store), name, "volume.json")


def _check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise UsageError(
            f"invalid volume name {name!r}: use letters, digits and _ . - "
            "(at least two characters, starting with a letter or digit)"
        )


def _load(store: Store, name: str) -> dict[str, Any]:
    try:
        with open(_record_path(store, name)) as fh:
            record: dict[str, Any] = json.load(fh)
            return record
    except FileNotFoundError:
        raise NotFoundError(f"no such volume: {name}") from None


def create_volume(
    store: Store,
    name: str | None = None,
    *,
    labels: dict[str, str] | None = None,
    anonymous: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Create ``name`` (a random one when None) unless it exists; returns (record, created)."""
    name = name or secrets.token_hex(32)
    _check_name(name)
    with locked(_lock(store)):
        if os.path.exists(_record_path(store, name)):
            return _load(store, name), False
        record = {
            "Name": name,
            "Created": time.time(),
            "Labels": dict(labels or {}),
            "Anonymous": anonymous,
        }
        os.makedirs(data_dir(store, name), mode=0o755, exist_ok=True)
        atomic_write_json(_record_path(store, name), record, durable=False)
        return record, True


def inspect_volume(store: Store, name: str) -> dict[str, Any]:
    """Docker's ``volume inspect`` shape for one volume."""
    record = _load(store, name)
    return {
        "CreatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record["Created"])),
        "Driver": "local",
        "Labels": record.get("Labels") or {},
        "Mountpoint": data_dir(store, name),
        "Name": name,
        "Options": {},
        "Scope": "local",
    }


def list_volumes(store: Store) -> list[dict[str, Any]]:
    out = []
    for name in sorted(os.listdir(_root(store))):
        try:
            out.append(_load(store, name))
        except (NotFoundError, ValueError):
            continue
    return out


def volume_users(store: Store, name: str) -> list[str]:
    """Names of the containers whose record mounts the volume."""
    users = []
    for c in store.containers.all():
        for m in c.config.get("Mounts") or []:
            if m.get("Type") == "volume" and m.get("Name") == name:
                users.append(c.name)
    return users


def remove_volume(store: Store, name: str, *, force: bool = False) -> None:
    _load(store, name)
    users = volume_users(store, name)
    if users and not force:
        raise ConflictError(
            f"volume {name} is in use by container {', '.join(users)}: remove the container "
            "first (rm), then the volume"
        )
    with locked(_lock(store)):
        safe_rmtree(os.path.join(_root(store), name))


def prune_volumes(store: Store, *, all: bool = False) -> list[str]:
    """Remove unused volumes: anonymous ones only, or every unused one with ``all``."""
    used = {
        m.get("Name")
        for c in store.containers.all()
        for m in c.config.get("Mounts") or []
        if m.get("Type") == "volume"
    }
    removed = []
    for record in list_volumes(store):
        name = record["Name"]
        if name in used or not (all or record.get("Anonymous")):
            continue
        with locked(_lock(store)):
            safe_rmtree(os.path.join(_root(store), name))
        removed.append(name)
    return removed


def _clear(path: str) -> None:
    for entry in os.listdir(path):
        _remove(os.path.join(path, entry))


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        safe_rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _copy_entry(src: str, dst: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        if os.path.lexists(dst) and not os.path.isdir(dst):
            os.unlink(dst)
        os.makedirs(dst, exist_ok=True)
        shutil.copystat(src, dst)
    else:
        _remove(dst)
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(src), dst)
        elif stat.S_ISREG(st.st_mode):
            shutil.copy2(src, dst)
        else:
            return  # devices, fifos, sockets: not volume content
    try:  # keep the image's owners (a USER's data dir) where we may; rootless copies are ours
        os.lchown(dst, st.st_uid, st.st_gid)
    except OSError:
        pass


def _merge_layer(src: str, dst: str) -> None:
    """Apply one overlay-format layer dir ``src`` on top of ``dst``."""
    for entry in os.listdir(src):
        s, d = os.path.join(src, entry), os.path.join(dst, entry)
        st = os.lstat(s)
        if is_whiteout_device(st):
            _remove(d)
            continue
        if stat.S_ISDIR(st.st_mode) and is_opaque(s) and os.path.isdir(d):
            _clear(d)
        _copy_entry(s, d, st)
        if stat.S_ISDIR(st.st_mode):
            _merge_layer(s, d)


def _through_symlink(layer: str, rel: str) -> bool:
    parts = rel.split("/")
    return any(os.path.islink(os.path.join(layer, *parts[:i])) for i in range(1, len(parts) + 1))


def seed_volume(dest: str, path: str, *, lowerdirs: tuple[str, ...], directory: str | None) -> None:
    """Copy the image's content at ``path`` into the (empty) volume dir ``dest``."""
    rel = path.strip("/")
    if directory is not None:
        layers: tuple[str, ...] = (directory,)
    else:
        layers = tuple(reversed(lowerdirs))  # bottom first
    for layer in layers:
        src = os.path.join(layer, rel)
        if _through_symlink(layer, rel):
            continue  # a symlinked mount point: nothing is copied through it
        if not os.path.lexists(src):
            continue
        st = os.lstat(src)
        if is_whiteout_device(st) or not stat.S_ISDIR(st.st_mode):
            _clear(dest)
            continue
        if is_opaque(src):
            _clear(dest)
        _merge_layer(src, dest)
