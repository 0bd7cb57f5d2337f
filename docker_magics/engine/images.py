"""Image verbs: import, tag, rmi, history, inspect, listing."""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..errors import ConflictError, LayerError, NotFoundError
from ..layer.extract import extract_layer, safe_rmtree
from ..layer.owner import owner_ops
from ..layer.stream import HashingReader, archive_errors, open_decompressed
from ..layer.usage import unpacked_size
from ..oci.digest import digest_hex, short_id
from ..oci.image import derive_config, descriptor, empty_config, history_entry
from ..oci.mediatypes import OCI_LAYER
from ..oci.reference import parse_reference
from ..snapshot.unpack import install_snapshot
from ..store.atomic import atomic_write_bytes
from ..store.images import Image
from ..store.store import Store
from .changes import apply_change

__all__ = [
    "import_layer",
    "import_tarball",
    "remove_image",
    "history_rows",
    "HistoryRow",
    "inspect_image",
]


def import_layer(store: Store, src: BinaryIO, source_name: str = "-") -> str:
    """One layer blob from a tarball, checked by extracting it before storing; its diff_id.

    The extraction doubles as the layer's snapshot, so a hostile or corrupt tar is refused before
    any blob exists, and a good one is ready to run.
    """
    staging = store.tmp_path("import")
    writer = store.blobs.writer()
    try:
        with archive_errors(source_name):
            reader = HashingReader(open_decompressed(src), sink=writer)  # type: ignore[arg-type]
            extract_layer(
                io.BufferedReader(reader, 1 << 20), staging, overlay=True, ops=owner_ops()
            )
            reader.drain()
        if reader.size == 0:
            raise LayerError(f"{source_name} is empty, not a tar archive")
        diff_id = writer.commit()
        install_snapshot(store, diff_id, staging)
    finally:
        writer.abort()
        safe_rmtree(staging)
    return diff_id


def import_tarball(
    store: Store,
    src: BinaryIO,
    *,
    ref: str | None,
    message: str | None = None,
    changes: list[str] | None = None,
    source_name: str = "-",
) -> Image:
    """`docker import`: one layer from a rootfs tarball (see `import_layer`), then the image."""
    if ref:
        parse_reference(ref)  # fail on a bad name before doing any work
    diff_id = import_layer(store, src, source_name)
    config = empty_config()
    cfg = config["config"]
    for change in changes or []:
        apply_change(cfg, change)
    hist = history_entry(f"Imported from {source_name}", comment=message)
    config = derive_config(config, diff_id=diff_id, history=hist, container_config=cfg)
    layer = descriptor(OCI_LAYER, diff_id, store.blobs.size(diff_id))
    image = store.images.create(config, [layer])
    if ref:
        store.images.tag(image, ref)
    else:
        store.images.keep_untagged(image)
    return image


def remove_image(store: Store, name: str, *, force: bool = False) -> list[str]:
    """`docker rmi`: untag, and delete the image once no tag is left. Returns what happened."""
    image = store.images.resolve(name)
    users = [c for c in store.containers.all() if c.manifest_digest == image.manifest_digest]
    out: list[str] = []
    by_tag = False
    try:
        ref = str(parse_reference(name))
        by_tag = ref in image.refs
    except ValueError:
        ref = ""
    if by_tag and (len(image.refs) > 1 or not users or force):
        store.index.remove_ref(ref)
        out.append(f"Untagged: {parse_reference(name).familiar}")
        if len(image.refs) > 1:
            return out
    elif not by_tag and len(image.refs) > 1 and not force:
        raise ConflictError(
            f"image {short_id(image.id)} is referenced in multiple repositories; "
            "remove it by tag or use -f"
        )
    if users and not force:
        raise ConflictError(
            f"image {short_id(image.id)} is used by container {users[0].short_id} "
            f"({users[0].name}); remove the container first or use -f"
        )
    for r in list(image.refs):
        if r != ref:
            store.index.remove_ref(r)
            out.append(f"Untagged: {parse_reference(r).familiar}")
    store.index.remove_digest(image.manifest_digest)
    out.append(f"Deleted: {image.id}")
    return out


@dataclass(frozen=True)
class HistoryRow:
    image: str  # image ID, or "<missing>"
    created: str
    created_by: str
    size: int
    comment: str
    empty_layer: bool


def _parents(store: Store, image: Image) -> dict[int, str]:
    """Row index -> local image ID whose whole history ends at that row (Docker's parent chain)."""
    out = {len(image.config.get("history", [])) - 1: image.id}
    mine = image.config.get("history", [])
    for other in store.images.all():
        theirs = other.config.get("history", [])
        if 0 < len(theirs) < len(mine) and mine[: len(theirs)] == theirs:
            if other.diff_ids == image.diff_ids[: len(other.diff_ids)]:
                out.setdefault(len(theirs) - 1, other.id)
    return out


def _unpacked_size(store: Store, layer: dict[str, Any]) -> int:
    """Docker's SIZE: the layer unpacked, not its (compressed) tar; the tar's size if the blob
    is not readable here. Kept per blob under cache/, as a pulled layer must be decompressed
    to be measured."""
    memo = os.path.join(store.root, "cache", "unpacked-size", digest_hex(layer["digest"]))
    try:
        with open(memo, encoding="ascii") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        pass
    try:
        with store.blobs.open(layer["digest"]) as blob:
            size = unpacked_size(blob)
    except (NotFoundError, LayerError, OSError, tarfile.TarError, EOFError):
        return int(layer.get("size", 0))
    try:
        os.makedirs(os.path.dirname(memo), exist_ok=True)
        atomic_write_bytes(memo, str(size).encode(), durable=False)
    except OSError:
        pass  # a read-only store: measured again next time
    return size


def history_rows(store: Store, name: str) -> list[HistoryRow]:
    image = store.images.resolve(name)
    history = image.config.get("history", [])
    layers = image.layers
    parents = _parents(store, image)
    rows: list[HistoryRow] = []
    layer_index = 0
    for i, h in enumerate(history):
        empty = bool(h.get("empty_layer"))
        size = 0
        if not empty and layer_index < len(layers):
            size = _unpacked_size(store, layers[layer_index])
            layer_index += 1
        rows.append(
            HistoryRow(
                image=parents.get(i, "<missing>"),
                created=h.get("created", ""),
                created_by=h.get("created_by", ""),
                size=size,
                comment=h.get("comment", ""),
                empty_layer=empty,
            )
        )
    return list(reversed(rows))


def inspect_image(store: Store, name: str) -> dict[str, Any]:
    image = store.images.resolve(name)
    cfg = image.config
    return {
        "Id": image.id,
        "RepoTags": [parse_reference(r).familiar for r in image.refs],
        "RepoDigests": [],
        "Created": cfg.get("created", ""),
        "Author": cfg.get("author", ""),
        "Config": cfg.get("config", {}),
        "Architecture": cfg.get("architecture", ""),
        "Os": cfg.get("os", ""),
        "Size": image.size,
        "RootFS": {"Type": "layers", "Layers": image.diff_ids},
        "Metadata": {"ManifestDigest": image.manifest_digest},
    }


def require_image(store: Store, name: str) -> Image:
    try:
        return store.images.resolve(name)
    except NotFoundError:
        raise NotFoundError(
            f"no such image: {name} (list images with `images`; import a root filesystem with "
            "`import FILE NAME`)"
        )
