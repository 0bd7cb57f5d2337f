"""Our client against a real docker-registry, checked by skopeo and umoci (no mocks)."""

from __future__ import annotations

import json
import os

import pytest

from docker_magics.api import Engine
from docker_magics.engine.pull import pull_if_missing
from docker_magics.errors import DockerMagicsError, LayerError, RegistryError
from docker_magics.oci.mediatypes import OCI_INDEX, OCI_LAYER_GZIP
from docker_magics.snapshot.prepare import lower_dirs
from docker_magics.snapshot.unpack import snapshot_path

from .conftest import need
from .helpers import resolve_hardlinks, run, store_state, tar_listing, tree_listing

pytestmark = pytest.mark.registry


def _snapshot_listing(engine: Engine, name: str) -> dict[str, str]:
    """The files of a one-layer image's snapshot, unpacked now if it is not yet (after a pull)."""
    image = engine.image(name)
    assert len(image.diff_ids) == 1
    assert lower_dirs(engine.store, image) == [snapshot_path(engine.store, image.diff_ids[0])]
    return tree_listing(snapshot_path(engine.store, image.diff_ids[0]))


def test_pull_does_not_unpack_and_run_unpacks_on_first_use(engine, base_image, registry, tmp_path):
    name = f"{registry.host}/lazy/bb:1"
    engine.push(base_image, name)
    other = Engine(str(tmp_path / "other"))
    image = other.pull(name)
    assert os.listdir(other.store.snapshots_dir) == []  # verified and tagged, still packed
    assert image.refs == [name]
    out: list[bytes] = []
    # Any error here is a failure: an unpack or diff_id error must not pass as "no backend".
    code = other.run(name, ["cat", "/etc/group"], remove=True, out=out.append)
    assert code == 0 and b"nogroup" in b"".join(out)
    if other.backend().supports_overlay:  # the layer is a shared snapshot now
        assert os.listdir(other.store.snapshots_dir) == [image.diff_ids[0].split(":", 1)[1]]


def test_push_then_skopeo_and_umoci_see_the_same_files(
    engine, base_image, busybox_tar, registry, tmp_path
):
    events = []
    result = engine.push(base_image, f"{registry.host}/rt/busybox:1", progress=events.append)
    assert {e.action for e in events} >= {"compressing", "uploading", "pushed"}
    raw = json.loads(
        run(
            [
                "skopeo",
                "inspect",
                "--raw",
                "--tls-verify=false",
                f"docker://{registry.host}/rt/busybox:1",
            ]
        )
    )
    assert raw["layers"][0]["mediaType"] == OCI_LAYER_GZIP
    assert result.digest.startswith("sha256:")
    need("umoci")
    oci = tmp_path / "oci"
    run(
        [
            "skopeo",
            "--insecure-policy",
            "copy",
            "--src-tls-verify=false",
            f"docker://{registry.host}/rt/busybox:1",
            f"oci:{oci}:1",
        ]
    )
    bundle = tmp_path / "bundle"
    run(["umoci", "unpack", "--rootless", "--image", f"{oci}:1", str(bundle)])
    expected = resolve_hardlinks(tar_listing(busybox_tar))
    assert tree_listing(str(bundle / "rootfs")) == expected


def test_second_push_reuses_the_compressed_layer_and_mounts(engine, base_image, registry):
    engine.push(base_image, f"{registry.host}/reuse/a:1")
    events = []
    again = engine.push(base_image, f"{registry.host}/reuse/b:1", progress=events.append)
    assert "compressing" not in {e.action for e in events}
    assert len(again.mounted) == 2 and not again.uploaded  # layer and config, cross-repo
    third = engine.push(base_image, f"{registry.host}/reuse/b:2")
    assert len(third.skipped) == 2 and third.digest == again.digest


def test_gzip_is_deterministic_across_stores(busybox_tar, registry, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # the configs' dates, not the gzip's
    digests = []
    for i in range(2):
        eng = Engine(str(tmp_path / f"s{i}"))
        eng.import_image(busybox_tar, "bb")
        digests.append(eng.push("bb", f"{registry.host}/det/bb:{i}").digest)
    assert digests[0] == digests[1]


def test_chunked_upload(engine, base_image, registry, tmp_path):
    result = engine.push(base_image, f"{registry.host}/chunked/bb:1", chunk_size=256 << 10)
    assert result.uploaded
    other = Engine(str(tmp_path / "other"))
    img = other.pull(f"{registry.host}/chunked/bb:1")
    assert _snapshot_listing(other, f"{registry.host}/chunked/bb:1") == _snapshot_listing(
        engine, base_image
    )
    assert img.manifest_digest == result.digest


def test_skopeo_push_of_saved_image_then_our_pull_and_run(engine, base_image, registry, tmp_path):
    archive = tmp_path / "bb.tar"
    with open(archive, "wb") as fh:
        engine.save([base_image], fh)
    run(
        [
            "skopeo",
            "--insecure-policy",
            "copy",
            "--dest-tls-verify=false",
            f"docker-archive:{archive}",
            f"docker://{registry.host}/fromskopeo/bb:1",
        ]
    )
    other = Engine(str(tmp_path / "other"))
    events = []
    other.pull(f"{registry.host}/fromskopeo/bb:1", progress=events.append)
    assert any(e.action == "downloaded" and e.kind == "layer" for e in events)
    assert _snapshot_listing(other, f"{registry.host}/fromskopeo/bb:1") == _snapshot_listing(
        engine, base_image
    )
    out: list[bytes] = []
    code = other.run(
        f"{registry.host}/fromskopeo/bb:1",
        ["cat", "/etc/group"],
        remove=True,
        out=out.append,
        err=out.append,
    )
    assert code == 0 and b"nogroup" in b"".join(out)


def test_pull_skips_blobs_already_present(engine, base_image, registry):
    engine.push(base_image, f"{registry.host}/skip/bb:1")
    events = []
    engine.pull(f"{registry.host}/skip/bb:1", progress=events.append)
    assert events and all(e.action == "exists" for e in events)


def test_pull_by_digest(engine, base_image, registry, tmp_path):
    pushed = engine.push(base_image, f"{registry.host}/bydigest/bb:1")
    other = Engine(str(tmp_path / "other"))
    name = f"{registry.host}/bydigest/bb@{pushed.digest}"
    img = other.pull(name)
    assert img.manifest_digest == pushed.digest
    assert other.image(name).manifest_digest == pushed.digest


def test_tampered_blob_is_refused_and_leaves_nothing(
    engine, base_image, private_registry, tmp_path
):
    pushed = engine.push(base_image, f"{private_registry.host}/t/bb:1")
    manifest = json.loads(
        run(
            [
                "skopeo",
                "inspect",
                "--raw",
                "--tls-verify=false",
                f"docker://{private_registry.host}/t/bb:1",
            ]
        )
    )
    path = private_registry.blob_path(manifest["layers"][0]["digest"])
    with open(path, "r+b") as fh:  # same size, different bytes
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    other = Engine(str(tmp_path / "other"))
    before = store_state(other)
    with pytest.raises(RegistryError, match="digest mismatch"):
        other.pull(f"{private_registry.host}/t/bb:1")
    assert store_state(other) == before
    assert pushed.digest not in set(other.store.blobs.digests())


def test_wrong_diff_id_is_refused_at_first_use_and_leaves_no_snapshot(
    engine, base_image, registry, tmp_path
):
    """A pull checks blob digests, not diff_ids (that would mean gunzipping every layer): an image
    whose config lies about a layer's diff_id is pulled, and refused when the layer is unpacked."""
    image = engine.image(base_image)
    bogus = dict(image.config)
    lie = "sha256:" + "ab" * 32
    bogus["rootfs"] = {"type": "layers", "diff_ids": [lie]}
    with engine.store.writing():
        liar = engine.store.images.create(bogus, image.layers)
    engine.store.images.tag(liar, "liar:1")
    name = f"{registry.host}/liar/bb:1"
    engine.push("liar:1", name)
    other = Engine(str(tmp_path / "other"))
    pulled = other.pull(name)
    assert pulled.diff_ids == [lie]
    with pytest.raises(LayerError) as caught:
        lower_dirs(other.store, other.image(name))
    text = str(caught.value)
    assert "does not match its diff_id" in text and name in text
    assert pulled.layers[0]["digest"] in text and lie in text
    assert os.listdir(other.store.snapshots_dir) == []
    assert os.listdir(other.store.tmp_dir) == []  # no staging dir left either
    before = {c.id for c in other.ps(all=True)}
    with pytest.raises(DockerMagicsError, match="diff_id"):
        other.run(name, ["true"], remove=True)
    assert {c.id for c in other.ps(all=True)} == before  # no half-made container
    assert os.listdir(other.store.snapshots_dir) == []


def test_config_that_does_not_fit_the_manifest_fails_the_pull_and_leaves_nothing(
    engine, base_image, registry, tmp_path
):
    """The config downloads alongside the layers; when it lists more diff_ids than the manifest
    has layers, the pull fails after the downloads and removes every blob it wrote."""
    image = engine.image(base_image)
    bogus = dict(image.config)
    bogus["rootfs"] = {"type": "layers", "diff_ids": image.diff_ids + ["sha256:" + "cd" * 32]}
    with engine.store.writing():
        odd = engine.store.images.create(bogus, image.layers)
    engine.store.images.tag(odd, "odd:1")
    engine.push("odd:1", f"{registry.host}/odd/bb:1")
    other = Engine(str(tmp_path / "other"))
    before = store_state(other)
    events = []
    with pytest.raises(RegistryError, match="layer count differs from diff_ids"):
        other.pull(f"{registry.host}/odd/bb:1", progress=events.append)
    assert {e.kind for e in events if e.action == "downloaded"} == {"config", "layer"}
    assert store_state(other) == before


def _put_index(engine, registry, repo: str, entries: list[dict]) -> None:
    from docker_magics.registry import RegistryClient
    from docker_magics.registry.config import Endpoint
    from docker_magics.registry.transport import RequestsTransport

    client = RegistryClient(
        Endpoint(registry.host, registry.host, "http"), RequestsTransport(), push=True
    )
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    client.put_manifest(repo, "multi", json.dumps(index).encode(), OCI_INDEX)


def test_index_platform_selection(engine, base_image, registry, tmp_path):
    from docker_magics.oci.image import host_platform

    pushed = engine.push(base_image, f"{registry.host}/idx/bb:host")
    desc = {"mediaType": pushed.media_type, "digest": pushed.digest, "size": pushed.size}
    _put_index(
        engine,
        registry,
        "idx/bb",
        [
            {**desc, "platform": {"os": "linux", "architecture": "s390x"}},
            {**desc, "platform": {"os": "unknown", "architecture": "unknown"}},
            {**desc, "platform": host_platform()},
        ],
    )
    other = Engine(str(tmp_path / "other"))
    assert other.pull(f"{registry.host}/idx/bb:multi").manifest_digest == pushed.digest
    engine.push(base_image, f"{registry.host}/idx/none:host")  # what the index points at
    _put_index(
        engine,
        registry,
        "idx/none",
        [
            {**desc, "platform": {"os": "linux", "architecture": "s390x"}},
            {**desc, "platform": {"os": "linux", "architecture": "mips64le"}},
        ],
    )
    with pytest.raises(RegistryError, match=r"available: linux/mips64le, linux/s390x"):
        other.pull(f"{registry.host}/idx/none:multi")
    picked = other.pull(f"{registry.host}/idx/none:multi", platform="linux/s390x")
    assert picked.manifest_digest == pushed.digest


def test_mirror_resolves_docker_hub_names(engine, base_image, registry, tmp_path, monkeypatch):
    engine.push(base_image, f"{registry.host}/library/busybox:latest")
    mirror = f"http://{registry.host}"
    by_arg = Engine(str(tmp_path / "a"))
    img = by_arg.pull("busybox", mirrors=[mirror])
    assert img.refs == ["docker.io/library/busybox:latest"]
    by_file = Engine(str(tmp_path / "b"))
    with open(os.path.join(by_file.store.root, "config.json"), "w") as fh:
        json.dump({"registry-mirrors": [mirror]}, fh)
    assert by_file.pull("busybox:latest").manifest_digest == img.manifest_digest
    monkeypatch.setenv("DOCKER_MAGICS_REGISTRY_MIRRORS", mirror)
    by_env = Engine(str(tmp_path / "c"))
    assert pull_if_missing(by_env.store, "busybox").manifest_digest == img.manifest_digest


def test_pull_if_missing_pulls_once(engine, base_image, registry, tmp_path):
    engine.push(base_image, f"{registry.host}/implicit/bb:1")
    other = Engine(str(tmp_path / "other"))
    first = pull_if_missing(other.store, f"{registry.host}/implicit/bb:1")
    again = pull_if_missing(other.store, f"{registry.host}/implicit/bb:1")
    assert first.manifest_digest == again.manifest_digest


def test_missing_image_is_a_clear_error(engine, registry):
    with pytest.raises(RegistryError, match="MANIFEST_UNKNOWN|NAME_UNKNOWN"):
        engine.pull(f"{registry.host}/nothing/here:1")
