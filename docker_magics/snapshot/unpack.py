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
from .treedigest import OVERLAY_BOOKKEEPING, record_tree, tree_digest

__all__ = [
    "snapshot_path",
    "ensure_unpacked",
    "unpack_into",
    "verify_diff_id",
    "adopt_upper",
    "install_snapshot",
]


def snapshot_path(store: Store, diff_id: str) -> str:
    return os.path.join(store.snapshots_dir, digest_hex(diff_id))


def _mismatch(layer: dict[str, Any], diff_id: str, got: str | None, image: str) -> LayerError:
    of = f" of image {image}" if image else ""
    return LayerError(
        f"layer {layer['digest']}{of} does not match its diff_id: expected {diff_id}, "
        f"got {got}; the image is corrupt and this layer was not used (remove the image with "
        "`rmi`)"
    )


def unpack_into(
    store: Store,
    layer: dict[str, Any],
    diff_id: str,
    target: str,
    *,
    overlay: bool,
    image: str = "",
) -> None:
    """Extract one layer blob into `target`, checking the uncompressed bytes against `diff_id`.

    The check comes at the end of the stream, so on a mismatch `target` holds the layer's files:
    callers extract into a place they remove on error (`ensure_unpacked`: a staging dir).
    `image` names the image in the error.
    """
    where = f"layer {layer['digest']}" + (f" of image {image}" if image else "")
    with store.blobs.open(layer["digest"]) as raw, archive_errors(where):
        reader = HashingReader(open_decompressed(raw))
        extract_layer(io.BufferedReader(reader, 1 << 20), target, overlay=overlay, ops=owner_ops())
        reader.drain()
    if reader.digest != diff_id:
        raise _mismatch(layer, diff_id, reader.digest, image)


def verify_diff_id(store: Store, layer: dict[str, Any], diff_id: str) -> None:
    """Check a stored layer's uncompressed bytes against ``diff_id`` without unpacking it.

    An uncompressed layer's blob digest *is* its diff_id (and the blob store verified that
    digest on the way in); a compressed one is decompressed and hashed, nothing written.
    """
    if layer["digest"] == diff_id:
        return
    with store.blobs.open(layer["digest"]) as raw, archive_errors(f"layer {layer['digest']}"):
        reader = HashingReader(open_decompressed(raw))
        reader.drain()
    if reader.digest != diff_id:
        raise _mismatch(layer, diff_id, reader.digest, "")


def install_snapshot(store: Store, diff_id: str, tree: str) -> bool:
    """Rename a finished tree into place as the snapshot of ``diff_id``, recording its tree
    digest for `system check` (treedigest.py). False, the tree left where it is, when the
    snapshot exists already or another process put it there first."""
    final = snapshot_path(store, diff_id)
    if os.path.isdir(final):
        return False
    os.chmod(tree, 0o755)
    digest = tree_digest(tree)
    try:
        os.rename(tree, final)
    except OSError:
        return False
    record_tree(store, diff_id, digest)  # only by the process whose tree is in place
    return True


def adopt_upper(store: Store, diff_id: str, upper: str) -> bool:
    """Make a RUN container's upper dir the snapshot of the layer just written from it.

    The upper dir is already that layer in overlay form (whiteouts as 0/0 devices, opaque
    directories marked): renaming it into place saves the next step from extracting the same
    files again, a cost that grows with the layer (20,000 files: seconds). False if the
    snapshot exists already or the rename is not possible (then it is unpacked on first use).
    """
    final = snapshot_path(store, diff_id)
    if os.path.isdir(final):
        return False
    try:
        for dirpath, dirnames, filenames in os.walk(upper):
            for name in (dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)):
                for attr in os.listxattr(name, follow_symlinks=False):
                    if attr.startswith(OVERLAY_BOOKKEEPING):
                        os.removexattr(name, attr, follow_symlinks=False)
        return install_snapshot(store, diff_id, upper)
    except OSError:
        return False  # the container's removal takes the upper dir with it


def ensure_unpacked(store: Store, layer: dict[str, Any], diff_id: str, *, image: str = "") -> str:
    """The snapshot of a layer, unpacked now if it is not yet (pulled and loaded images are not).

    The layer is extracted into a staging dir and renamed into place only if its uncompressed
    bytes matched `diff_id`; a mismatch raises LayerError (naming the layer, and `image` if
    given) and leaves no snapshot and no staging dir behind.
    """
    final = snapshot_path(store, diff_id)
    if os.path.isdir(final):
        return final
    staging = store.tmp_path("unpack")
    try:
        unpack_into(store, layer, diff_id, staging, overlay=True, image=image)
        if not install_snapshot(store, diff_id, staging):
            if not os.path.isdir(final):  # another process won the race: theirs is as good
                raise StoreError(f"cannot install snapshot {final}")
            safe_rmtree(staging)
    except BaseException:
        safe_rmtree(staging)
        raise
    return final
