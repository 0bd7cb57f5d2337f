"""Tree digests of unpacked snapshots, recorded per diff_id so `system check` can verify them.

A snapshot (``snapshots/<diff_id hex>/``) is trusted by every container and build step that uses
the layer, and nothing re-reads the layer blob once it is unpacked: a file changed, added or
removed in it afterwards would silently change every image built on it. So when a snapshot is put
in place its tree digest is recorded in ``snapshot-digests/<diff_id hex>``, and `system check`
recomputes it.

The digest covers, for every path in sorted order, its type and mode, owner (the rootless owner
xattr included, as all xattrs are), size, link target, device number, xattrs and a SHA-256 of its
content; not times, inode numbers or link counts, which change without the tree changing (the
whiteout devices are hard links of one inode shared by many snapshots).
"""

from __future__ import annotations

import hashlib
import os
import stat

from ..layer.mtree import walk
from ..oci.digest import digest_hex
from ..store.atomic import atomic_write_bytes
from ..store.store import Store

__all__ = ["tree_digest", "record_tree", "recorded_tree", "records_dir", "OVERLAY_BOOKKEEPING"]

# What overlayfs records about copy-up and renames in an upper dir: meaningful only while that
# dir is an upper (and the kernel may add it to a lower), so never part of a snapshot's content.
# Opaque markers are content and stay.
OVERLAY_BOOKKEEPING = tuple(
    f"{ns}.overlay.{name}"
    for ns in ("trusted", "user")
    for name in ("origin", "impure", "redirect", "metacopy", "nlink", "upper", "uuid")
)


def _content(path: str) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb", buffering=0) as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except PermissionError:
        return "unreadable"  # a mode-000 file in a rootless store: its metadata still counts
    return h.hexdigest()


def _xattrs(path: str) -> str:
    try:
        names = sorted(os.listxattr(path, follow_symlinks=False))
    except OSError:
        return ""
    out = []
    for name in names:
        if name.startswith(OVERLAY_BOOKKEEPING):
            continue
        try:
            value = os.getxattr(path, name, follow_symlinks=False)
        except OSError:
            continue
        out.append(f"{name}={value.hex()}")
    return ",".join(out)


def tree_digest(root: str) -> str:
    """The digest of everything below ``root`` (``root`` itself excluded), as ``sha256:...``."""
    h = hashlib.sha256()
    for rel, st in walk(root):
        path = os.path.join(root, rel)
        mode = st.st_mode
        if stat.S_ISREG(mode):
            detail = f"{st.st_size}:{_content(path)}"
        elif stat.S_ISLNK(mode):
            detail = os.readlink(path)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            detail = f"{os.major(st.st_rdev)},{os.minor(st.st_rdev)}"
        else:
            detail = ""
        entry = f"{rel}\0{mode:o}\0{st.st_uid}:{st.st_gid}\0{detail}\0{_xattrs(path)}\n"
        h.update(entry.encode("utf-8", "surrogateescape"))
    return "sha256:" + h.hexdigest()


def records_dir(store: Store) -> str:
    return os.path.join(store.root, "snapshot-digests")


def record_tree(store: Store, diff_id: str, digest: str) -> None:
    """Record ``digest`` as the tree of the snapshot of ``diff_id`` (after it is in place)."""
    os.makedirs(records_dir(store), exist_ok=True)
    path = os.path.join(records_dir(store), digest_hex(diff_id))
    # Not fsynced, like build records: a record lost to a power cut leaves the snapshot
    # unverified (check says so), not wrong.
    atomic_write_bytes(path, digest.encode(), durable=False)


def recorded_tree(store: Store, diff_id_hex: str) -> str | None:
    try:
        with open(os.path.join(records_dir(store), diff_id_hex), encoding="utf-8") as fh:
            return fh.read().strip() or None
    except (OSError, UnicodeDecodeError):
        return None
