"""`commit` and `diff`: a container's change set, as a listing or as a new image layer."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from ..layer.generate import Change, compare_changes, upper_changes, write_layer
from ..layer.mtree import load_manifest
from ..layer.owner import owner_ops
from ..oci.image import derive_config, descriptor, history_entry
from ..oci.mediatypes import OCI_LAYER
from ..phases import phase
from ..snapshot.prepare import MANIFEST_NAME, RootfsPlan
from ..store.containers import Container
from ..store.images import Image
from ..store.store import Store
from .changes import apply_change
from .containers import plan_of

__all__ = ["container_changes", "commit_container", "diff_lines"]


def _exists_below(lowers: tuple[str, ...]):  # type: ignore[no-untyped-def]
    def check(rel: str) -> bool:
        for lower in lowers:
            try:
                st = os.lstat(os.path.join(lower, rel))
            except (FileNotFoundError, NotADirectoryError):
                continue
            return not (stat.S_ISCHR(st.st_mode) and st.st_rdev == 0)
        return False

    return check


def _changes(plan: RootfsPlan, cdir: str) -> Iterator[Change]:
    if plan.mode == "overlay":
        assert plan.upperdir is not None
        return upper_changes(plan.upperdir, _exists_below(plan.lowerdirs))
    assert plan.directory is not None
    return compare_changes(plan.directory, load_manifest(os.path.join(cdir, MANIFEST_NAME)))


def container_changes(store: Store, c: Container) -> list[Change]:
    with phase("changes"):
        return list(_changes(plan_of(store, c), store.containers.dir(c.id)))


def diff_lines(store: Store, c: Container) -> list[str]:
    """Docker's `diff` listing: `A|C|D /path`, sorted by path."""
    return [f"{ch.kind} /{ch.path}" for ch in container_changes(store, c)]


# The parts of a container's config that `run` options change and an image config holds.
RUN_CONFIG = ("Env", "WorkingDir", "User")


def commit_container(
    store: Store,
    c: Container,
    *,
    ref: str | None,
    message: str | None = None,
    author: str | None = None,
    changes: list[str] | None = None,
) -> Image:
    base = store.images.load(c.manifest_digest)
    with store.blobs.writer() as writer:
        with phase("changes"):
            changes_ = list(_changes(plan_of(store, c), store.containers.dir(c.id)))
        with phase("layer"):
            write_layer(iter(changes_), writer, owner_ops())  # type: ignore[arg-type]
            diff_id = writer.commit()
    cfg = dict(base.config.get("config") or {})
    # What `run -e/-w/-u` set is the container's config, and `docker commit` keeps it: a
    # container run with `-w /app` commits an image whose `CMD node app.js` runs in /app.
    for key in RUN_CONFIG:
        if key in c.config:
            cfg[key] = c.config[key]
    for change in changes or []:
        apply_change(cfg, change)
    created_by = " ".join(c.argv)
    hist = history_entry(created_by, comment=message, author=author)
    config = derive_config(
        base.config, diff_id=diff_id, history=hist, container_config=cfg, author=author
    )
    layers = [*base.layers, descriptor(OCI_LAYER, diff_id, store.blobs.size(diff_id))]
    image = store.images.create(config, layers)
    if ref:
        store.images.tag(image, ref)
    else:
        store.images.keep_untagged(image)
    return image
