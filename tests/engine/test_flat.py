"""Copy mode (PRoot) copies one extracted tree of the base image instead of re-extracting layers.

What users rely on: a container's files are exactly the image's (compared entry by entry with a
plain extraction of every layer), a container can never change the shared tree, a build's
steps and rebuilt versions share the base's tree, and `system prune` removes it once no image
uses it.
"""

from __future__ import annotations

import hashlib
import os
import stat

from docker_magics.api import Engine, RunOptions
from docker_magics.layer.mtree import walk
from docker_magics.oci.digest import chain_ids
from docker_magics.snapshot.flat import PREFIX
from docker_magics.snapshot.unpack import unpack_into

from ..capture import run_sh, run_sh_split


def _flats(engine: Engine) -> list[str]:
    return sorted(n for n in os.listdir(engine.store.snapshots_dir) if n.startswith(PREFIX))


def _tree(root: str) -> dict[str, tuple]:
    out = {}
    for rel, st in walk(root):
        path = os.path.join(root, rel)
        if stat.S_ISREG(st.st_mode):
            with open(path, "rb") as fh:
                what: object = hashlib.sha256(fh.read()).hexdigest()
        elif stat.S_ISLNK(st.st_mode):
            what = os.readlink(path)
        else:
            what = None
        mtime = None if stat.S_ISDIR(st.st_mode) else st.st_mtime_ns
        out[rel] = (st.st_mode, st.st_uid, st.st_gid, mtime, what)
    return out


def test_builds_share_the_base_tree_and_containers_match_the_layers(copy_engine, tmp_path):
    engine = copy_engine
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        "FROM busybox\nRUN echo 1 > /a && ln -s /a /link && rm /bin/true\nRUN echo 2 > /b\n"
    )
    engine.build(str(ctx), tags=["app:1"])
    base = engine.image("busybox:latest")
    assert _flats(engine) == [PREFIX + chain_ids(list(base.diff_ids))[-1].split(":")[1]]
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN echo 3 > /a\nRUN echo 4 > /b\n")
    engine.build(str(ctx), tags=["app:2"])
    assert len(_flats(engine)) == 1  # the second version reuses the base's tree
    assert run_sh_split(engine, "app:1", "cat /a /b /link; ls /bin/true") == (
        1,
        "1\n2\n1\n",
        "ls: /bin/true: No such file or directory\n",
    )
    # Entry for entry, a container's tree is a plain extraction of all the image's layers.
    image = engine.image("app:1")
    c = engine.create(RunOptions(image="app:1", command=["true"]))
    expected = tmp_path / "expected"
    expected.mkdir()
    for layer, diff_id in zip(image.layers, image.diff_ids):
        unpack_into(engine.store, layer, diff_id, str(expected), overlay=False)
    got = os.path.join(engine.store.containers.dir(c.id), "rootfs")
    assert _tree(got) == _tree(str(expected))
    engine.rm(c.id, force=True)


def test_a_container_cannot_change_the_shared_tree(copy_engine):
    engine = copy_engine
    assert run_sh(engine, "busybox", "rm -rf /usr/bin /etc/group && echo gone") == (0, "gone\n")
    assert _flats(engine)  # made by that first container
    assert run_sh(engine, "busybox", "ls /usr/bin/wget && head -1 /etc/group") == (
        0,
        "/usr/bin/wget\nroot:x:0:\n",
    )


def test_prune_removes_unused_trees(copy_engine, tmp_path):
    engine = copy_engine
    assert run_sh(engine, "busybox", "true")[0] == 0
    assert len(_flats(engine)) == 1
    engine.prune()
    assert len(_flats(engine)) == 1, "kept while busybox is in the store"
    engine.rmi("busybox:latest")
    engine.prune()
    assert _flats(engine) == []
