"""Hostile builds: Dockerfiles and contexts that try to read or write the host through links.

A host directory with a secret sits at a known absolute path. Each case states whether its build
must fail (and with which message) or succeed (and which files it wrote inside the image, where
Docker writes them too); either way the host directory is unchanged and no file of the image
holds the secret.
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


def _image_files(engine, tag: str) -> dict[str, bytes]:
    """Every regular file of the image's filesystem: path -> content."""
    c = engine.create(RunOptions(image=tag, command=["true"]))
    try:
        buf = io.BytesIO()
        engine.export(c.id, buf)
    finally:
        engine.rm(c.id, force=True)
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def _cases(host) -> dict[str, tuple[dict[str, str], str, str | None]]:
    """name -> (context files with "LINK:" targets for symlinks, Dockerfile text, expected error).

    The expected error is a piece of the message the build must fail with, or None when the build
    must succeed (links inside the image resolve inside the image, as in Docker: the writes land
    under the image's own copy of the host path, which the test then finds there).
    """
    h = str(host)
    return {
        "copy-symlink-to-host-file": (
            {"leak": f"LINK:{h}/secret"},
            "COPY leak /leak\n",
            "Dockerfile:2: COPY source 'leak' is outside the build context",
        ),
        "copy-through-symlinked-dir": (
            {"d": f"LINK:{h}"},
            "COPY d/secret /leak\n",
            "Dockerfile:2: COPY source 'd/secret' is outside the build context",
        ),
        "copy-dotdot-source": (
            {},
            "COPY ../host/secret /leak\n",
            "Dockerfile:2: COPY source '../host/secret' is outside the build context",
        ),
        "add-symlink-to-host-file": (
            {"leak": f"LINK:{h}/secret"},
            "ADD leak /leak\n",
            "Dockerfile:2: ADD source 'leak' is outside the build context",
        ),
        "from-stage-absolute-link": (
            {},
            f"FROM busybox AS a\nRUN ln -s {h}/secret /link && ln -s {h} /dir\n"
            "FROM busybox\nCOPY --from=a /link /leak\nCOPY --from=a /dir/secret /leak2\n",
            "Dockerfile:4: COPY --from=a: /link not found",
        ),
        "workdir-through-link": (
            {},
            f"RUN ln -s {h}/sub /w\nWORKDIR /w/made\nRUN touch f\n",
            None,
        ),
        "copy-dest-through-link": (
            {"f": "data"},
            f"RUN ln -s {h}/sub /dst\nCOPY f /dst/f\nCOPY f /dst/new/f\n",
            None,
        ),
        "run-mount-bind-link": (
            {"leak": f"LINK:{h}/secret"},
            "RUN --mount=type=bind,source=leak,target=/m cat /m > /leak || true\n",
            "Dockerfile:2: RUN --mount source 'leak' is outside the build context",
        ),
    }


# Files the succeeding cases must have written inside the image, under the image's copy of the
# host directory (relative to it).
WRITTEN_INSIDE = {
    "workdir-through-link": ["sub/made/f"],
    "copy-dest-through-link": ["sub/f", "sub/new/f"],
}


@pytest.mark.parametrize("runtime", ["root", "proot"])
@pytest.mark.parametrize("case", sorted(_cases("/h")))
def test_hostile_build_stays_off_the_host(case, runtime, engine, base_image, host, tmp_path):
    from docker_magics.api import Engine
    from tests.runtime.rt_helpers import backend_or_skip

    backend_or_skip(runtime)
    engine = Engine(engine.store.root, runtime=runtime)
    files, text, error = _cases(host)[case]
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
    if error is not None:
        with pytest.raises(DockerMagicsError) as exc:
            engine.build(str(ctx), tags=["hostile"])
        assert error in str(exc.value), f"{case}: {exc.value}"
    else:
        engine.build(str(ctx), tags=["hostile"])
        image = _image_files(engine, "hostile")
        assert not [n for n, data in image.items() if SECRET in data], f"{case}: secret got in"
        inside = str(host).lstrip("/")
        for rel in WRITTEN_INSIDE[case]:
            assert f"{inside}/{rel}" in image, f"{case}: {rel} not written inside the image"
    assert _snapshot(host) == before, f"{case}: the build changed the host directory"
    assert engine.check().ok
