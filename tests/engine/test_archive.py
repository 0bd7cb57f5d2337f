"""save/load/export, checked by the tools users will hand our archives to: skopeo, umoci, podman."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile

import pytest

from docker_magics.errors import LayerError, StoreError


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.skip(f"needs {name}: apt-get install {name}")
    return path


@pytest.fixture()
def committed(engine, base_image):
    """An image with two layers: the base and a commit that adds, changes and deletes."""
    backend = engine.backend()
    if backend is None:
        pytest.skip("no runtime")
    engine.run(
        base_image, ["sh", "-c", "echo hi > /hi && rm /bin/vi && mkdir -p /srv/app"], name="c1"
    )
    engine.commit("c1", "two:layers", message="second")
    return "two:layers"


def test_save_is_docker_and_oci(engine, committed, tmp_path):
    out = tmp_path / "img.tar"
    with open(out, "wb") as fh:
        engine.save([committed], fh)
    with tarfile.open(out) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
        index = json.load(tar.extractfile("index.json"))
    assert {"oci-layout", "index.json", "manifest.json", "repositories"} <= names
    assert manifest[0]["RepoTags"] == ["two:layers"]
    assert len(manifest[0]["Layers"]) == 2
    ann = index["manifests"][0]["annotations"]
    assert ann["org.opencontainers.image.ref.name"] == "layers"


def test_save_load_round_trip(engine, committed, tmp_path):
    from docker_magics.api import Engine

    out = tmp_path / "img.tar"
    with open(out, "wb") as fh:
        engine.save([committed], fh)
    other = Engine(str(tmp_path / "other"))
    assert other.load(str(out)) == ["Loaded image: two:layers"]
    assert other.image(committed).id == engine.image(committed).id
    chunks: list[bytes] = []
    script = "cat /hi; test -e /bin/vi || echo vi-deleted; ls -d /srv/app"
    code = other.run(committed, ["sh", "-c", script], out=chunks.append, remove=True)
    assert (code, b"".join(chunks)) == (0, b"hi\nvi-deleted\n/srv/app\n")
    assert other.check().ok


def test_skopeo_and_umoci_accept_save(engine, committed, tmp_path):
    skopeo, umoci = _tool("skopeo"), _tool("umoci")
    out = tmp_path / "img.tar"
    with open(out, "wb") as fh:
        engine.save([committed], fh)
    oci_dir = tmp_path / "oci"
    for src in (f"docker-archive:{out}", f"oci-archive:{out}:layers"):
        subprocess.run(
            [skopeo, "--insecure-policy", "copy", "-q", src, f"oci:{oci_dir}:t"],
            check=True,
            capture_output=True,
        )
    bundle = tmp_path / "bundle"
    subprocess.run(
        [umoci, "unpack", "--rootless", "--image", f"{oci_dir}:t", str(bundle)],
        check=True,
        capture_output=True,
    )
    rootfs = bundle / "rootfs"
    assert (rootfs / "hi").read_text() == "hi\n"
    assert not (rootfs / "bin" / "vi").exists() and (rootfs / "bin" / "sh").exists()
    assert (rootfs / "srv" / "app").is_dir()


# Run podman in a private mount namespace without the cgroup v2 mount: crun refuses this host's
# hybrid cgroup layout, and the test is about our archive, not cgroups. The explicit limits stand in
# for podman's defaults, which are above what this host lets a process raise to.
_PODMAN_RUN = (
    "umount /sys/fs/cgroup/unified 2>/dev/null; exec podman run --rm --network=none "
    '--cgroups=disabled --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"'
)


def test_podman_loads_and_runs_save(engine, committed, tmp_path):
    _tool("podman")
    if os.geteuid() != 0:
        pytest.skip("podman is exercised as root here")
    out = tmp_path / "img.tar"
    with open(out, "wb") as fh:
        engine.save([committed], fh)
    env = {**os.environ, "CONTAINERS_STORAGE_CONF": str(tmp_path / "storage.conf")}
    # A short runroot: conmon's socket paths under pytest's long tmp_path exceed the 108-byte
    # limit of a unix socket name, and podman then waits 20 s for a socket it never gets.
    run = tempfile.mkdtemp(prefix="pm")
    (tmp_path / "storage.conf").write_text(
        f'[storage]\ndriver = "vfs"\nrunroot = "{run}"\ngraphroot = "{tmp_path}/graph"\n'
    )
    try:
        _podman_load_and_run(out, env)
    finally:
        shutil.rmtree(run, ignore_errors=True)


def _podman_load_and_run(out, env: dict[str, str]) -> None:
    proc = subprocess.run(
        ["podman", "load", "-i", str(out)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "Loaded image: docker.io/library/two:layers" in proc.stdout
    script = "cat /hi; test ! -e /bin/vi && test -d /srv/app && echo layers-applied"
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", _PODMAN_RUN, "podman"]
        + ["two:layers", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert (proc.returncode, proc.stdout) == (0, "hi\nlayers-applied\n"), proc.stderr


def test_skopeo_archive_loads_in_ours(engine, committed, tmp_path):
    skopeo = _tool("skopeo")
    out = tmp_path / "img.tar"
    with open(out, "wb") as fh:
        engine.save([committed], fh)
    foreign = tmp_path / "foreign.tar"
    subprocess.run(
        [
            skopeo,
            "--insecure-policy",
            "copy",
            "-q",
            f"docker-archive:{out}",
            f"docker-archive:{foreign}:foreign:1",
        ],
        check=True,
        capture_output=True,
    )
    from docker_magics.api import Engine

    other = Engine(str(tmp_path / "other"))
    assert other.load(str(foreign)) == ["Loaded image: foreign:1"]
    chunks: list[bytes] = []
    code = other.run("foreign:1", ["sh", "-c", "cat /hi; ls /srv"], out=chunks.append)
    assert (code, b"".join(chunks)) == (0, b"hi\napp\n")
    assert other.check().ok


def test_load_refuses_wrong_diff_id(engine, committed, tmp_path):
    out = tmp_path / "img.tar"
    with open(out, "wb") as fh:
        engine.save([committed], fh)
    bad = tmp_path / "bad.tar"
    with tarfile.open(out) as src, tarfile.open(bad, "w") as dst:
        manifest = json.load(src.extractfile("manifest.json"))
        cfg_name = manifest[0]["Config"]
        for m in src.getmembers():
            data = src.extractfile(m).read() if m.isfile() else None
            if m.name == cfg_name:
                continue
            if m.name == "index.json":
                continue  # force the docker-archive path, where the config is trusted as given
            if m.name == "manifest.json":
                manifest[0]["Config"] = "evil.json"
                data = json.dumps(manifest).encode()
                m.size = len(data)
            dst.addfile(m, __import__("io").BytesIO(data) if data is not None else None)
        cfg = json.loads(src.extractfile(cfg_name).read())
        cfg["rootfs"]["diff_ids"][1] = "sha256:" + "0" * 64
        data = json.dumps(cfg).encode()
        info = tarfile.TarInfo("evil.json")
        info.size = len(data)
        dst.addfile(info, __import__("io").BytesIO(data))
    from docker_magics.api import Engine

    other = Engine(str(tmp_path / "other"))
    with pytest.raises((LayerError, StoreError), match="diff_id"):
        other.load(str(bad))
    assert other.images() == []
    assert list(other.store.blobs.digests()) == []


def test_export_flattens(engine, committed, tmp_path):
    out = tmp_path / "fs.tar"
    with open(out, "wb") as fh:
        engine.export("c1", fh)
    with tarfile.open(out) as tar:
        names = set(tar.getnames())
    assert "hi" in names and "bin/sh" in names and "bin/vi" not in names
    assert not any(".wh." in n for n in names)


def test_cp_both_ways(engine, committed, tmp_path):
    from docker_magics.engine.copy import copy_paths

    copy_paths(engine, "c1:/hi", str(tmp_path / "hi.txt"))
    assert (tmp_path / "hi.txt").read_text() == "hi\n"
    (tmp_path / "in.txt").write_text("into the container")
    copy_paths(engine, str(tmp_path / "in.txt"), "c1:/srv/app/")
    chunks: list[bytes] = []
    engine.commit("c1", "with-in")
    engine.run("with-in", ["cat", "/srv/app/in.txt"], out=chunks.append)
    assert b"".join(chunks) == b"into the container"
