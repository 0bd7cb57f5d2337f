"""ADD of a git repository: a real repository served over HTTP (git's dumb protocol, from
http.server in a thread) and the real ``git`` program."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import tarfile
import threading
from collections.abc import Iterator

import pytest

from docker_magics.errors import DockerfileError

from .conftest import steps_by_instruction

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
_GIT = [
    "git",
    "-c",
    "user.name=t",
    "-c",
    "user.email=t@example.invalid",
    "-c",
    "init.defaultBranch=main",
]


class _Repo:
    def __init__(self, root: str) -> None:
        self.work = os.path.join(root, "work")
        self.served = os.path.join(root, "served")
        self.bare = os.path.join(self.served, "repo.git")
        self.git("init", "-q", self.work)
        os.makedirs(self.served)

    def git(self, *args: str, cwd: str | None = None) -> str:
        return subprocess.run(
            [*_GIT, *args], cwd=cwd, check=True, capture_output=True, text=True
        ).stdout

    def commit(self, files: dict[str, tuple[str, int]], tag: str | None = None) -> str:
        for rel, (text, mode) in files.items():
            path = os.path.join(self.work, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(text)
            os.chmod(path, mode)
        self.git("add", "-A", cwd=self.work)
        self.git("commit", "-q", "-m", "c", cwd=self.work)
        if tag:
            self.git("tag", "-a", "-m", tag, tag, cwd=self.work)
        # Publish as a bare repository readable over plain HTTP (the dumb protocol).
        shutil.rmtree(self.bare, ignore_errors=True)
        self.git("clone", "-q", "--bare", self.work, self.bare)
        self.git("update-server-info", cwd=self.bare)
        return self.git("rev-parse", "HEAD", cwd=self.work).strip()


@pytest.fixture()
def repo(tmp_path, monkeypatch) -> Iterator[tuple[_Repo, str]]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    r = _Repo(str(tmp_path / "git"))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=r.served)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield r, f"http://127.0.0.1:{httpd.server_address[1]}/repo.git"
    httpd.shutdown()
    httpd.server_close()


def _files(engine, image) -> dict[str, tuple[tarfile.TarInfo, bytes]]:
    img = engine.image(image)
    out = {}
    with engine.store.blobs.open(img.layers[-1]["digest"]) as fh, tarfile.open(fileobj=fh) as tar:
        for info in tar:
            data = tar.extractfile(info).read() if info.isfile() else b""  # type: ignore[union-attr]
            out[info.name.rstrip("/")] = (info, data)
    return out


def test_add_git_files_modes_cache_and_refs(engine, base_image, ctx, repo):
    r, url = repo
    first = r.commit({"run.sh": ("echo hi\n", 0o755), "docs/a.md": ("a\n", 0o600)}, tag="v1")
    ctx.dockerfile(f"FROM busybox\nADD {url}#main /src\n")
    add = f"ADD {url}#main /src"
    engine.build(ctx.root, tags=["g"])
    files = _files(engine, "g")
    assert files["src/run.sh"][1] == b"echo hi\n" and files["src/run.sh"][0].mode == 0o755
    assert files["src/docs/a.md"][0].mode == 0o644  # git keeps only the x bit
    assert files["src/docs"][0].mode == 0o755
    assert not any(name.startswith("src/.git") for name in files)
    assert steps_by_instruction(engine.build(ctx.root, tags=["g"]))[add]["cached"]

    r.commit({"run.sh": ("echo changed\n", 0o755)})
    step = steps_by_instruction(engine.build(ctx.root, tags=["g"]))[add]
    assert not step["cached"]
    change = next(c for c in step["reason"]["changes"] if c["field"] == "files")
    assert change["changed"] == [{"path": f"{url}#main", "attributes": ["content"]}]
    assert _files(engine, "g")["src/run.sh"][1] == b"echo changed\n"

    # A tag and a subdirectory; the old commit by --checksum; .git kept on request.
    ctx.dockerfile(
        f"FROM busybox\nADD --checksum={first[:12]} {url}#v1:docs /d/\n"
        f"ADD --keep-git-dir=true {url} /k/\n"
    )
    engine.build(ctx.root, tags=["t"])
    img = engine.image("t")
    with engine.store.blobs.open(img.layers[-2]["digest"]) as fh, tarfile.open(fileobj=fh) as tar:
        assert sorted(i.name for i in tar if i.isfile()) == ["d/a.md"]
    assert "k/.git/HEAD" in _files(engine, "t")


def test_add_git_errors_name_the_line(engine, base_image, ctx, repo):
    r, url = repo
    r.commit({"f": ("f\n", 0o644)})
    ctx.dockerfile(f"FROM busybox\nADD --checksum={'0' * 40} {url}#main /src\n")
    with pytest.raises(DockerfileError, match="expected checksum") as info:
        engine.build(ctx.root, tags=["x"])
    assert info.value.line == 2
    ctx.dockerfile(f"FROM busybox\nADD {url}#no-such-branch /src\n")
    with pytest.raises(DockerfileError, match="no-such-branch") as info:
        engine.build(ctx.root, tags=["x"])
    assert info.value.line == 2
    ctx.dockerfile(f"FROM busybox\nCOPY {url} /src\n")
    with pytest.raises(DockerfileError, match="can't be a git ref for COPY"):
        engine.build(ctx.root, tags=["x"])
