"""A manifest of a tree (like mtree): enough per path to notice any change without reading content.

ctime is in the record because no unprivileged call can set it back: a file rewritten with the same
size and a forged mtime still differs.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator

__all__ = ["Manifest", "entry_of", "walk", "take_manifest", "save_manifest", "load_manifest"]

Manifest = dict[str, list]


def entry_of(path: str, st: os.stat_result) -> list:
    link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else ""
    size = 0 if stat.S_ISDIR(st.st_mode) else st.st_size
    mtime = 0 if stat.S_ISDIR(st.st_mode) else st.st_mtime_ns
    return [st.st_mode, st.st_uid, st.st_gid, size, mtime, st.st_ctime_ns, st.st_ino, link]


def walk(root: str) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) for every object below root, sorted, parents first."""

    def visit(host_dir: str, rel_dir: str) -> Iterator[tuple[str, os.stat_result]]:
        try:
            with os.scandir(host_dir) as it:
                items = sorted((e.name, e) for e in it)
        except PermissionError:
            return
        for name, e in items:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            st = e.stat(follow_symlinks=False)
            yield rel, st
            if stat.S_ISDIR(st.st_mode):
                yield from visit(e.path, rel)

    yield from visit(root, "")


def take_manifest(root: str) -> Manifest:
    return {rel: entry_of(os.path.join(root, rel), st) for rel, st in walk(root)}


def save_manifest(manifest: Manifest, path: str) -> None:
    with open(path, "w") as fh:
        json.dump(manifest, fh, separators=(",", ":"))


def load_manifest(path: str) -> Manifest:
    with open(path) as fh:
        return json.load(fh)
