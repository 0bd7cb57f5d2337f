"""Flat trees: a base image's whole filesystem as one plain directory, made once, copied natively.

Copy mode (PRoot, or no overlay mounts) gives every container and every RUN step a private tree.
Extracting node:20's ~40,000 files from its layer tarballs through Python takes ~15 s; ``cp -a``
of an already extracted tree takes ~2 s. So the first copy-mode container of an image extracts
the image's *base* once into ``snapshots/flat-<chain id>/`` and every container after that copies
that tree and extracts only the layers above it.

The base is the longest prefix of the image's layers that is the whole of a tagged image in the
store (``FROM node:20`` -> node:20), so a build's many intermediate states and every rebuilt
version of an app share one flat tree instead of each making its own; with no such prefix, the
image itself. ``system prune`` removes flat trees no image's chain ends at (``live_flat_names``).

A flat tree is never handed to a container itself, only copied, so nothing can write into it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ..layer.extract import safe_rmtree
from ..oci.digest import chain_ids, digest_hex
from ..store.images import Image
from ..store.store import Store
from .unpack import unpack_into

__all__ = ["flat_base", "ensure_flat", "copy_tree", "live_flat_names", "PREFIX"]

PREFIX = "flat-"


def _path(store: Store, chain_id: str) -> str:
    return os.path.join(store.snapshots_dir, PREFIX + digest_hex(chain_id))


def flat_base(store: Store, image: Image) -> int:
    """How many of ``image``'s bottom layers its flat tree holds (see the module docstring)."""
    ids = chain_ids(list(image.diff_ids))
    for n in range(len(ids), 0, -1):
        if os.path.isdir(_path(store, ids[n - 1])):
            return n  # an existing tree wins: no second extraction
    position = {c: i + 1 for i, c in enumerate(ids)}
    best = 0
    for other in store.images.all():
        if other.refs and other.manifest_digest != image.manifest_digest and other.diff_ids:
            n = position.get(chain_ids(list(other.diff_ids))[-1], 0)
            if n == len(other.diff_ids):
                best = max(best, n)
    return best or len(ids)


def ensure_flat(store: Store, image: Image, layers: int, name: str) -> str:
    """The flat tree of ``image``'s bottom ``layers`` layers, extracted now if not yet there."""
    chain = chain_ids(list(image.diff_ids))[layers - 1]
    path = _path(store, chain)
    if os.path.isdir(path):
        return path
    staging = store.tmp_path("flat")
    try:
        tree = os.path.join(staging, "tree")
        os.makedirs(tree)
        for layer, diff_id in list(zip(image.layers, image.diff_ids))[:layers]:
            unpack_into(store, layer, diff_id, tree, overlay=False, image=name)
        try:
            os.rename(tree, path)
        except OSError:
            if not os.path.isdir(path):  # not a concurrent twin that got there first
                raise
    finally:
        safe_rmtree(staging)
    return path


def copy_tree(src: str, dst: str) -> bool:
    """``cp -a`` src's contents into the empty dir dst (reflinks where the filesystem has them).

    False when cp is missing or fails (an unreadable file in a rootless tree, say): the caller
    then extracts from the layers as before, which does not depend on reading the tree.
    """
    cp = shutil.which("cp")
    if cp is None:
        return False
    done = subprocess.run(
        [cp, "-a", "--reflink=auto", "--no-target-directory", src, dst],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return done.returncode == 0 and not done.stderr


def live_flat_names(diff_id_chains: list[list[str]]) -> set[str]:
    """Directory names of the flat trees that may still serve an image with one of these chains."""
    names = set()
    for diff_ids in diff_id_chains:
        for chain in chain_ids(diff_ids):
            names.add(PREFIX + digest_hex(chain))
    return names
