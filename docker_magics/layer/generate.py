"""Change sets and layer tars, from an overlay upper dir or from comparing a tree with its manifest.

An overlay upper dir *is* the change set, so committing costs time in proportion to what changed,
whatever the size of the image below it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from .mtree import Manifest, entry_of, walk
from .owner import OwnerOps
from .tarwriter import LayerTarWriter

__all__ = [
    "Change",
    "upper_changes",
    "compare_changes",
    "write_layer",
    "is_whiteout_device",
    "is_opaque",
]

OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque")


@dataclass(frozen=True)
class Change:
    """One entry of a change set. kind: 'A'dded/'C'hanged (host_path set) or 'D'eleted."""

    path: str  # relative, no leading slash
    kind: str
    host_path: str | None = None
    opaque: bool = False  # a directory whose lower contents are all hidden
    st: os.stat_result | None = field(default=None, compare=False)  # lstat, when already taken


def is_whiteout_device(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def is_opaque(path: str) -> bool:
    """An overlay directory marked opaque (its lower contents are hidden)."""
    for name in OPAQUE_XATTRS:
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    return False


def upper_changes(upper: str, exists_below: Callable[[str], bool]) -> Iterator[Change]:
    """Walk the upper dir sorted; `exists_below(relpath)` tells A from C.

    Below a directory that no lower layer has, nothing can exist below either: a new tree of
    20,000 files costs no lookups in the layers under it.
    """

    def visit(host_dir: str, rel_dir: str, parent_below: bool) -> Iterator[Change]:
        with os.scandir(host_dir) as it:
            entries = sorted((e.name, e) for e in it)
        for name, entry in entries:
            host = entry.path
            rel = f"{rel_dir}/{name}" if rel_dir else name
            st = entry.stat(follow_symlinks=False)
            if is_whiteout_device(st):
                yield Change(rel, "D")
                continue
            below = parent_below and exists_below(rel)
            kind = "C" if below else "A"
            if stat.S_ISDIR(st.st_mode):
                opaque = is_opaque(host)
                yield Change(rel, kind, host, opaque=opaque and below, st=st)
                yield from visit(host, rel, below)
            else:
                yield Change(rel, kind, host, st=st)

    yield from visit(upper, "", True)


def compare_changes(root: str, before: Manifest) -> Iterator[Change]:
    """The change set of a plain directory against the manifest taken when it was prepared."""
    seen: set[str] = set()
    for rel, st in walk(root):
        seen.add(rel)
        now = entry_of(os.path.join(root, rel), st)
        old = before.get(rel)
        if old is None:
            yield Change(rel, "A", os.path.join(root, rel))
        elif old != now:
            yield Change(rel, "C", os.path.join(root, rel))
    hidden: set[str] = set()
    for rel in sorted(p for p in before if p not in seen):
        parts = rel.split("/")
        if any("/".join(parts[:i]) in hidden for i in range(1, len(parts))):
            continue  # inside a deleted dir: the dir's whiteout covers it
        hidden.add(rel)
        yield Change(rel, "D")


def write_layer(changes: Iterator[Change], out: BinaryIO, ops: OwnerOps) -> int:
    """Write a change set as an OCI layer tar; returns the number of entries."""
    writer = LayerTarWriter(out, ops)
    for ch in sorted(changes, key=lambda c: c.path.split("/")):
        if ch.kind == "D":
            parent, _, base = ch.path.rpartition("/")
            writer.add_whiteout(f"{parent}/.wh.{base}" if parent else f".wh.{base}")
            continue
        assert ch.host_path is not None
        writer.add_path(ch.host_path, ch.path, ch.st)
        if ch.opaque:
            writer.add_whiteout(f"{ch.path}/.wh..wh..opq")
    writer.close()
    return writer.entries
