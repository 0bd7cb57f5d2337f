"""Ready trees: copy-mode container trees kept after use, so the next container or RUN step of
the same layers starts without copying the whole image again.

Copy mode (PRoot, Binder) gives every container and RUN step a private tree of the image's
files: for node:20 a ``cp -a`` of ~40,000 files, and as much again to delete it afterwards. But
most trees are handed on unchanged or nearly so: a RUN step's tree *is* the next step's starting
state once its layer is written, and a ``run --rm`` that wrote nothing leaves a tree identical to
its image. Such trees are kept as ``snapshots/ready-<chain id hex>-<token>`` (the chain id of the
layers the tree holds) and a later container whose image's chain starts with those layers takes
one by renaming it into its own directory, then extracts only the layers above it.

Renames make it safe between processes: of two takers of one tree, one rename fails and that one
falls back to a copy; an evicted tree is claimed by a rename into tmp/ before it is deleted. At
most ``MAX_READY`` trees are kept (each is a whole image), the least recently given first out.
``system prune`` removes them all (their names are never live).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable

from ..layer.extract import safe_rmtree
from ..layer.generate import Change, compare_changes
from ..layer.mtree import load_manifest
from ..layer.tarwriter import layer_mtime, source_date_epoch
from ..oci.digest import chain_ids, digest_hex
from ..store.store import Store

__all__ = ["PREFIX", "MAX_READY", "give", "give_if_unchanged", "settle", "take"]

PREFIX = "ready-"
MAX_READY = 2


def _names(store: Store, chain_id: str | None = None) -> list[str]:
    start = PREFIX + (digest_hex(chain_id) + "-" if chain_id else "")
    try:
        return [n for n in os.listdir(store.snapshots_dir) if n.startswith(start)]
    except FileNotFoundError:
        return []


def give(store: Store, chain_id: str, tree: str) -> None:
    """Keep ``tree`` (the files of the layers ending in ``chain_id``) for a later ``take``."""
    path = os.path.join(
        store.snapshots_dir, f"{PREFIX}{digest_hex(chain_id)}-{secrets.token_hex(4)}"
    )
    try:
        os.rename(tree, path)
        os.utime(path)  # the eviction order: last given, last out
    except OSError:
        return  # the caller deletes the tree as before
    _evict(store)


def settle(changes: Iterable[Change]) -> None:
    """Make a RUN step's tree what extracting its new layer would give, before it is handed on:
    mtimes as the layer recorded them (whole seconds, SOURCE_DATE_EPOCH), no sockets (a layer
    cannot hold one). Only the changed entries are touched."""
    epoch = source_date_epoch()
    for ch in changes:
        if ch.host_path is None:
            continue
        st = os.lstat(ch.host_path)
        if stat.S_ISSOCK(st.st_mode):
            os.unlink(ch.host_path)
            continue
        ns = layer_mtime(st.st_mtime, epoch) * 1_000_000_000
        if ns != st.st_mtime_ns:
            os.utime(ch.host_path, ns=(ns, ns), follow_symlinks=False)


def give_if_unchanged(store: Store, diff_ids: list[str], tree: str, manifest: str) -> None:
    """Keep a finished container's tree if it still equals its image (per the manifest taken
    when it was made): a ``run --rm`` that wrote nothing. Costs one walk of the tree's inodes.

    A directory whose only change is its times counts as unchanged: PRoot's binds over missing
    paths (/etc/hosts in a minimal image) touch their parent, and the entries below a directory
    are compared one by one anyway. (An xattr set on a directory is missed that way.)"""
    if not diff_ids:
        return
    try:
        before = load_manifest(manifest)
    except (OSError, ValueError):
        return
    for ch in compare_changes(tree, before):
        st = os.lstat(ch.host_path) if ch.host_path else None
        old = before.get(ch.path)
        if st is None or old is None or not stat.S_ISDIR(st.st_mode):
            return
        if [st.st_mode, st.st_uid, st.st_gid, st.st_ino] != [old[0], old[1], old[2], old[6]]:
            return
    give(store, chain_ids(diff_ids)[-1], tree)


def take(store: Store, chain_ids: list[str], dest: str, *, at_least: int = 1) -> int:
    """Move the ready tree with the most of ``chain_ids`` (an image's chain, bottom first), and
    at least ``at_least`` of them, to ``dest`` (which must not exist); returns how many layers
    it holds, 0 if there is none. (Fewer layers than a flat base holds would mean extracting
    more in Python than ``cp -a`` costs.)"""
    for n in range(len(chain_ids), max(at_least, 1) - 1, -1):
        for name in _names(store, chain_ids[n - 1]):
            try:
                os.rename(os.path.join(store.snapshots_dir, name), dest)
                return n
            except OSError:
                continue  # another process took it first
    return 0


def _evict(store: Store) -> None:
    aged = []
    for name in _names(store):
        try:
            aged.append((os.stat(os.path.join(store.snapshots_dir, name)).st_mtime_ns, name))
        except FileNotFoundError:
            continue
    for _mtime, name in sorted(aged)[:-MAX_READY]:
        claim = os.path.join(store.tmp_path("ready-evict"), "tree")
        try:
            os.rename(os.path.join(store.snapshots_dir, name), claim)
        except OSError:
            pass  # taken meanwhile
        safe_rmtree(os.path.dirname(claim))
