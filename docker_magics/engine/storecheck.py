"""`system check` beyond blobs and references: snapshots, build cache, build records, tmp/, mode.

Each function returns (problems, warnings). A problem is something wrong in the store (a
snapshot that changed after it was unpacked, a cache entry naming a blob that is gone, a record
that is not JSON); a warning is something the user should know that is not damage: leftovers of a
killed process that `system prune` removes, a snapshot made before digests were recorded, a store
other users can read.
"""

from __future__ import annotations

import json
import os
import re
import stat

from ..oci.digest import digest_hex
from ..snapshot.flat import PREFIX as FLAT_PREFIX
from ..snapshot.treedigest import recorded_tree, tree_digest
from ..store.store import Store

__all__ = ["check_snapshots", "check_cache", "check_records", "check_tmp", "check_private"]

Findings = tuple[list[str], list[str]]
_HEX = re.compile(r"^[0-9a-f]{64}$")
# tmp/ entries are named PREFIX-PID-RANDOM (Store.tmp_path, blob writers, container staging).
_TMP_OWNER = re.compile(r"-(\d+)-[^-]+$")


def check_snapshots(store: Store) -> Findings:
    """Every unpacked layer's tree against the digest recorded when it was put in place."""
    problems: list[str] = []
    warnings: list[str] = []
    for name in sorted(os.listdir(store.snapshots_dir)):
        path = os.path.join(store.snapshots_dir, name)
        if name == "empty" or name.startswith(FLAT_PREFIX) or not _HEX.match(name):
            continue  # flat trees are only ever copied from, and rebuilt by prune's rules
        expected = recorded_tree(store, name)
        if expected is None:
            warnings.append(
                f"snapshot sha256:{name} has no recorded tree digest (unpacked by an older "
                "version), so it was not verified"
            )
            continue
        try:
            digest = tree_digest(path)
        except FileNotFoundError:
            continue  # removed while we read it (`system prune`, or by hand to re-unpack)
        if digest != expected:
            problems.append(
                f"snapshot sha256:{name} changed after it was unpacked (its tree no longer "
                "matches the digest recorded for that diff_id); remove the directory "
                f"{path} and it is unpacked again from the layer on next use"
            )
    return problems, warnings


def _blob_names(entry: dict) -> list[str]:
    names = [entry.get("image"), entry.get("config")]
    layer = entry.get("layer")
    if isinstance(layer, dict):
        names.append(layer.get("digest"))
    return [n for n in names if isinstance(n, str)]


def check_cache(store: Store) -> Findings:
    """Build-cache entries: readable, filed under their own key, naming blobs that exist."""
    problems: list[str] = []
    cache = os.path.join(store.root, "cache")
    for name in sorted(os.listdir(cache)) if os.path.isdir(cache) else []:
        if not (name.startswith("key-") and name.endswith(".json")):
            continue
        where = f"build cache entry cache/{name}"
        try:
            with open(os.path.join(cache, name), encoding="utf-8") as fh:
                entry = json.load(fh)
            key = entry["key"]
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(f"{where} is not a cache entry (unreadable or not JSON); remove it")
            continue
        if not isinstance(key, str) or f"key-{digest_hex(key)}.json" != name:
            problems.append(f"{where} holds the entry of another key; remove it")
            continue
        for digest in _blob_names(entry):
            if not store.blobs.has(digest):
                problems.append(f"{where} names blob {digest}, which is missing")
    return problems, []


def check_records(store: Store) -> Findings:
    """Build records: JSON named after their id, and every `latest` pointer naming one."""
    problems: list[str] = []
    builds = os.path.join(store.root, "builds")
    names = sorted(os.listdir(builds)) if os.path.isdir(builds) else []
    for name in names:
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(builds, name), encoding="utf-8") as fh:
                record_id = json.load(fh)["id"]
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(f"build record builds/{name} is unreadable or not JSON")
            continue
        if f"{record_id}.json" != name:
            problems.append(f"build record builds/{name} holds the record of build {record_id}")
    latest = os.path.join(builds, "latest")
    for name in sorted(os.listdir(latest)) if os.path.isdir(latest) else []:
        try:
            with open(os.path.join(latest, name), encoding="utf-8") as fh:
                target = fh.read().strip()
        except (OSError, UnicodeDecodeError):
            target = ""
        if (
            not target
            or "/" in target
            or not os.path.isfile(os.path.join(builds, f"{target}.json"))
        ):
            problems.append(
                f"builds/latest/{name} names build record {target or '(nothing)'}, which is missing"
            )
    return problems, []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def check_tmp(store: Store) -> Findings:
    """tmp/: what a killed or crashed operation left (prune removes it); live work is skipped."""
    warnings = []
    for name in sorted(os.listdir(store.tmp_dir)):
        owner = _TMP_OWNER.search(name)
        if owner and _alive(int(owner.group(1))):
            continue  # still being written by a running operation
        by = f"process {owner.group(1)}, which has ended" if owner else "an unknown process"
        warnings.append(f"tmp/{name} was left by {by}; `system prune` removes it")
    return [], warnings


def check_private(store: Store) -> Findings:
    """Warn when other users can read the store: images, containers' files, build records."""
    mode = stat.S_IMODE(os.stat(store.root).st_mode)
    if mode & 0o077 == 0:
        return [], []
    return [], [
        f"the store {store.root} is mode {mode:04o}: other users can read its images, "
        f"containers' files and build records (run `chmod 700 {store.root}`)"
    ]
