"""Images: a manifest in the blob store, its config, and the tags in `index.json` pointing at it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import ImageReferenceError, NotFoundError, StoreError
from ..oci.digest import sha256_digest
from ..oci.image import make_manifest
from ..oci.mediatypes import MANIFEST_TYPES, OCI_MANIFEST
from ..oci.reference import parse_reference
from .atomic import canonical_json
from .blobs import BlobStore
from .index import ImageIndex

__all__ = ["Image", "ImageStore"]


@dataclass
class Image:
    manifest_digest: str
    manifest: dict[str, Any]
    config_digest: str
    config: dict[str, Any]
    refs: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """Docker's image ID: the digest of the config."""
        return self.config_digest

    @property
    def layers(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("layers", []))

    @property
    def diff_ids(self) -> list[str]:
        return list(self.config.get("rootfs", {}).get("diff_ids", []))

    @property
    def size(self) -> int:
        return sum(int(layer.get("size", 0)) for layer in self.layers)


class ImageStore:
    def __init__(self, blobs: BlobStore, index: ImageIndex) -> None:
        self.blobs = blobs
        self.index = index

    def load(self, manifest_digest: str, refs: list[str] | None = None) -> Image:
        try:
            manifest = json.loads(self.blobs.read_bytes(manifest_digest))
            config_digest = manifest["config"]["digest"]
            config = json.loads(self.blobs.read_bytes(config_digest))
        except (KeyError, ValueError) as exc:
            raise StoreError(f"image manifest {manifest_digest} is malformed: {exc}")
        return Image(manifest_digest, manifest, config_digest, config, refs or [])

    def all(self) -> list[Image]:
        by_digest: dict[str, list[str]] = {}
        for e in self.index.entries():
            by_digest.setdefault(e.digest, [])
            if e.ref:
                by_digest[e.digest].append(e.ref)
        return [self.load(d, refs) for d, refs in by_digest.items()]

    def resolve(self, name: str) -> Image:
        """A tag, a full or short image ID, or a manifest digest; Docker's lookup order."""
        text = name.strip()
        bare = text.removeprefix("sha256:")
        images = None
        if len(bare) >= 4 and all(c in "0123456789abcdef" for c in bare):
            images = self.all()
            hits = [i for i in images if i.id.removeprefix("sha256:").startswith(bare)]
            hits = hits or [
                i for i in images if i.manifest_digest.removeprefix("sha256:").startswith(bare)
            ]
            unique = {i.manifest_digest for i in hits}
            if len(unique) == 1:
                return hits[0]
            if len(unique) > 1:
                raise NotFoundError(f"image ID prefix {name!r} is ambiguous: give more characters")
        try:
            ref = parse_reference(text)
        except ImageReferenceError:
            if images is not None:
                raise NotFoundError(f"no such image: {name}")
            raise
        entry = self.index.lookup(str(ref))
        if entry is None:
            raise NotFoundError(f"no such image: {ref.familiar}")
        refs = [e.ref for e in self.index.entries() if e.digest == entry.digest and e.ref]
        return self.load(entry.digest, refs)

    def create(self, config: dict[str, Any], layers: list[dict[str, Any]]) -> Image:
        """Write config and manifest blobs (not yet tagged)."""
        config_bytes = canonical_json(config)
        config_digest = self.blobs.put_bytes(config_bytes, sha256_digest(config_bytes))
        manifest = make_manifest(config_digest, len(config_bytes), layers)
        manifest_bytes = canonical_json(manifest)
        manifest_digest = self.blobs.put_bytes(manifest_bytes)
        return Image(manifest_digest, manifest, config_digest, config)

    def tag(self, image: Image, ref: str) -> None:
        size = self.blobs.size(image.manifest_digest)
        media_type = image.manifest.get("mediaType", OCI_MANIFEST)
        if media_type not in MANIFEST_TYPES:
            media_type = OCI_MANIFEST
        self.index.set_ref(str(parse_reference(ref)), image.manifest_digest, size, media_type)

    def keep_untagged(self, image: Image) -> None:
        size = self.blobs.size(image.manifest_digest)
        self.index.add_untagged(
            image.manifest_digest, size, image.manifest.get("mediaType", OCI_MANIFEST)
        )
