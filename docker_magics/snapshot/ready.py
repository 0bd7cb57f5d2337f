"""Kept trees: copy-mode container trees reused, so containers and RUN steps start without
copying the whole image and end without deleting it.

Copy mode (PRoot, Binder) gives every container and RUN step a private tree of the image's
files: for node:20 a ``cp -a`` of ~40,000 files, and as much again to delete it afterwards (on
a loaded disk each takes tens of seconds). Instead a finished tree is kept as
``snapshots/ready-<token>/`` with a record ``ready-<token>.json``:

- ``base``/``base_layers``: the flat tree (flat.py) it was first copied from, and its layers;
- ``layers``: the blob digests of the image layers extracted on top of that base;
- ``dirty``: the paths its containers changed (a RUN step's new layer, a container's diff);
- ``chain``: the chain id of the layers it holds exactly, or null once a container changed it.

A new container takes, in this order: a tree holding exactly (a prefix of at least the base of)
its image's layers, as it is (a RUN step's tree is the next step's start; an unchanged
``run --rm`` tree is the next run's); else any tree of the same base, made the base again by
restore.py (only the recorded paths are touched); else nothing, and the base is copied.

Renames make it safe between processes: of two takers of one tree, one rename fails and that one
goes on; an evicted tree is claimed by a rename into tmp/ before it is deleted. At most
``MAX_READY`` trees are kept (each is a whole image), the least recently given first out.
``system prune`` removes them all (their names are never live).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import threading
from collections.abc import Iterable
from typing import Any

from ..layer.extract import safe_rmtree
from ..layer.generate import Change, compare_changes
from ..layer.mtree import load_manifest
from ..layer.tarwriter import layer_mtime, source_date_epoch
from ..store.store import Store
from .restore import layer_paths, restore

__all__ = [
    "PREFIX",
    "MAX_READY",
    "ORIGIN_NAME",
    "give",
    "keep",
    "keep_finished",
    "settle",
    "take",
    "take_any",
]

PREFIX = "ready-"
MAX_READY = 2
ORIGIN_NAME = "rootfs.origin.json"  # in a container's dir: base and base_layers of its tree
MANIFEST_NAME = "rootfs.mtree.json"  # in a container's dir: its tree's inodes when made


def _records(store: Store) -> list[tuple[str, dict[str, Any]]]:
    """(tree path, record) of every kept tree, most recently given first."""
    found = []
    try:
        names = os.listdir(store.snapshots_dir)
    except FileNotFoundError:
        return []
    for name in names:
        if not (name.startswith(PREFIX) and name.endswith(".json")):
            continue
        path = os.path.join(store.snapshots_dir, name)
        try:
            with open(path) as fh:
                record = json.load(fh)
            found.append((os.stat(path).st_mtime_ns, path[: -len(".json")], record))
        except (OSError, ValueError):
            continue
    return [(tree, record) for _t, tree, record in sorted(found, key=lambda f: -f[0])]


def give(store: Store, tree: str, record: dict[str, Any]) -> None:
    """Keep ``tree`` with its record (see the module docstring) for a later ``take``."""
    path = os.path.join(store.snapshots_dir, PREFIX + secrets.token_hex(8))
    try:
        with open(path + ".json.tmp", "w") as fh:
            json.dump(record, fh)
        os.rename(tree, path)
        os.rename(path + ".json.tmp", path + ".json")  # written last: a record means a tree
    except OSError:
        for leftover in (path + ".json.tmp", path + ".json"):
            if os.path.exists(leftover):
                os.unlink(leftover)
        return  # the caller deletes the tree as before
    _evict(store)


def keep(
    store: Store, cdir: str, layers: list[dict[str, Any]], chain: str | None, dirty: list[str]
) -> None:
    """Keep the tree of the container in ``cdir``: its image's ``layers`` (descriptors), the
    chain id it holds exactly (None if changed), the paths its container changed."""
    try:
        with open(os.path.join(cdir, ORIGIN_NAME)) as fh:
            origin = json.load(fh)
    except (OSError, ValueError):
        return  # made before records existed: deleted as before
    n = origin.get("base_layers", 0)
    record = {
        "base": origin.get("base"),
        "base_layers": n,
        "layers": [layer["digest"] for layer in layers[n:]],
        "dirty": dirty,
        "chain": chain,
    }
    give(store, os.path.join(cdir, "rootfs"), record)


def keep_finished(store: Store, cdir: str, layers: list[dict[str, Any]], chain: str) -> None:
    """Keep a finished container's tree, as its image's (``chain``) if it changed nothing.

    Finding out costs one walk of the tree's inodes against the manifest taken when it was
    made. A directory whose only change is its times counts as unchanged: PRoot's binds over
    missing paths (/etc/hosts in a minimal image) touch their parent, and the entries below a
    directory are compared one by one anyway. (An xattr set on a directory is missed so.)"""
    tree = os.path.join(cdir, "rootfs")
    try:
        before = load_manifest(os.path.join(cdir, MANIFEST_NAME))
    except (OSError, ValueError):
        return
    dirty = []
    for ch in compare_changes(tree, before):
        st = os.lstat(ch.host_path) if ch.host_path else None
        old = before.get(ch.path)
        if st is None or old is None or not stat.S_ISDIR(st.st_mode):
            dirty.append(ch.path)
        elif [st.st_mode, st.st_uid, st.st_gid, st.st_ino] != [old[0], old[1], old[2], old[6]]:
            dirty.append(ch.path)
    keep(store, cdir, layers, None if dirty else chain, dirty)


def _claim(tree: str, dest: str) -> bool:
    try:
        os.rename(tree, dest)
    except OSError:
        return False  # another process took it first
    try:
        os.unlink(tree + ".json")
    except FileNotFoundError:
        pass
    return True


def take(store: Store, chains: list[str], dest: str, *, at_least: int) -> dict[str, Any] | None:
    """Move a tree holding exactly the first n (n >= ``at_least``, the most there is) of an
    image's layers (``chains``: its chain ids, bottom first) to ``dest``; return its record
    with ``n`` in "held", or None."""
    by_chain: dict[str, tuple[str, dict[str, Any]]] = {}
    for tree, record in _records(store):
        if record.get("chain"):
            by_chain.setdefault(record["chain"], (tree, record))
    for n in range(len(chains), max(at_least, 1) - 1, -1):
        found = by_chain.get(chains[n - 1])
        if found is not None and _claim(found[0], dest):
            return {**found[1], "held": n}
    return None


def take_any(store: Store, base: str, base_tree: str, dest: str) -> bool:
    """Move any tree first copied from the flat tree ``base_tree`` (chain id ``base``) to
    ``dest`` and make it that tree again; False if there is none (or it could not be)."""
    for tree, record in _records(store):
        if record.get("base") != base or not _claim(tree, dest):
            continue
        paths, opaque = layer_paths(store, record.get("layers", []))
        if restore(dest, base_tree, paths | set(record.get("dirty", [])), opaque):
            return True
        safe_rmtree(dest)
        return False
    return False


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


def _evict(store: Store) -> None:
    """Claim the trees beyond MAX_READY and delete them in a background thread: deleting
    40,000 files takes tens of seconds on a busy disk, which no cell should wait for. If the
    process exits first (a CLI command), the claimed dir stays in tmp/ under our pid, and
    ``system prune`` removes it as the leftover of a process that is gone."""
    claimed = []
    for tree, _record in _records(store)[MAX_READY:]:
        claim = os.path.join(store.tmp_path("ready-evict"), "tree")
        _claim(tree, claim)
        claimed.append(os.path.dirname(claim))
    if claimed:
        threading.Thread(target=_delete, args=(store, claimed), daemon=True).start()


def _delete(store: Store, paths: list[str]) -> None:
    try:
        with store.writing("deleting kept trees"):  # a prune meanwhile waits, not races us
            for path in paths:
                safe_rmtree(path)
    except OSError:
        pass  # left to system prune
