"""`system check` and `system prune`: verify the store (blobs and references here, the rest in
storecheck.py); remove what nothing uses."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from ..errors import StoreError
from ..layer.extract import safe_rmtree
from ..oci.digest import digest_hex
from ..snapshot.flat import live_flat_names
from ..snapshot.treedigest import records_dir
from ..store.lock import locked
from ..store.store import Store
from .netpods import drop_stale, stale_records
from .storecheck import check_cache, check_private, check_records, check_snapshots, check_tmp

__all__ = ["check_store", "prune_store", "CheckReport", "PruneReport", "referenced_blobs"]


@dataclass
class CheckReport:
    blobs: int = 0
    images: int = 0
    containers: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class PruneReport:
    blobs: int = 0
    snapshots: int = 0
    images: int = 0
    containers: int = 0
    tmp: int = 0
    bytes_freed: int = 0


def check_store(store: Store) -> CheckReport:
    report = CheckReport()
    for digest in store.blobs.digests():
        report.blobs += 1
        if not store.blobs.verify(digest):
            report.problems.append(f"blob {digest} does not match its digest")
    for entry in store.index.entries():
        report.images += 1
        where = entry.ref or entry.digest
        try:
            manifest = json.loads(store.blobs.read_bytes(entry.digest))
            needed = [manifest["config"]["digest"]] + [x["digest"] for x in manifest["layers"]]
            config = json.loads(store.blobs.read_bytes(manifest["config"]["digest"]))
        except (StoreError, KeyError, ValueError) as exc:
            report.problems.append(f"image {where}: {exc}")
            continue
        for digest in needed:
            if not store.blobs.has(digest):
                report.problems.append(f"image {where}: missing blob {digest}")
        n_diff = len(config.get("rootfs", {}).get("diff_ids", []))
        if n_diff != len(manifest["layers"]):
            report.problems.append(
                f"image {where}: {n_diff} diff_ids for {len(manifest['layers'])} layers"
            )
    for c in store.containers.all():
        report.containers += 1
        if not any(e.digest == c.manifest_digest for e in store.index.entries()):
            if not store.blobs.has(c.manifest_digest):
                report.problems.append(f"container {c.name}: its image {c.image} is gone")
    for check in (check_snapshots, check_cache, check_records, check_tmp, check_private):
        problems, warnings = check(store)
        report.problems += problems
        report.warnings += warnings
    for name in stale_records(store):
        report.warnings.append(
            f"netns/{name}: its namespace holder was killed; `system prune` removes the record"
        )
    return report


def referenced_blobs(store: Store) -> set[str]:
    manifests = {e.digest for e in store.index.entries()}
    manifests |= {c.manifest_digest for c in store.containers.all()}
    keep = set(manifests)
    for digest in manifests:
        try:
            manifest = json.loads(store.blobs.read_bytes(digest))
        except (StoreError, ValueError):
            continue
        keep.add(manifest["config"]["digest"])
        keep.update(x["digest"] for x in manifest.get("layers", []))
    for extra in _record_refs(store):
        keep.add(extra)
    return keep


def _record_refs(store: Store) -> set[str]:
    """Blobs that build records keep alive (the build cache)."""
    out: set[str] = set()
    cache = os.path.join(store.root, "cache")
    for name in os.listdir(cache) if os.path.isdir(cache) else []:
        try:
            with open(os.path.join(cache, name)) as fh:
                out.update(re.findall(r"sha256:[0-9a-f]{64}", fh.read()))
        except OSError:
            continue
    return out


def prune_store(store: Store, *, all_images: bool = False) -> PruneReport:
    """Remove stopped containers' leftovers in tmp/, dangling images and unreferenced blobs."""
    report = PruneReport()
    # Exclusive against every writer's shared hold: nothing is half-written while we sweep.
    with locked(store.lock_path("gc")):
        for name in os.listdir(store.tmp_dir):
            safe_rmtree(os.path.join(store.tmp_dir, name))
            report.tmp += 1
        cache = os.path.join(store.root, "cache")
        for name in os.listdir(cache) if os.path.isdir(cache) else []:
            if name.endswith(".lock"):  # a build step's claim (builder/cache.py): none is held
                os.unlink(os.path.join(cache, name))
        used = {c.manifest_digest for c in store.containers.all()}
        for entry in store.index.entries():
            if entry.ref is None and entry.digest not in used:
                store.index.remove_digest(entry.digest)
                report.images += 1
        keep = referenced_blobs(store)
        diff_ids: set[str] = set()
        chains: list[list[str]] = []
        for digest in keep:
            try:
                cfg = json.loads(store.blobs.read_bytes(digest))
            except (StoreError, ValueError, UnicodeDecodeError):
                continue
            if isinstance(cfg, dict) and "rootfs" in cfg:
                chains.append(list(cfg["rootfs"].get("diff_ids", [])))
                diff_ids.update(chains[-1])
        for digest in list(store.blobs.digests()):
            if digest not in keep:
                report.bytes_freed += store.blobs.size(digest)
                store.blobs.remove(digest)
                report.blobs += 1
        live = {digest_hex(d) for d in diff_ids} | {"empty"} | live_flat_names(chains)
        for name in os.listdir(store.snapshots_dir):
            if name not in live:
                safe_rmtree(os.path.join(store.snapshots_dir, name))
                report.snapshots += 1
        _drop_orphan_tree_records(store)
    drop_stale(store)
    return report


def _drop_orphan_tree_records(store: Store) -> None:
    """Tree digests of snapshots that are gone (pruned, or removed by hand to be unpacked anew)."""
    records = records_dir(store)
    for name in os.listdir(records) if os.path.isdir(records) else []:
        if not os.path.isdir(os.path.join(store.snapshots_dir, name)):
            try:
                os.unlink(os.path.join(records, name))
            except FileNotFoundError:
                pass
