"""Push: blobs first (skip what the registry has, mount what a sibling repository has, upload the
rest), the manifest last with its own media type as `Content-Type`.

Layers we made are stored uncompressed; for the wire they are gzip-compressed deterministically
(no file name, mtime 0, level 6), so the same layer always gives the same blob. That compressed
blob stays in the store, found again through `cache/gzip/<diff_id>`.
"""

from __future__ import annotations

import copy
import gzip
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..errors import RegistryError
from ..oci.mediatypes import (
    DOCKER_LAYER,
    DOCKER_LAYER_GZIP,
    DOCKER_MANIFEST,
    OCI_LAYER,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
)
from ..oci.reference import Reference
from ..store.atomic import canonical_json
from ..store.images import Image
from ..store.store import Store
from .client import RegistryClient
from .config import RegistryConfig
from .credentials import lookup
from .progress import Progress, ProgressFn, ProgressReader, ignore
from .sources import blob_sources, compressed_of, record_compressed, record_source
from .transport import RequestsTransport, Transport

__all__ = ["PushResult", "push_image", "compress_layer", "wire_manifest", "CHUNK_SIZE"]

CHUNK_SIZE = 32 << 20  # blobs above this go up in PATCH chunks of this size
GZIP_LEVEL = 6


@dataclass
class PushResult:
    digest: str  # of the manifest as pushed
    size: int
    media_type: str
    uploaded: list[str]
    skipped: list[str]
    mounted: list[str]


def compress_layer(
    store: Store, desc: dict[str, Any], diff_id: str, progress: ProgressFn = ignore
) -> tuple[str, int]:
    """The deterministic gzip of an uncompressed layer blob: (digest, size), made once."""
    known = compressed_of(store, diff_id)
    if known:
        return known, store.blobs.size(known)
    total = int(desc.get("size", 0))
    progress(Progress(desc["digest"], "compressing", 0, total))
    with store.blobs.open(desc["digest"]) as src, store.blobs.writer() as w:
        with gzip.GzipFile(
            filename="",
            mode="wb",
            fileobj=w,  # type: ignore[arg-type]
            compresslevel=GZIP_LEVEL,
            mtime=0,
        ) as gz:
            while chunk := src.read(1 << 20):
                gz.write(chunk)
        digest = w.commit()
    record_compressed(store, diff_id, digest)
    return digest, store.blobs.size(digest)


def wire_manifest(
    store: Store, image: Image, progress: ProgressFn = ignore
) -> tuple[bytes, str, list[dict[str, Any]]]:
    """The manifest to push (raw bytes, media type) and its layer descriptors, compressing
    uncompressed layers; an image that needs no change is pushed byte for byte."""
    media_type = image.manifest.get("mediaType") or OCI_MANIFEST
    docker = media_type == DOCKER_MANIFEST
    layers: list[dict[str, Any]] = []
    changed = False
    for desc, diff_id in zip(image.layers, image.diff_ids):
        if desc.get("mediaType") in (OCI_LAYER, DOCKER_LAYER):
            digest, size = compress_layer(store, desc, diff_id, progress)
            new = copy.deepcopy(desc)
            new.update(
                mediaType=DOCKER_LAYER_GZIP if docker else OCI_LAYER_GZIP, digest=digest, size=size
            )
            layers.append(new)
            changed = True
        else:
            layers.append(desc)
    if not changed:
        return store.blobs.read_bytes(image.manifest_digest), media_type, layers
    manifest = copy.deepcopy(image.manifest)
    manifest["layers"] = layers
    manifest.setdefault("mediaType", media_type)
    return canonical_json(manifest), media_type, layers


class _Pusher:
    def __init__(
        self,
        store: Store,
        client: RegistryClient,
        ref: Reference,
        progress: ProgressFn,
        chunk_size: int,
    ) -> None:
        self.store, self.client, self.ref = store, client, ref
        self.repo = ref.repository
        self.progress = progress
        self.chunk_size = chunk_size
        self.uploaded: list[str] = []
        self.skipped: list[str] = []
        self.mounted: list[str] = []

    def blob(self, digest: str, kind: str = "layer") -> None:
        size = self.store.blobs.size(digest)
        if self.client.blob_size(self.repo, digest) is not None:
            self.skipped.append(digest)
            self.progress(Progress(digest, "exists", size, size, kind))
            return
        location = ""
        prefix = self.ref.registry + "/"
        for source in blob_sources(self.store, digest):
            if not source.startswith(prefix) or source == f"{prefix}{self.repo}":
                continue
            mounted, location = self.client.start_upload(
                self.repo, mount=digest, source=source[len(prefix) :]
            )
            if mounted:
                self.mounted.append(digest)
                self.progress(Progress(digest, "mounted", size, size, kind))
                return
            break  # the registry opened an ordinary upload session instead: use it
        if not location:
            _, location = self.client.start_upload(self.repo)

        def report(pos: int) -> None:
            self.progress(Progress(digest, "uploading", pos, size, kind))

        with self.store.blobs.open(digest) as fh:
            src: Any = ProgressReader(fh, report)
            if size > self.chunk_size:
                self.client.patch_blob(self.repo, location, src, size, self.chunk_size, digest)
            else:
                self.client.put_blob(self.repo, location, digest, src, size)
        self.uploaded.append(digest)
        self.progress(Progress(digest, "pushed", size, size, kind))


def push_image(
    store: Store,
    image: Image,
    ref: Reference,
    *,
    config: RegistryConfig,
    transport: Transport | None = None,
    progress: ProgressFn = ignore,
    chunk_size: int = CHUNK_SIZE,
    workers: int = 3,
) -> PushResult:
    """Push `image` as `ref` (tag, or digest if `ref` has only one). Needs `store.writing()`."""
    raw, media_type, layers = wire_manifest(store, image, progress)
    endpoint = config.endpoints(ref.registry, for_push=True)[0]
    transport = transport or RequestsTransport(pool_size=workers + 2)
    client = RegistryClient(endpoint, transport, lookup(ref.registry), push=True)
    pusher = _Pusher(store, client, ref, progress, chunk_size)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(pusher.blob, d["digest"]) for d in layers]
        try:
            for f in futures:
                f.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    pusher.blob(image.config_digest, "config")
    reference = ref.tag or ref.digest
    if reference is None:
        raise RegistryError(f"{ref}: nothing to push to (no tag or digest)")
    digest = client.put_manifest(ref.repository, reference, raw, media_type)
    if ref.digest and digest != ref.digest:
        raise RegistryError(f"pushed manifest is {digest}, not {ref.digest} as the name says")
    for d in [*(x["digest"] for x in layers), image.config_digest]:
        record_source(store, d, ref.name)
    progress(Progress(digest, "pushed", len(raw), len(raw), "manifest"))
    return PushResult(digest, len(raw), media_type, pusher.uploaded, pusher.skipped, pusher.mounted)
