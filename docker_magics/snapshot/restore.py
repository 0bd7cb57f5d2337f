"""Turn a used copy-mode tree back into its base image's tree, touching only what differs.

A kept tree (ready.py) was copied from a flat tree B, then changed by the layers extracted on top
and by what its containers did. Both are known as *paths*: the layers' member names (whiteouts
name what they deleted, an opaque marker its directory) and the containers' change lists. So
the tree equals B again once each of those paths is made B's again: deleted where B has none,
copied from B where it has, directories given back B's mode and times. That costs what the
changes cost (an app's node_modules), where deleting the tree and copying B again costs the
whole image (~40,000 files) twice.

Anything this cannot reproduce exactly makes ``restore`` return False (the caller then deletes
the tree and copies B as before): a path that is one of several hard links in B, device or
socket files.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
from collections.abc import Iterable

from ..layer.extract import safe_rmtree
from ..layer.stream import open_decompressed
from ..store.store import Store
from .flat import copy_tree

__all__ = ["layer_paths", "restore"]

_OPAQUE = ".wh..wh..opq"


def layer_paths(store: Store, digests: Iterable[str]) -> tuple[set[str], set[str]]:
    """The paths the layers (blob digests) set or delete, and the directories they made opaque."""
    paths: set[str] = set()
    opaque: set[str] = set()
    for digest in digests:
        with (
            store.blobs.open(digest) as raw,
            tarfile.open(fileobj=open_decompressed(raw), mode="r|") as tar,
        ):
            for member in tar:
                name = os.path.normpath(member.name.lstrip("/")).lstrip("./")
                parent, base = os.path.split(name)
                if base == _OPAQUE:
                    opaque.add(parent)
                elif base.startswith(".wh."):
                    paths.add(os.path.join(parent, base[4:]))
                elif name not in ("", "."):
                    paths.add(name)
    return paths, opaque


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _under(path: str, done: set[str]) -> bool:
    parts = path.split("/")
    return any("/".join(parts[:i]) in done for i in range(1, len(parts)))


def _copy_entry(src: str, dst: str, st: os.stat_result) -> bool:
    """Copy one non-directory entry from B with its metadata; False if it is not ours to copy."""
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
        shutil.copy2(src, dst, follow_symlinks=False)  # data, mode, times, xattrs
    elif stat.S_ISFIFO(st.st_mode):
        os.mkfifo(dst, stat.S_IMODE(st.st_mode))
    else:
        return False  # hard-linked in B, or a device/socket: only a full copy keeps it exact
    if os.geteuid() == 0:
        os.lchown(dst, st.st_uid, st.st_gid)
        if not stat.S_ISLNK(st.st_mode):
            os.chmod(dst, stat.S_IMODE(st.st_mode))  # chown cleared setuid bits
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
    return True


def restore(tree: str, base: str, paths: set[str], opaque: set[str]) -> bool:
    """Make ``tree`` equal the flat tree ``base`` again at ``paths`` (and below ``opaque``)."""
    try:
        return _restore(tree, base, paths, opaque)
    except OSError:
        return False  # e.g. a path below a directory no record names: start over with a copy


def _restore(tree: str, base: str, paths: set[str], opaque: set[str]) -> bool:
    whole: set[str] = set()  # replaced with everything below: skip their descendants
    parents: set[str] = set()
    for rel in sorted(paths | opaque, key=lambda p: p.split("/")):
        if _under(rel, whole):
            continue
        t, b = os.path.join(tree, rel), os.path.join(base, rel)
        tst, bst = _lstat(t), _lstat(b)
        parents.add(os.path.dirname(rel))
        both_dirs = tst and bst and stat.S_ISDIR(tst.st_mode) and stat.S_ISDIR(bst.st_mode)
        if both_dirs and rel not in opaque:
            assert bst is not None
            os.chmod(t, stat.S_IMODE(bst.st_mode))
            parents.add(rel)  # its children may have changed: its times are set last
            continue
        if tst is not None:
            if stat.S_ISDIR(tst.st_mode):
                safe_rmtree(t)
                whole.add(rel)
            else:
                os.unlink(t)
        if bst is None:
            continue
        if stat.S_ISDIR(bst.st_mode):
            if not copy_tree(b, t):
                return False
            whole.add(rel)
        elif not _copy_entry(b, t, bst):
            return False
    for rel in sorted(parents, key=lambda p: -len(p.split("/"))):
        bst = _lstat(os.path.join(base, rel))
        if bst is not None and os.path.isdir(os.path.join(tree, rel)):
            os.utime(os.path.join(tree, rel), ns=(bst.st_atime_ns, bst.st_mtime_ns))
    return True
