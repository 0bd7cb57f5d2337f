"""Hostile `load` archives: each is refused with a DockerMagicsError and the store is unchanged
(same images, same blobs, nothing in tmp/), including an archive that first re-loads an image
the store already has and then fails."""

from __future__ import annotations

import io
import json
import os
import tarfile

import pytest

from docker_magics.errors import DockerMagicsError


def _members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def _pack(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buf.getvalue()


def _docker_form(files: dict[str, bytes], manifest) -> dict[str, bytes]:
    """The Docker-archive reading path (no index.json), with ``manifest`` as manifest.json."""
    out = {k: v for k, v in files.items() if k != "index.json"}
    out["manifest.json"] = json.dumps(manifest).encode()
    return out


def _cases(files: dict[str, bytes]) -> dict[str, bytes]:
    entry = json.loads(files["manifest.json"])[0]
    outside = ["../../etc/passwd"]
    bad_second = {**entry, "Layers": outside, "RepoTags": ["evil:1"]}
    missing = json.dumps({"manifests": [{"digest": "sha256:" + "a" * 64}]}).encode()
    return {
        "layer-path-dotdot": _pack(_docker_form(files, [{**entry, "Layers": outside}])),
        "config-absolute": _pack(_docker_form(files, [{**entry, "Config": "/etc/passwd"}])),
        "config-symlink-out": _pack(
            _docker_form(files, [{**entry, "Config": "evil"}]), {"evil": "/etc/passwd"}
        ),
        "manifest-not-a-list": _pack(_docker_form(files, {"Config": entry["Config"]})),
        "entry-not-an-object": _pack(_docker_form(files, [1])),
        "layers-not-a-list": _pack(_docker_form(files, [{**entry, "Layers": "abc"}])),
        "tags-not-a-list": _pack(_docker_form(files, [{**entry, "RepoTags": 5}])),
        "index-not-an-object": _pack({**files, "index.json": b"[]"}),
        "index-bad-digest": _pack(
            {**files, "index.json": json.dumps({"manifests": [{"digest": "sha256:zz"}]}).encode()}
        ),
        "index-missing-blob": _pack({**files, "index.json": missing}),
        "not-json": _pack(_docker_form(files, []) | {"manifest.json": b"{nope"}),
        "not-a-tar": b"\x00garbage" * 100,
        # The first entry is an image the store has already; the second one fails. Rolling back
        # must not take the first one's (shared) blobs with it.
        "known-then-bad": _pack(_docker_form(files, [entry, bad_second])),
    }


@pytest.fixture(scope="module")
def saved(tmp_path_factory, busybox_tar) -> dict[str, bytes]:
    from docker_magics.api import Engine

    eng = Engine(str(tmp_path_factory.mktemp("saver") / "store"))
    eng.import_image(busybox_tar, "busybox")
    buf = io.BytesIO()
    eng.save(["busybox"], buf)
    return _members(buf.getvalue())


def test_corpus_builds(saved):
    assert len(_cases(saved)) >= 12


@pytest.mark.parametrize("case", sorted(_cases({"manifest.json": b'[{"Config": "c"}]'})))
def test_hostile_load_is_refused(case, saved, engine, base_image, tmp_path):
    path = tmp_path / f"{case}.tar"
    path.write_bytes(_cases(saved)[case])
    before_blobs = set(engine.store.blobs.digests())
    before_refs = sorted(r for i in engine.images() for r in i.refs)
    with pytest.raises(DockerMagicsError):
        engine.load(str(path))
    assert set(engine.store.blobs.digests()) == before_blobs
    assert sorted(r for i in engine.images() for r in i.refs) == before_refs
    assert engine.check().ok, engine.check().problems
    assert os.listdir(os.path.join(engine.store.root, "tmp")) == []
    assert engine.run("busybox", ["true"], remove=True) == 0
