"""The shortcuts taken for speed (issue 7) give what the slow paths give."""

from __future__ import annotations

import os
import stat

from docker_magics.builder.record import list_records, previous_record
from docker_magics.snapshot.unpack import snapshot_path, unpack_into


def _tree(root: str) -> dict[str, tuple]:
    """Everything a lower dir contributes: type, mode, owner, content or link, xattrs."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as fh:
                    body: object = fh.read()
            elif stat.S_ISLNK(st.st_mode):
                body = os.readlink(path)
            else:
                body = st.st_rdev if stat.S_ISCHR(st.st_mode) else None
            attrs = sorted(
                (a, os.getxattr(path, a, follow_symlinks=False))
                for a in os.listxattr(path, follow_symlinks=False)
            )
            rel = os.path.relpath(path, root)
            # A whiteout (char device 0/0) only hides a name: overlayfs never shows it, and
            # its time is when it was made (the RUN's rm here, the unpacking there; the tar
            # entry says 0), so two correct trees differ in it once a second boundary passes.
            whiteout = stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
            mtime = None if whiteout else int(st.st_mtime)
            out[rel] = (st.st_mode, st.st_uid, st.st_gid, mtime, body, attrs)
    return out


def test_run_layer_snapshot_is_what_extraction_gives(engine, base_image, ctx, tmp_path):
    ctx.dockerfile(
        "FROM busybox:latest\n"
        "RUN mkdir -p /app/d && echo one > /app/a && ln /app/a /app/hard && "
        "ln -s a /app/link && chmod 0640 /app/a && rm /etc/group && "
        "chown 1000:1000 /app/d && touch /etc/passwd\n"
        "RUN test ! -e /etc/group && cat /app/hard > /app/copy\n"
    )
    result = engine.build(ctx.root, tags=["fast:1"])
    image = engine.image("fast:1")
    for layer, diff_id in zip(image.layers[1:], image.diff_ids[1:]):
        extracted = str(tmp_path / f"x-{diff_id[7:19]}")
        os.mkdir(extracted)
        unpack_into(engine.store, layer, diff_id, extracted, overlay=True)
        assert _tree(snapshot_path(engine.store, diff_id)) == _tree(extracted)
    assert all(not s["cached"] for s in result.steps[1:])


def test_previous_build_found_by_pointer_and_by_scan(engine, base_image, ctx):
    ctx.dockerfile("FROM busybox:latest\nRUN echo hi > /hi\n")
    first = engine.build(ctx.root, tags=["p:1"])
    second = engine.build(ctx.root, tags=["p:1"])
    dockerfile = os.path.join(ctx.root, "Dockerfile")
    assert second.record["previous"] == first.record_id
    assert previous_record(engine.store, dockerfile, [])["id"] == second.record_id
    # Without the pointer (an older store), the scan finds the same record.
    latest = os.path.join(engine.store.root, "builds", "latest")
    for name in os.listdir(latest):
        os.unlink(os.path.join(latest, name))
    assert previous_record(engine.store, dockerfile, [])["id"] == second.record_id
    assert len(list_records(engine.store)) == 2


def test_loaded_image_unpacks_on_first_run(engine, base_image, tmp_path):
    from docker_magics.api import Engine

    out = tmp_path / "saved.tar"
    with open(out, "wb") as fh:
        engine.save(["busybox:latest"], fh)
    other = Engine(str(tmp_path / "other"))
    other.load(str(out))
    image = other.image("busybox:latest")
    assert not os.path.exists(snapshot_path(other.store, image.diff_ids[0]))
    assert other.run("busybox:latest", ["/bin/busybox", "true"], remove=True) == 0
