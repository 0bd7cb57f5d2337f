"""The tar entries one COPY or ADD writes: sources placed by image path, parents included.

An existing directory keeps its metadata in the layer; a missing parent is made 0755 with the
copy's owner. Hard links stay links within one source (``add``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

from ..layer.owner import owner_ops
from .imagefs import ImageFS
from .layerwrite import TarItem, with_mode

__all__ = ["CopyPlan", "apply_chmod"]


class CopyPlan:
    """The tar entries of one COPY, parents included, keyed by image path."""

    def __init__(self, fs: ImageFS, owner: tuple[int, int], staging: str) -> None:
        self.fs = fs
        self.owner = owner
        self.items: dict[str, TarItem] = {}
        self.new_dir = os.path.join(staging, "newdir")
        os.makedirs(self.new_dir, exist_ok=True)
        os.chmod(self.new_dir, 0o755)
        self.ops = owner_ops()
        # Hard links are kept within one source, as BuildKit copies each source with its own
        # copier (fsutil's inode map): a file reached again through another source is a copy.
        self.source = 0
        self.inodes: dict[tuple[int, int], int] = {}

    def parent_dirs(self, name: str) -> None:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.existing_dir("/".join(parts[:i]))

    def existing_dir(self, name: str) -> None:
        """Keep an existing directory's metadata in the layer, or create it 0755."""
        if name in self.items:
            return
        entry = self.fs.lstat_raw(name)
        if entry is not None and stat.S_ISDIR(entry.st.st_mode):
            owner = self.ops.get_owner(entry.host, entry.st)
            self.items[name] = TarItem(name, entry.host, with_mode(entry.st), owner)
            return
        self.items[name] = TarItem(name, self.new_dir, os.lstat(self.new_dir), self.owner)

    def add(self, name: str, host: str, st: os.stat_result, owner: tuple[int, int]) -> None:
        self.parent_dirs(name)
        if st.st_nlink > 1 and stat.S_ISREG(st.st_mode):
            first = self.inodes.setdefault((st.st_dev, st.st_ino), self.source)
            if first != self.source:
                st = with_mode(st, single=True)
        self.items[name] = TarItem(name, host, st, owner)

    def sorted(self) -> list[TarItem]:
        return [self.items[k] for k in sorted(self.items, key=lambda n: n.split("/"))]


def apply_chmod(st: os.stat_result, chmod: Callable[[int, bool], int] | None) -> os.stat_result:
    if chmod is None or stat.S_ISLNK(st.st_mode):
        return with_mode(st)
    return with_mode(st, chmod(stat.S_IMODE(st.st_mode), stat.S_ISDIR(st.st_mode)))
