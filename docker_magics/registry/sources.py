"""Small records under `<store>/cache/` that let a push do less work.

- `cache/blob-sources/<hex>`: lines `registry/repository` known to hold blob `<hex>` (it was
  pulled from or pushed there), so a push to another repository of that registry can mount it.
- `cache/gzip/<diff_id hex>`: the digest of the deterministic gzip of that layer, a blob kept in
  the store, so the second push of a layer does not compress it again.
Both are hints: each is checked (the registry answers a mount with 202; the blob must exist).
"""

from __future__ import annotations

import os

from ..oci.digest import digest_hex, validate_digest
from ..store.atomic import atomic_write_bytes
from ..store.store import Store

__all__ = ["record_source", "blob_sources", "compressed_of", "record_compressed"]


def _dir(store: Store, name: str) -> str:
    path = os.path.join(store.root, "cache", name)
    os.makedirs(path, exist_ok=True)
    return path


def record_source(store: Store, digest: str, repo: str) -> None:
    path = os.path.join(_dir(store, "blob-sources"), digest_hex(digest))
    if repo in blob_sources(store, digest):
        return
    with open(path, "a", encoding="utf-8") as fh:  # one short line: an atomic append
        fh.write(repo + "\n")


def blob_sources(store: Store, digest: str) -> list[str]:
    path = os.path.join(store.root, "cache", "blob-sources", digest_hex(digest))
    try:
        with open(path, encoding="utf-8") as fh:
            return [line.strip() for line in fh if line.strip()]
    except FileNotFoundError:
        return []


def compressed_of(store: Store, diff_id: str) -> str | None:
    path = os.path.join(store.root, "cache", "gzip", digest_hex(diff_id))
    try:
        with open(path, encoding="ascii") as fh:
            digest = validate_digest(fh.read().strip())
    except (FileNotFoundError, ValueError):
        return None
    return digest if store.blobs.has(digest) else None


def record_compressed(store: Store, diff_id: str, digest: str) -> None:
    path = os.path.join(_dir(store, "gzip"), digest_hex(diff_id))
    atomic_write_bytes(path, digest.encode() + b"\n")
