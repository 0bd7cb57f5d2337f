"""Build records: ``<store>/builds/<id>.json``, one per build, written atomically.

A record holds every executed step with its key components, so a later build (or the notebook's
cache view) can say what changed between two builds. The closest previous build is the latest one
of the same Dockerfile path, else the latest sharing a tag.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from typing import Any

from ..errors import NotFoundError
from ..store.atomic import atomic_write_json
from ..store.store import Store

__all__ = ["new_record_id", "save_record", "load_record", "list_records", "previous_record"]


def new_record_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(4)


def _dir(store: Store) -> str:
    path = os.path.join(store.root, "builds")
    os.makedirs(path, exist_ok=True)
    return path


def save_record(store: Store, record: dict[str, Any]) -> str:
    path = os.path.join(_dir(store), f"{record['id']}.json")
    atomic_write_json(path, record)
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


def previous_record(
    store: Store, dockerfile: str, tags: list[str], exclude: str | None = None
) -> dict[str, Any] | None:
    records = [r for r in list_records(store) if r.get("id") != exclude and r.get("steps")]
    same_file = [r for r in records if r.get("dockerfile") == dockerfile]
    if same_file:
        return same_file[-1]
    wanted = set(tags)
    same_tag = [r for r in records if wanted & set(r.get("tags") or [])]
    return same_tag[-1] if same_tag else None
