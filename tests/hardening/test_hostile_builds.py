"""Hostile builds: Dockerfiles and contexts that try to read or write the host through links.

A host directory with a secret sits at a known absolute path. Every build either fails with a
DockerMagicsError or succeeds, and then the host directory is unchanged and no file of the
image holds the secret.
"""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from docker_magics.engine.options import RunOptions
from docker_magics.errors import DockerMagicsError

SECRET = b"host-secret-5150"


@pytest.fixture()
def host(tmp_path):
    d = tmp_path / "host"
    d.mkdir()
    (d / "secret").write_bytes(SECRET)
    (d / "sub").mkdir()
    return d


def _snapshot(path):
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            out[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def _image_holds_secret(engine, tag: str) -> bool:
    c = engine.create(RunOptions(image=tag, command=["true"]))
    try:
        buf = io.BytesIO()
        engine.export(c.id, buf)
    finally:
        engine.rm(c.id, force=True)
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tar:
        for m in tar:
            if m.isfile() and SECRET in tar.extractfile(m).read():
                return True
    return False


def _cases(host) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """name -> (context files with "LINK:" targets for symlinks, Dockerfile text)."""
    h = str(host)
    return {
        "copy-symlink-to-host-file": ({"leak": f"LINK:{h}/secret"}, "COPY leak /leak\n"),
        "copy-through-symlinked-dir": ({"d": f"LINK:{h}"}, "COPY d/secret /leak\n"),
        "copy-dotdot-source": ({}, "COPY ../host/secret /leak\n"),
        "add-symlink-to-host-file": ({"leak": f"LINK:{h}/secret"}, "ADD leak /leak\n"),
        "from-stage-absolute-link": (
            {},
            f"FROM busybox AS a\nRUN ln -s {h}/secret /link && ln -s {h} /dir\n"
            "FROM busybox\nCOPY --from=a /link /leak\nCOPY --from=a /dir/secret /leak2\n",
        ),
        "workdir-through-link": (
            {},
            f"RUN ln -s {h}/sub /w\nWORKDIR /w/made\nRUN touch f\n",
        ),
        "copy-dest-through-link": (
            {"f": "data"},
            f"RUN ln -s {h}/sub /dst\nCOPY f /dst/f\nCOPY f /dst/new/f\n",
        ),
        "run-mount-bind-link": (
            {"leak": f"LINK:{h}/secret"},
            "RUN --mount=type=bind,source=leak,target=/m cat /m > /leak || true\n",
        ),
    }


@pytest.mark.parametrize("runtime", ["root", "proot"])
@pytest.mark.parametrize("case", sorted(_cases("/h")))
def test_hostile_build_stays_off_the_host(case, runtime, engine, base_image, host, tmp_path):
    from docker_magics.api import Engine
    from tests.runtime.rt_helpers import backend_or_skip

    backend_or_skip(runtime)
    engine = Engine(engine.store.root, runtime=runtime)
    files, text = _cases(host)[case]
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    for name, content in files.items():
        if content.startswith("LINK:"):
            os.symlink(content[5:], ctx / name)
        else:
            (ctx / name).write_text(content)
    if not text.startswith("FROM"):
        text = "FROM busybox\n" + text
    (ctx / "Dockerfile").write_text(text)
    before = _snapshot(host)
    try:
        engine.build(str(ctx), tags=["hostile"])
    except DockerMagicsError:
        pass
    else:
        assert not _image_holds_secret(engine, "hostile"), f"{case}: the host secret got in"
    assert _snapshot(host) == before, f"{case}: the build changed the host directory"
    assert engine.check().ok
