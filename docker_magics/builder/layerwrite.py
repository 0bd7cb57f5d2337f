"""Layers the builder writes itself (COPY, ADD, WORKDIR): no container, just a tar of entries.

Entries come sorted, parents first, with the owner and mode they must have in the image; the
deterministic ``LayerTarWriter`` does the rest (fixed names, clamped mtimes, no PAX noise).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Any

from ..layer.owner import OwnerOps
from ..layer.tarwriter import LayerTarWriter
from ..oci.image import descriptor
from ..oci.mediatypes import OCI_LAYER
from ..store.store import Store

__all__ = ["TarItem", "write_items", "with_mode", "empty_layer"]


@dataclass(frozen=True)
class TarItem:
    name: str  # path in the image, no leading slash
    host: str  # where the bytes (and xattrs) come from
    st: os.stat_result  # type, mode, size, mtime as they go into the tar
    owner: tuple[int, int]


def with_mode(
    st: os.stat_result,
    mode: int | None = None,
    *,
    mtime: int | None = None,
    single: bool = False,
) -> os.stat_result:
    """A copy of ``st`` with other permission bits (type kept).

    The tar writer turns entries sharing a host inode with a link count above 1 into hard
    links, as COPY and ADD keep them (BuildKit's and buildah's copiers do); ``single`` sets the
    count to 1 for a file that must be a copy of its own.
    """
    fields = list(st)[:10]
    if mode is not None:
        fields[0] = stat.S_IFMT(st.st_mode) | (mode & 0o7777)
    if single:
        fields[3] = 1
    if mtime is not None:
        fields[8] = mtime
    return os.stat_result(tuple(fields), {"st_rdev": getattr(st, "st_rdev", 0)})


def write_items(store: Store, items: list[TarItem]) -> tuple[dict[str, Any], str]:
    """Write a layer blob; returns (manifest layer descriptor, diff_id)."""
    owners = {item.host: item.owner for item in items}
    with store.blobs.writer() as blob:
        writer = LayerTarWriter(blob, OwnerOps(os.geteuid() != 0, assigned=owners))  # type: ignore[arg-type]
        for item in items:
            writer.add_path(item.host, item.name, item.st)
        writer.close()
        diff_id = blob.commit()
    return descriptor(OCI_LAYER, diff_id, store.blobs.size(diff_id)), diff_id


def empty_layer(store: Store) -> tuple[dict[str, Any], str]:
    """The layer of a step that changed nothing: BuildKit records one for every RUN, COPY, ADD
    and WORKDIR other than ``/`` (its ``testExportedHistory``). The two zero blocks that end a
    tar and nothing else: the empty layer of Docker and containerd, ``sha256:5f70bf18...``."""
    with store.blobs.writer() as blob:
        blob.write(bytes(2 * 512))
        diff_id = blob.commit()
    return descriptor(OCI_LAYER, diff_id, store.blobs.size(diff_id)), diff_id
