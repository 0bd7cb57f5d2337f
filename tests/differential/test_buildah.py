"""Differential test: every case in ``cases/`` built by us and by ``buildah bud --layers
--isolation chroot``, root filesystems and configs compared.

Both builders start from the same busybox root filesystem (``tests/rootfs.py``), imported as
``busybox:latest`` with ``Env=[PATH=...]`` on both sides. Each case is a directory holding a
``Dockerfile``, its context files, and optionally ``build.json`` (``build_args``, ``target``)
and ``expected-differences`` (see ``fsdiff.Expected``): buildah follows the classic builder
where BuildKit differs by design, and such a known difference is written down there with its
reason rather than loosened in the comparison.

Besides each path, every case compares the hard-link groups (paths that are one inode) and the
image size unpacked (each layer's files summed, as ``docker image ls`` counts), within 1%.
``build.json`` may ask for ``hardlinks`` in the context (git stores none) and for a ``tar``
hook with ``busybox: true``: one busybox binary with every applet hard-linked to it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest

from . import fsdiff

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
from rootfs import (  # noqa: E402
    have_busybox,
    make_busybox_tree,
    make_hardlinked_busybox_tar,
    tar_tree,
)

pytestmark = pytest.mark.slow

CASES_DIR = os.path.join(os.path.dirname(__file__), "cases")
CASES = sorted(os.listdir(CASES_DIR))
META_FILES = ("build.json", "expected-differences")
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Buildah:
    def __init__(self, root: str) -> None:
        self.base = [
            "buildah",
            "--root",
            os.path.join(root, "root"),
            "--runroot",
            os.path.join(root, "run"),
            "--storage-driver",
            "vfs",
        ]
        out = subprocess.run(["buildah", "--version"], capture_output=True, text=True).stdout
        match = re.search(r"version (\d+)\.(\d+)", out)
        self.version = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        self.tmp = root

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([*self.base, *args], capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"buildah {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
        return proc

    def config(self, image: str) -> dict[str, Any]:
        info = json.loads(self("inspect", "--type", "image", image).stdout)
        return dict(info["Docker"]["config"] or {})

    def rootfs(self, image: str) -> dict[str, fsdiff.Record]:
        out = os.path.join(self.tmp, "push", image.replace(":", "_"))
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        self("push", "--quiet", image, f"oci:{out}:latest")
        with open(os.path.join(out, "index.json")) as fh:
            desc = json.load(fh)["manifests"][0]
        with open(_blob(out, desc["digest"])) as fh:
            manifest = json.load(fh)
        handles = [open(_blob(out, layer["digest"]), "rb") for layer in manifest["layers"]]
        try:
            return fsdiff.rootfs(handles)
        finally:
            for fh in handles:
                fh.close()


def _blob(layout: str, digest: str) -> str:
    algo, _, hexd = digest.partition(":")
    return os.path.join(layout, "blobs", algo, hexd)


@pytest.fixture(scope="session")
def builders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Buildah]:
    if shutil.which("buildah") is None:
        pytest.skip("needs buildah (apt-get install buildah)")
    if os.geteuid() != 0:
        pytest.skip("the buildah differential test runs as root only (vfs + chroot isolation)")
    if not have_busybox():
        pytest.skip("needs a static busybox: apt-get install busybox-static")
    from docker_magics.api import Engine

    tmp = tmp_path_factory.mktemp("differential")
    tree = make_busybox_tree(str(tmp / "tree"))
    for name in ("dev", "proc", "sys", "run"):
        # As in any distribution's rootfs: buildah's chroot RUN would otherwise leave these
        # mount points behind in its layers (BuildKit removes its mount stubs).
        os.makedirs(os.path.join(tree, name), mode=0o755, exist_ok=True)
    tar = tar_tree(tree, str(tmp / "busybox.tar"))
    bh = Buildah(str(tmp / "buildah"))
    ctr = bh("from", "scratch").stdout.strip()
    bh("add", ctr, tar, "/")
    bh("config", "--env", PATH_ENV, ctr)
    bh("commit", "--quiet", "--format", "docker", ctr, "busybox:latest")
    bh("rm", ctr)
    engine = Engine(str(tmp / "ours"))
    engine.import_image(tar, "busybox:latest", changes=[f"ENV {PATH_ENV}"])
    return engine, bh


def _context(case: str, tmp: str) -> tuple[str, dict[str, Any], fsdiff.Expected]:
    src = os.path.join(CASES_DIR, case)
    ctx = os.path.join(tmp, "ctx")
    shutil.copytree(src, ctx, symlinks=True)
    opts: dict[str, Any] = {}
    expected = fsdiff.Expected()
    if os.path.exists(os.path.join(ctx, "build.json")):
        with open(os.path.join(ctx, "build.json")) as fh:
            opts = json.load(fh)
    if os.path.exists(os.path.join(ctx, "expected-differences")):
        with open(os.path.join(ctx, "expected-differences")) as fh:
            expected = fsdiff.Expected.parse(fh.read())
    names = META_FILES + ((expected.buildah_dockerfile,) if expected.buildah_dockerfile else ())
    for name in names:
        if os.path.exists(os.path.join(ctx, name)):
            if name == expected.buildah_dockerfile:  # out of the context, which COPY . reads
                os.rename(os.path.join(ctx, name), os.path.join(tmp, name))
            else:
                os.unlink(os.path.join(ctx, name))
    for link, target in opts.get("hardlinks", {}).items():  # git keeps no hard links
        os.unlink(os.path.join(ctx, link))
        os.link(os.path.join(ctx, target), os.path.join(ctx, link))
    for hook in opts.get("tar", []):  # archives made here: binary files stay out of git
        if hook.get("busybox"):
            make_hardlinked_busybox_tar(os.path.join(ctx, hook["name"]))
        else:
            _make_tar(ctx, hook)
    return ctx, opts, expected


def _make_tar(ctx: str, spec: dict[str, Any]) -> None:
    import io
    import tarfile

    mode = {"gz": "w:gz", "bz2": "w:bz2", "xz": "w:xz"}.get(spec.get("compress", ""), "w")
    with tarfile.open(os.path.join(ctx, spec["name"]), mode) as tar:
        for name, entry in spec["members"].items():
            info = tarfile.TarInfo(name)
            info.mode = int(entry.get("mode", "0644"), 8)
            info.uid, info.gid = entry.get("uid", 0), entry.get("gid", 0)
            info.mtime = 1_600_000_000
            if "link" in entry:
                info.type, info.linkname = tarfile.SYMTYPE, entry["link"]
                tar.addfile(info)
            elif "hardlink" in entry:
                info.type, info.linkname = tarfile.LNKTYPE, entry["hardlink"]
                tar.addfile(info)
            elif name.endswith("/"):
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                data = entry.get("data", "").encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


def _ours(engine: Any, ctx: str, tag: str, opts: dict[str, Any]) -> tuple[dict, dict]:
    result = engine.build(
        ctx, tags=[tag], build_args=opts.get("build_args"), target=opts.get("target")
    )
    image = result.image
    handles = [engine.store.blobs.open(layer["digest"]) for layer in image.layers]
    try:
        fs = fsdiff.rootfs(handles)
    finally:
        for fh in handles:
            fh.close()
    return fs, dict(image.config.get("config") or {})


def _theirs(
    bh: Buildah, ctx: str, tag: str, opts: dict[str, Any], dockerfile: str | None
) -> tuple[dict, dict]:
    args = ["bud", "--layers", "--isolation", "chroot", "--format", "docker", "--quiet"]
    args += ["--pull-never", "-t", tag]
    if dockerfile:
        args += ["-f", os.path.join(os.path.dirname(ctx), dockerfile)]
    for k, v in (opts.get("build_args") or {}).items():
        args += ["--build-arg", f"{k}={v}"]
    if opts.get("target"):
        args += ["--target", opts["target"]]
    bh(*args, ctx)
    return bh.rootfs(tag), bh.config(tag)


@pytest.fixture()
def served(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``build.json`` "serve": {path: {"data": ..., "last_modified": epoch}} on a real HTTP
    server; "{server}" in build args becomes its address (ADD <url> cases)."""
    from httpserve import FileServer

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # both builders fetch from this process's host
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    servers: list[FileServer] = []

    def serve(opts: dict[str, Any]) -> None:
        if not opts.get("serve"):
            return
        srv = FileServer()
        servers.append(srv)
        for path, entry in opts["serve"].items():
            srv.files[path] = (entry["data"].encode(), entry.get("last_modified"))
        args = opts.get("build_args") or {}
        opts["build_args"] = {k: v.replace("{server}", srv.base) for k, v in args.items()}

    yield serve
    for srv in servers:
        srv.close()


@pytest.mark.parametrize("case", CASES)
def test_same_result_as_buildah(builders, case, tmp_path, served):
    engine, bh = builders
    ctx, opts, expected = _context(case, str(tmp_path))
    served(opts)
    if expected.min_buildah and bh.version < expected.min_buildah:
        wanted = ".".join(map(str, expected.min_buildah))
        have = ".".join(map(str, bh.version))
        pytest.skip(f"buildah {have} cannot build this case (needs {wanted}): {expected.reasons}")
    tag = f"case-{case}:latest"
    ours = fsdiff.Built(*_ours(engine, ctx, tag, opts))
    theirs = fsdiff.Built(*_theirs(bh, ctx, tag, opts, expected.buildah_dockerfile))
    problems = fsdiff.compare(ours, theirs, expected)
    assert not problems, "\n".join(problems)
    stale = fsdiff.unused(ours, theirs, expected)
    assert not stale, f"expected-differences lines that no longer differ: {stale}"


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
    for case in CASES:
        assert os.path.exists(os.path.join(CASES_DIR, case, "Dockerfile")), case
