"""`index.json`: the OCI layout's list of image manifests, and our tags.

Each entry is one manifest descriptor; a tag is the annotation `org.opencontainers.image.ref.name`
holding the full normalised reference. An entry with no tag is a dangling image (Docker's `<none>`),
kept until `system prune`. Every change is read-modify-write under one lock.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ..errors import StoreError
from ..oci.mediatypes import OCI_INDEX, OCI_MANIFEST
from .atomic import atomic_write_json
from .lock import locked

__all__ = ["IndexEntry", "ImageIndex", "REF_ANNOTATION"]

REF_ANNOTATION = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class IndexEntry:
    digest: str
    size: int
    ref: str | None
    media_type: str = OCI_MANIFEST

    def to_json(self) -> dict:
        out: dict = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.ref:
            out["annotations"] = {REF_ANNOTATION: self.ref}
        return out


class ImageIndex:
    def __init__(self, root: str) -> None:
        self.path = os.path.join(root, "index.json")
        self.lock_path = os.path.join(root, "index.lock")

    def entries(self) -> list[IndexEntry]:
        try:
            with open(self.path, "rb") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return []
        except ValueError as exc:
            raise StoreError(f"{self.path} is not valid JSON ({exc}); run `system check`")
        out = []
        for m in data.get("manifests", []):
            ref = (m.get("annotations") or {}).get(REF_ANNOTATION)
            out.append(IndexEntry(m["digest"], m["size"], ref, m.get("mediaType", OCI_MANIFEST)))
        return out

    def _write(self, entries: list[IndexEntry]) -> None:
        body = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [e.to_json() for e in entries],
        }
        atomic_write_json(self.path, body)

    def lookup(self, ref: str) -> IndexEntry | None:
        for e in self.entries():
            if e.ref == ref:
                return e
        return None

    def set_ref(self, ref: str, digest: str, size: int, media_type: str = OCI_MANIFEST) -> None:
        """Point `ref` at a manifest; an image that loses its last tag stays, dangling."""
        with locked(self.lock_path):
            entries = self.entries()
            if any(e.ref == ref and e.digest == digest for e in entries):
                return  # a rebuild that changed nothing: no write, no fsync
            kept = [
                e for e in entries if e.ref != ref and not (e.ref is None and e.digest == digest)
            ]
            old = [e for e in entries if e.ref == ref and e.digest != digest]
            kept.append(IndexEntry(digest, size, ref, media_type))
            for e in old:
                if not any(k.digest == e.digest for k in kept):
                    kept.append(IndexEntry(e.digest, e.size, None, e.media_type))
            self._write(kept)

    def add_untagged(self, digest: str, size: int, media_type: str = OCI_MANIFEST) -> None:
        with locked(self.lock_path):
            entries = self.entries()
            if any(e.digest == digest for e in entries):
                return
            entries.append(IndexEntry(digest, size, None, media_type))
            self._write(entries)

    def remove_ref(self, ref: str) -> IndexEntry | None:
        """Untag; returns the removed entry. The image itself stays if other tags point at it."""
        with locked(self.lock_path):
            entries = self.entries()
            hit = next((e for e in entries if e.ref == ref), None)
            if hit is not None:
                self._write([e for e in entries if e is not hit])
            return hit

    def remove_digest(self, digest: str) -> None:
        with locked(self.lock_path):
            self._write([e for e in self.entries() if e.digest != digest])
