"""Comparing file trees from tars, unpacked bundles and our snapshots."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import tarfile


def tar_listing(path: str) -> dict[str, str]:
    """name -> what it is (file content hash, link target, or dir), from a (compressed) tar."""
    out: dict[str, str] = {}
    with tarfile.open(path) as tar:
        for m in tar:
            name = os.path.normpath(m.name.lstrip("./") or ".")
            if name == ".":
                continue
            if m.isfile():
                fh = tar.extractfile(m)
                assert fh is not None
                out[name] = "file:" + hashlib.sha256(fh.read()).hexdigest()
            elif m.issym():
                out[name] = "link:" + m.linkname
            elif m.isdir():
                out[name] = "dir"
            elif m.islnk():
                out[name] = "hard:" + m.linkname
    return out


def tree_listing(root: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = "link:" + os.readlink(path)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = "dir"
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as fh:
                    out[rel] = "file:" + hashlib.sha256(fh.read()).hexdigest()
    return out


def resolve_hardlinks(listing: dict[str, str]) -> dict[str, str]:
    return {k: (listing.get(v[5:], v) if v.startswith("hard:") else v) for k, v in listing.items()}


def run(argv: list[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True)
    assert proc.returncode == 0, f"{argv[0]} failed: {proc.stderr[-2000:]}"
    return proc.stdout


def store_state(engine) -> tuple[set[str], list, set[str]]:
    """Blobs, index entries and snapshots: what a failed pull must leave unchanged."""
    store = engine.store
    return (
        set(store.blobs.digests()),
        store.index.entries(),
        set(os.listdir(store.snapshots_dir)),
    )
