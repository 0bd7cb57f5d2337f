"""Image verbs against a real store on disk: import, images, tag, rmi, history, inspect."""

from __future__ import annotations

import json
import os

import pytest

from docker_magics.errors import ConflictError, ImageReferenceError, LayerError, NotFoundError
from tests.rootfs import member, tar_bytes


def test_import_tags_and_unpacks(engine, busybox_tar):
    image = engine.import_image(busybox_tar, "busybox", message="base")
    assert image.id.startswith("sha256:")
    assert engine.image("busybox:latest").id == image.id
    assert engine.image("docker.io/library/busybox").id == image.id
    assert engine.image(image.id[7:19]).id == image.id
    # the layer is stored uncompressed, so its digest is its diff_id, and it is unpacked once
    (diff_id,) = image.diff_ids
    assert image.layers[0]["digest"] == diff_id
    snap = os.path.join(engine.store.snapshots_dir, diff_id[7:])
    assert os.path.isfile(os.path.join(snap, "bin", "busybox"))
    assert engine.check().ok


def test_same_tree_same_digest(engine, busybox_tar):
    a = engine.import_image(busybox_tar, "a")
    b = engine.import_image(busybox_tar, "b")
    assert a.diff_ids == b.diff_ids


def test_tag_and_rmi(engine, base_image):
    engine.tag(base_image, "mybox:1")
    assert engine.image("mybox:1").id == engine.image(base_image).id
    assert engine.rmi("mybox:1") == ["Untagged: mybox:1"]
    assert engine.image(base_image)
    out = engine.rmi(base_image)
    assert out[0] == "Untagged: busybox:latest" and out[-1].startswith("Deleted: sha256:")
    with pytest.raises(NotFoundError):
        engine.image(base_image)


def test_history_and_inspect(engine, base_image):
    rows = engine.history(base_image)
    assert len(rows) == 1
    assert rows[0].comment == "busybox rootfs"
    assert rows[0].created_by.startswith("Imported from")
    assert rows[0].image == engine.image(base_image).id
    info = engine.inspect(base_image)
    assert info["RepoTags"] == ["busybox:latest"]
    assert info["RootFS"]["Layers"] == engine.image(base_image).diff_ids


def test_bad_references(engine, busybox_tar):
    with pytest.raises(ImageReferenceError):
        engine.import_image(busybox_tar, "library/UPPER")
    with pytest.raises(NotFoundError):
        engine.image("nosuchimage")
    assert engine.images() == []


@pytest.mark.parametrize(
    "bad",
    [
        [(member("/etc/passwd"), b"x")],
        [(member("../escape"), b"x")],
        [(member("a/../../escape"), b"x")],
        [(member("link", b"1", linkname="../../etc/passwd"), None)],
        [(member("f"), b"x"), (member("h", b"1", linkname="/nonexistent/x"), None)],
    ],
    ids=["absolute", "dotdot", "dotdot-deep", "hardlink-out", "hardlink-missing"],
)
def test_hostile_import_leaves_store_unchanged(engine, tmp_path, bad):
    path = tmp_path / "bad.tar"
    path.write_bytes(tar_bytes(bad))
    before = sorted(os.listdir(engine.store.blobs.dir))
    with pytest.raises(LayerError):
        engine.import_image(str(path), "bad")
    assert sorted(os.listdir(engine.store.blobs.dir)) == before
    assert os.listdir(engine.store.tmp_dir) == []
    assert engine.images() == []


def test_symlink_escape_is_contained(engine, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    layer = tar_bytes(
        [
            (member("etc", b"2", linkname=str(outside)), None),
            (member("etc/pwned"), b"gotcha"),
        ]
    )
    path = tmp_path / "sym.tar"
    path.write_bytes(layer)
    image = engine.import_image(str(path), "sym")
    assert list(outside.iterdir()) == []
    snap = os.path.join(engine.store.snapshots_dir, image.diff_ids[0][7:])
    # the write through the absolute link landed inside the snapshot, at the link's target
    assert open(os.path.join(snap, str(outside).lstrip("/"), "pwned")).read() == "gotcha"


def test_corrupt_archive(engine, tmp_path):
    path = tmp_path / "corrupt.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(200))
    with pytest.raises(LayerError):
        engine.import_image(str(path), "corrupt")
    assert engine.images() == []


def test_prune_removes_unreferenced(engine, base_image, busybox_tar):
    engine.import_image(busybox_tar, None)  # same layer, dangling image
    engine.rmi(base_image)
    report = engine.prune()
    assert report.blobs >= 1 and report.snapshots == 1
    assert list(engine.store.blobs.digests()) == []
    assert json.load(open(os.path.join(engine.store.root, "index.json")))["manifests"] == []


def test_rmi_in_use_refused(engine, base_image):
    c = engine.store.containers.create(
        {
            "image": engine.image(base_image).id,
            "image_ref": base_image,
            "manifest_digest": engine.image(base_image).manifest_digest,
            "config": {},
            "argv": ["true"],
            "rootfs_mode": "copy",
            "runtime": "proot",
        },
        "user",
    )
    with pytest.raises(ConflictError):
        engine.rmi(engine.image(base_image).id)
    assert c.name == "user"
