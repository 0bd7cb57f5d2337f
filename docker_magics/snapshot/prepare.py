"""Root filesystems for containers, described, never mounted: the runtime does the mounting.

overlay: the image's unpacked layers as lower dirs plus a per-container upper dir.
copy:    a private flattened tree (for PRoot, or where overlay mounts are refused) and a manifest of
         it, so a later commit can find what changed by comparison; copied from the base image's
         extracted tree (``flat``) with only the layers above it extracted.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from ..layer.extract import safe_rmtree
from ..layer.mtree import save_manifest, take_manifest
from ..oci.digest import chain_ids
from ..phases import phase
from ..store.images import Image
from ..store.store import Store
from .flat import copy_tree, ensure_flat, flat_base
from .ready import MANIFEST_NAME, ORIGIN_NAME, take, take_any
from .unpack import ensure_unpacked, unpack_into

__all__ = ["RootfsPlan", "prepare_overlay", "prepare_copy", "lower_dirs", "MANIFEST_NAME"]


@dataclass(frozen=True)
class RootfsPlan:
    mode: str  # "overlay" or "copy"
    lowerdirs: tuple[str, ...] = ()  # top-most first
    upperdir: str | None = None
    workdir: str | None = None
    mountpoint: str | None = None
    directory: str | None = None


def image_name(image: Image) -> str:
    """How errors name an image: its first tag, else its short ID."""
    return image.refs[0] if image.refs else image.id.removeprefix("sha256:")[:12]


def lower_dirs(store: Store, image: Image) -> list[str]:
    """Unpack (once; pulled and loaded images arrive packed) and list the image's layers,
    top-most first. A layer whose content does not match its diff_id is refused here."""
    name = image_name(image)
    dirs = [
        ensure_unpacked(store, layer, diff_id, image=name)
        for layer, diff_id in zip(image.layers, image.diff_ids)
    ]
    return list(reversed(dirs))


def _empty_lower(store: Store) -> str:
    # overlay needs at least one lower dir; an image with no layers (FROM scratch) gets this one.
    path = os.path.join(store.snapshots_dir, "empty")
    os.makedirs(path, exist_ok=True)
    return path


def prepare_overlay(store: Store, image: Image, cdir: str) -> RootfsPlan:
    lowers = lower_dirs(store, image) or [_empty_lower(store)]
    for sub in ("upper", "work", "merged"):
        os.makedirs(os.path.join(cdir, sub), exist_ok=True)
    return RootfsPlan(
        mode="overlay",
        lowerdirs=tuple(lowers),
        upperdir=os.path.join(cdir, "upper"),
        workdir=os.path.join(cdir, "work"),
        mountpoint=os.path.join(cdir, "merged"),
    )


def prepare_copy(store: Store, image: Image, cdir: str) -> RootfsPlan:
    rootfs = os.path.join(cdir, "rootfs")
    with phase("rootfs"):
        origin = _fill_copy(store, image, rootfs)
    with open(os.path.join(cdir, ORIGIN_NAME), "w") as fh:
        json.dump(origin, fh)
    with phase("manifest"):
        save_manifest(take_manifest(rootfs), os.path.join(cdir, MANIFEST_NAME))
    return RootfsPlan(mode="copy", directory=rootfs)


def _fill_copy(store: Store, image: Image, rootfs: str) -> dict[str, Any]:
    """Fill ``rootfs``; returns its origin (the flat tree it came from, see ready.py)."""
    if os.path.exists(rootfs):
        safe_rmtree(rootfs)
    name = image_name(image)
    pairs = list(zip(image.layers, image.diff_ids))
    origin: dict[str, Any] = {"base": None, "base_layers": 0}
    done = 0
    if pairs:
        base = flat_base(store, image)
        chains = chain_ids(list(image.diff_ids))
        # A kept tree: as it is if it holds (at least the base of) these layers, else any of
        # the same base made the base again; only without one is the base's tree copied.
        kept = take(store, chains, rootfs, at_least=base)
        if kept is not None:
            done = kept["held"]
            origin = {"base": kept["base"], "base_layers": kept["base_layers"]}
        else:
            flat = ensure_flat(store, image, base, name)
            if take_any(store, chains[base - 1], flat, rootfs) or _copy(flat, rootfs):
                done = base
                origin = {"base": chains[base - 1], "base_layers": base}
    if not os.path.isdir(rootfs):
        os.makedirs(rootfs)
    for layer, diff_id in pairs[done:]:
        unpack_into(store, layer, diff_id, rootfs, overlay=False, image=name)
    return origin


def _copy(flat: str, rootfs: str) -> bool:
    os.makedirs(rootfs)
    if copy_tree(flat, rootfs):
        return True
    safe_rmtree(rootfs)  # the layers are extracted instead
    return False


def plan_for(cdir: str, mode: str, store: Store, image: Image) -> RootfsPlan:
    """The plan of an existing container (its directories were made at create time)."""
    if mode == "copy":
        return RootfsPlan(mode="copy", directory=os.path.join(cdir, "rootfs"))
    return RootfsPlan(
        mode="overlay",
        lowerdirs=tuple(lower_dirs(store, image) or [_empty_lower(store)]),
        upperdir=os.path.join(cdir, "upper"),
        workdir=os.path.join(cdir, "work"),
        mountpoint=os.path.join(cdir, "merged"),
    )
