"""Unpacked layers: `snapshots/<diff_id hex>/`, one directory per layer, in overlay form.

A layer is unpacked once and shared by every image and container that uses it. It is extracted into
tmp/ and renamed into place only when its content matched its diff_id, so a crash or a bad blob
never leaves a half-unpacked snapshot where a reader would trust it.
"""

from __future__ import annotations

import io
import os
from typing import Any

from ..errors import LayerError, StoreError
from ..layer.extract import extract_layer, safe_rmtree
from ..layer.owner import owner_ops
from ..layer.stream import HashingReader, archive_errors, open_decompressed
from ..oci.digest import digest_hex
from ..store.store import Store

__all__ = ["snapshot_path", "ensure_unpacked", "unpack_into"]


def snapshot_path(store: Store, diff_id: str) -> str:
    return os.path.join(store.snapshots_dir, digest_hex(diff_id))


def unpack_into(
    store: Store, layer: dict[str, Any], diff_id: str, target: str, *, overlay: bool
) -> None:
    """Extract one layer blob into `target`, checking the uncompressed bytes against `diff_id`."""
    with store.blobs.open(layer["digest"]) as raw, archive_errors(f"layer {layer['digest']}"):
        reader = HashingReader(open_decompressed(raw))
        extract_layer(io.BufferedReader(reader, 1 << 20), target, overlay=overlay, ops=owner_ops())
        reader.drain()
    if reader.digest != diff_id:
        raise LayerError(
            f"layer {layer['digest']} does not match its diff_id: expected {diff_id}, "
            f"got {reader.digest}; the image is corrupt (try `system check`)"
        )


def ensure_unpacked(store: Store, layer: dict[str, Any], diff_id: str) -> str:
    final = snapshot_path(store, diff_id)
    if os.path.isdir(final):
        return final
    staging = store.tmp_path("unpack")
    try:
        unpack_into(store, layer, diff_id, staging, overlay=True)
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, final)
        except OSError:
            if not os.path.isdir(final):  # another process won the race: theirs is as good
                raise StoreError(f"cannot install snapshot {final}")
            safe_rmtree(staging)
    except BaseException:
        safe_rmtree(staging)
        raise
    return final
