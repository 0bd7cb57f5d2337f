"""Read an image's filesystem without mounting it: its unpacked layers, merged top-down.

Layers are unpacked once, in overlay form (``snapshot/unpack.py``): a deleted path is a 0/0
character device, a directory that hides everything below it carries ``*.overlay.opaque=y``.
COPY needs only small questions answered (does the destination exist, is it a directory, what
does ``--from=stage`` hold under a path), so we answer them by looking through the layers rather
than flattening the image.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from ..layer.generate import is_opaque, is_whiteout_device
from ..snapshot.prepare import lower_dirs
from ..store.images import Image
from ..store.store import Store

__all__ = ["ImageFS", "Entry"]

_MAX_LINKS = 40


@dataclass(frozen=True)
class Entry:
    path: str  # image path without a leading slash ("" is the root)
    host: str  # the topmost layer's copy
    st: os.stat_result


class ImageFS:
    def __init__(self, store: Store, image: Image | None) -> None:
        self.lowers: list[str] = lower_dirs(store, image) if image is not None else []

    def _layers_of_dir(self, rel: str) -> list[str]:
        """Host paths of directory ``rel`` in each layer that contributes to it, top first."""
        if not rel:
            return list(self.lowers)
        out = []
        for lower in self.lowers:
            host = os.path.join(lower, rel)
            try:
                st = os.lstat(host)
            except (FileNotFoundError, NotADirectoryError):
                continue
            if not stat.S_ISDIR(st.st_mode):
                break  # a file or whiteout here hides any directory below
            out.append(host)
            if is_opaque(host):
                break
        return out

    def lstat_raw(self, rel: str) -> Entry | None:
        """The topmost entry at ``rel``, no symlinks followed (``rel`` must be resolved)."""
        if not rel:
            return Entry("", self.lowers[0], os.lstat(self.lowers[0])) if self.lowers else None
        parent, _, name = rel.rpartition("/")
        for host_dir in self._layers_of_dir(parent):
            host = os.path.join(host_dir, name)
            try:
                st = os.lstat(host)
            except (FileNotFoundError, NotADirectoryError):
                continue
            return None if is_whiteout_device(st) else Entry(rel, host, st)
        return None

    def resolve(self, path: str, *, follow_last: bool = True) -> str:
        """``path`` with symlinks resolved as if the image root were ``/`` (missing parts kept)."""
        queue = [p for p in path.split("/") if p]
        done: list[str] = []
        links = 0
        while queue:
            comp = queue.pop(0)
            if comp in (".", ""):
                continue
            if comp == "..":
                if done:
                    done.pop()
                continue
            rel = "/".join([*done, comp])
            entry = self.lstat_raw(rel)
            last = not queue
            if entry is not None and stat.S_ISLNK(entry.st.st_mode) and (follow_last or not last):
                links += 1
                if links > _MAX_LINKS:
                    return rel
                target = os.readlink(entry.host)
                if target.startswith("/"):
                    done = []
                queue = [p for p in target.split("/") if p] + queue
                continue
            done.append(comp)
        return "/".join(done)

    def lookup(self, path: str, *, follow_last: bool = True) -> Entry | None:
        return self.lstat_raw(self.resolve(path, follow_last=follow_last))

    def is_dir(self, path: str) -> bool:
        entry = self.lookup(path)
        return entry is not None and stat.S_ISDIR(entry.st.st_mode)

    def listdir(self, rel: str) -> list[str]:
        names: dict[str, bool] = {}
        for host_dir in self._layers_of_dir(rel):
            for name in os.listdir(host_dir):
                if name in names:
                    continue
                st = os.lstat(os.path.join(host_dir, name))
                names[name] = not is_whiteout_device(st)
        return sorted(n for n, visible in names.items() if visible)

    def walk(self, rel: str) -> Iterator[Entry]:
        """Every entry at and under resolved path ``rel``, sorted, parents first."""
        entry = self.lstat_raw(rel)
        if entry is None:
            return
        yield entry
        if stat.S_ISDIR(entry.st.st_mode):
            for name in self.listdir(rel):
                yield from self.walk(f"{rel}/{name}" if rel else name)
