"""A store on a small tmpfs that runs out of space mid-write: one clear error, a store that still
checks clean, no temp files left behind, and the store keeps working once space is freed."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile

import pytest

from docker_magics.errors import DiskFullError, DockerMagicsError
from tests.hardening.leftovers import mounts_under, tmp_leftovers

pytestmark = pytest.mark.root

MB = 1 << 20


@pytest.fixture()
def small_store(tmp_path, busybox_tar):
    """An Engine whose store is a 24 MiB tmpfs holding the busybox image (about 4 MiB used)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    from docker_magics.api import Engine

    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], check=True)
    try:
        eng = Engine(str(mnt / "store"), runtime="root")
        eng.import_image(busybox_tar, "busybox")
        yield eng
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _random_tar(path, size: int) -> str:
    # Random bytes: gzip cannot shrink them, so the blob is as big as the data.
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("big.bin")
        info.size = size
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    return str(path)


def _assert_clean(eng, error: DockerMagicsError, what: str) -> None:
    assert isinstance(error, DiskFullError), repr(error)
    text = str(error)
    assert "no space left" in text and what in text and "system prune" in text, text
    assert eng.store.root in text or "/small/" in text, text
    report = eng.check()
    assert report.ok, report.problems
    assert tmp_leftovers(eng.store.root) == [], "temp files were left behind"
    assert mounts_under(eng.store.root) == []
    assert [r for i in eng.images() for r in i.refs] == ["docker.io/library/busybox:latest"]


def test_import_larger_than_the_disk(small_store, tmp_path):
    big = _random_tar(tmp_path / "big.tar", 30 * MB)
    with pytest.raises(DockerMagicsError) as caught:
        small_store.import_image(big, "big")
    _assert_clean(small_store, caught.value, f"importing {big}")
    # Once the failing work is gone, the store works: a smaller import succeeds.
    small_store.import_image(_random_tar(tmp_path / "small.tar", 2 * MB), "fits")


def test_layer_write_of_a_run_step(small_store, tmp_path):
    """The RUN's files fit (8 MiB in the upper dir); their layer blob (8 MiB more) does not."""
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nRUN head -c 8000000 /dev/urandom > /a && cp /a /b\n"
    )
    with pytest.raises(DockerMagicsError) as caught:
        small_store.build(str(tmp_path), tags=["fat"])
    _assert_clean(small_store, caught.value, "writing a blob")
    assert "Dockerfile:2: 'RUN head -c" in str(caught.value)  # names the step
    assert small_store.ps(all=True) == [], "the RUN's container was left behind"
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo small > /small\n")
    small_store.build(str(tmp_path), tags=["thin"])


def test_commit_of_a_container(small_store):
    script = "head -c 7000000 /dev/urandom > /a && cp /a /b"
    assert small_store.run("busybox", ["sh", "-c", script], name="fat") == 0
    with pytest.raises(DockerMagicsError) as caught:
        small_store.commit("fat", "fat:1")
    _assert_clean(small_store, caught.value, "committing fat (writing a blob)")
    small_store.rm("fat")
    small_store.prune()
    assert small_store.run("busybox", ["sh", "-c", "echo x > /x"], name="thin") == 0
    small_store.commit("thin", "thin:1")


def test_cli_says_it_in_one_line(small_store, tmp_path):
    import sys

    big = _random_tar(tmp_path / "big.tar", 30 * MB)
    cmd = [sys.executable, "-m", "docker_magics", "--root", small_store.store.root]
    done = subprocess.run([*cmd, "import", big, "big"], capture_output=True, text=True)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no space left" in lines[0] and "Traceback" not in done.stderr
    check = subprocess.run([*cmd, "system", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.registry
def test_pull_larger_than_the_disk(small_store, tmp_path, busybox_tar, monkeypatch):
    from docker_magics.api import Engine
    from tests.registry.conftest import start_registry, stop_registry

    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    reg = start_registry(str(tmp_path / "registry"))
    try:
        seed = Engine(str(tmp_path / "seed"))
        seed.import_image(busybox_tar, "busybox")
        (tmp_path / "Dockerfile").write_text(
            "FROM busybox\nRUN head -c 30000000 /dev/urandom > /big\n"
        )
        seed.build(str(tmp_path), tags=["big"])
        ref = f"{reg.host}/full/big:1"
        seed.push("big", ref)
        with pytest.raises(DockerMagicsError) as caught:
            small_store.pull(ref)
        _assert_clean(small_store, caught.value, f"pulling {ref}")
    finally:
        stop_registry(reg)
