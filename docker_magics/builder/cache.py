"""The build cache index: one small JSON file per cache key under ``<store>/cache/``.

A hit is one file read. Each entry names the layer the step produced and the image of the state
after it; ``system prune`` keeps every blob digest mentioned in files directly under ``cache/``
(``engine/system.py``), so the layer, the state's manifest and config (and through the config,
the unpacked snapshots) survive pruning as long as the entry exists. Cache mounts live beside,
in ``cache/mounts/``, and per-file content hashes in ``cache/contenthash/``.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import AbstractContextManager
from typing import Any

from ..oci.digest import digest_hex
from ..store.atomic import atomic_write_json
from ..store.lock import locked
from ..store.store import Store

__all__ = ["CacheIndex"]


class CacheIndex:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.dir = os.path.join(store.root, "cache")
        os.makedirs(self.dir, exist_ok=True)

    def _path(self, key: str) -> str:
        return os.path.join(self.dir, f"key-{digest_hex(key)}.json")

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry for ``key`` if it and every blob it needs are still there."""
        try:
            with open(self._path(key)) as fh:
                entry = json.load(fh)
        except (OSError, ValueError):
            return None
        layer = entry.get("layer")
        if layer is not None and not self.store.blobs.has(layer["digest"]):
            return None
        return entry

    def producing(self, key: str) -> AbstractContextManager[None]:
        """Held while a step of ``key`` is made: a second build of the same step at the same
        time (another kernel on this store) waits for it and then hits the cache, as BuildKit
        merges identical steps, instead of making a second, different layer for one key.
        The lock files are removed by ``system prune`` (no build runs then)."""
        return locked(os.path.join(self.dir, f"key-{digest_hex(key)}.lock"))

    def put(self, key: str, entry: dict[str, Any]) -> None:
        value = {"key": key, **entry}
        try:
            with open(self._path(key)) as fh:
                if json.load(fh) == value:
                    return  # unchanged (FROM is put on every build): one read, no fsync
        except (OSError, ValueError):
            pass
        atomic_write_json(self._path(key), value)

    def mount_dir(self, mount_id: str) -> str:
        """A persistent directory for ``RUN --mount=type=cache,id=...`` (contents never keyed)."""
        name = hashlib.sha256(mount_id.encode()).hexdigest()[:32]
        path = os.path.join(self.dir, "mounts", name)
        os.makedirs(path, exist_ok=True)
        return path

    def memo_path(self, context_dir: str) -> str:
        name = hashlib.sha256(os.path.abspath(context_dir).encode()).hexdigest()[:32]
        return os.path.join(self.dir, "contenthash", f"{name}.json")
