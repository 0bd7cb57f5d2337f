"""`cp` between a container and the host, with Docker's rules for where things land.

Reads go through a flattened copy of the container's filesystem; writes go into the container's
upper dir (overlay) or its private tree (copy mode), resolved inside the container's root so a
symlink in the container can never point a write at the host.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from ..errors import NotFoundError, UsageError
from ..layer.extract import resolve_in_root, safe_rmtree
from .archive import flatten_container

if TYPE_CHECKING:
    from ..api import Engine

__all__ = ["copy_paths", "split_container_path"]


def split_container_path(text: str) -> tuple[str | None, str]:
    name, sep, path = text.partition(":")
    if sep and name and not name.startswith(("/", ".")):
        return name, path
    return None, text


def _copy(src: str, dest: str) -> None:
    contents_only = src.endswith("/.")
    src = src.rstrip("/.") if contents_only else src.rstrip("/") or src
    if not os.path.lexists(src):
        raise NotFoundError(f"no such file or directory: {src}")
    if os.path.isdir(src) and not os.path.islink(src):
        target = dest
        if os.path.isdir(dest) and not contents_only:
            target = os.path.join(dest, os.path.basename(src))
        shutil.copytree(src, target, symlinks=True, dirs_exist_ok=True)
    else:
        target = os.path.join(dest, os.path.basename(src)) if os.path.isdir(dest) else dest
        shutil.copy2(src, target, follow_symlinks=False)


def copy_paths(eng: Engine, source: str, dest: str) -> None:
    src_c, src_path = split_container_path(source)
    dst_c, dst_path = split_container_path(dest)
    if (src_c is None) == (dst_c is None):
        raise UsageError(
            "cp copies between a container and the host: one side must be CONTAINER:PATH"
        )
    if src_c is not None:
        c = eng.container(src_c)
        root = flatten_container(eng.store, c)
        try:
            parent, _, base = src_path.strip("/").rpartition("/")
            host_parent = resolve_in_root(root, parent, create=False)
            suffix = "/." if src_path.endswith("/.") else ""
            _copy(os.path.join(host_parent, base) + suffix, dst_path)
        finally:
            if c.rootfs_mode != "copy":
                safe_rmtree(root)
        return
    assert dst_c is not None
    c = eng.container(dst_c)
    cdir = eng.store.containers.dir(c.id)
    root = os.path.join(cdir, "rootfs" if c.rootfs_mode == "copy" else "upper")
    parent, _, base = dst_path.rstrip("/").rpartition("/")
    host_parent = resolve_in_root(root, parent, create=True)
    target = os.path.join(host_parent, base) if base else host_parent
    if dst_path.endswith("/"):
        os.makedirs(target, exist_ok=True)
    _copy(source, target)
