"""Build records: ``<store>/builds/<id>.json``, one per build, written atomically.

A record holds every executed step with its key components, so a later build (or the notebook's
cache view) can say what changed between two builds. The closest previous build is the latest one
of the same Dockerfile path, else the latest sharing a tag. ``builds/latest/<hash of the path>``
names the latest record of each Dockerfile, so finding it is one small read however many builds
the store has seen (the full scan remains the fallback).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Mapping
from typing import Any

from ..errors import NotFoundError
from ..store.atomic import atomic_write_bytes, atomic_write_json
from ..store.store import Store

__all__ = [
    "new_record_id",
    "save_record",
    "load_record",
    "list_records",
    "previous_record",
    "older_record",
]


def new_record_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(4)


def _dir(store: Store) -> str:
    path = os.path.join(store.root, "builds")
    os.makedirs(path, exist_ok=True)
    return path


def _pointer(store: Store, dockerfile: str) -> str:
    name = hashlib.sha256(dockerfile.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return os.path.join(_dir(store), "latest", name)


def save_record(store: Store, record: dict[str, Any]) -> str:
    # Not fsynced: a record lost to a power cut only costs the next build its explanations,
    # and a rebuild should not wait for the disk.
    path = os.path.join(_dir(store), f"{record['id']}.json")
    atomic_write_json(path, record, durable=False)
    if record.get("steps") and record.get("dockerfile"):
        pointer = _pointer(store, record["dockerfile"])
        os.makedirs(os.path.dirname(pointer), exist_ok=True)
        atomic_write_bytes(pointer, record["id"].encode(), durable=False)
    return path


def load_record(store: Store, record_id: str) -> dict[str, Any]:
    if "/" in record_id or record_id.startswith("."):
        raise NotFoundError(f"no such build record: {record_id}")
    try:
        with open(os.path.join(_dir(store), f"{record_id}.json")) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        raise NotFoundError(f"no such build record: {record_id}")


def list_records(store: Store) -> list[dict[str, Any]]:
    """Every readable record, oldest first."""
    out = []
    for name in os.listdir(_dir(store)):
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(_dir(store), name)) as fh:
                out.append(json.load(fh))
        except (OSError, ValueError):
            continue
    out.sort(key=lambda r: (r.get("started", 0), r.get("id", "")))
    return out


def _latest_of(store: Store, dockerfile: str, exclude: str | None) -> dict[str, Any] | None:
    try:
        with open(_pointer(store, dockerfile), encoding="utf-8") as fh:
            record = load_record(store, fh.read().strip())
    except (OSError, NotFoundError):
        return None
    if record.get("id") == exclude or not record.get("steps"):
        return None
    return record if record.get("dockerfile") == dockerfile else None


def previous_record(
    store: Store, dockerfile: str, tags: list[str], exclude: str | None = None
) -> dict[str, Any] | None:
    latest = _latest_of(store, dockerfile, exclude)
    if latest is not None:
        return latest
    records = [r for r in list_records(store) if r.get("id") != exclude and r.get("steps")]
    same_file = [r for r in records if r.get("dockerfile") == dockerfile]
    if same_file:
        return same_file[-1]
    wanted = set(tags)
    same_tag = [r for r in records if wanted & set(r.get("tags") or [])]
    return same_tag[-1] if same_tag else None


def older_record(store: Store, record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The build that ``record`` was compared with (its "previous"), if still stored."""
    previous = record.get("previous")
    if not previous:
        return None
    try:
        return load_record(store, str(previous))
    except NotFoundError:
        return None
