"""ADD <url>: a real HTTP server on 127.0.0.1 (http.server in a thread), real builds."""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterator

import pytest

from docker_magics.errors import DockerfileError, NotFoundError

from ..httpserve import FileServer
from .conftest import steps_by_instruction

LAST_MODIFIED = 1_700_000_000  # 2023-11-14T22:13:20Z


@pytest.fixture()
def server(monkeypatch) -> Iterator[FileServer]:
    # The machine's proxy must not take 127.0.0.1 (requests honours NO_PROXY).
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    srv = FileServer()
    yield srv
    srv.close()


def _layer(engine, image, index=-1) -> dict[str, tuple[tarfile.TarInfo, bytes]]:
    img = engine.image(image)
    out = {}
    with (
        engine.store.blobs.open(img.layers[index]["digest"]) as fh,
        tarfile.open(fileobj=fh) as tar,
    ):
        for info in tar:
            data = tar.extractfile(info).read() if info.isfile() else b""  # type: ignore[union-attr]
            out[info.name.rstrip("/")] = (info, data)
    return out


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_add_url_bytes_name_mode_and_mtime(engine, base_image, ctx, server):
    big = bytes(range(256)) * 8192  # 2 MiB, several chunks
    server.files["/dl/tool.bin"] = (big, LAST_MODIFIED)
    server.files["/plain"] = (b"no date\n", None)
    ctx.dockerfile(
        "FROM busybox\n"
        f"ADD {server.base}/dl/tool.bin /opt/\n"  # dir dest: the name from the URL path
        f"ADD {server.base}/plain /etc/renamed\n"  # file dest: renamed
        f"ADD --chown=1234:5 --chmod=755 {server.base}/dl/tool.bin /usr/bin/tool\n"
    )
    engine.build(ctx.root, tags=["u"])
    first, second, third = (_layer(engine, "u", i) for i in (-3, -2, -1))
    info, data = first["opt/tool.bin"]
    assert data == big
    assert (info.mode, info.uid, info.gid, info.mtime) == (0o600, 0, 0, LAST_MODIFIED)
    info, data = second["etc/renamed"]
    assert data == b"no date\n" and info.mode == 0o600
    assert info.mtime == 0  # no Last-Modified: the epoch, as BuildKit's http source
    info, data = third["usr/bin/tool"]
    assert (info.mode, info.uid, info.gid, data == big) == (0o755, 1234, 5, True)


def test_add_url_is_never_unpacked_unless_asked(engine, base_image, ctx, server):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        member = tarfile.TarInfo("pkg/readme")
        member.size = 3
        tar.addfile(member, io.BytesIO(b"abc"))
    server.files["/a.tar.gz"] = (buf.getvalue(), LAST_MODIFIED)
    ctx.dockerfile(
        f"FROM busybox\nADD {server.base}/a.tar.gz /kept/\n"
        f"ADD --unpack=true {server.base}/a.tar.gz /unpacked/\n"
    )
    engine.build(ctx.root, tags=["t"])
    assert _layer(engine, "t", -2)["kept/a.tar.gz"][1] == buf.getvalue()
    assert _layer(engine, "t", -1)["unpacked/pkg/readme"][1] == b"abc"


def test_add_url_cache_follows_content(engine, base_image, ctx, server):
    server.files["/v"] = (b"one\n", LAST_MODIFIED)
    ctx.dockerfile(f"FROM busybox\nADD {server.base}/v /v\nRUN cat /v > /copy\n")
    add = f"ADD {server.base}/v /v"
    engine.build(ctx.root, tags=["c"])
    again = steps_by_instruction(engine.build(ctx.root, tags=["c"]))
    assert again[add]["cached"] and again["RUN cat /v > /copy"]["cached"]

    server.files["/v"] = (b"two\n", LAST_MODIFIED + 60)
    changed = steps_by_instruction(engine.build(ctx.root, tags=["c"]))
    assert not changed[add]["cached"]
    reason = changed[add]["reason"]
    files = next(c for c in reason["changes"] if c["field"] == "files")
    assert files["changed"] == [{"path": f"{server.base}/v", "attributes": ["content"]}]
    assert reason["summary"].startswith(f"remote files changed: {server.base}/v (content)")
    assert not changed["RUN cat /v > /copy"]["cached"]
    assert _layer(engine, "c", -2)["v"][1] == b"two\n"


def test_add_url_checksum_pins_the_key_without_network(engine, base_image, ctx, server):
    server.files["/p"] = (b"pinned\n", LAST_MODIFIED)
    pinned = _sha(b"pinned\n")
    ctx.dockerfile(f"FROM busybox\nADD --checksum={pinned} {server.base}/p /p\n")
    engine.build(ctx.root, tags=["p"])
    assert server.gets == ["/p"]
    step = engine.build(ctx.root, tags=["p"]).steps[-1]
    assert step["cached"] and server.gets == ["/p"]  # a pinned, cached step fetches nothing
    assert _layer(engine, "p")["p"][1] == b"pinned\n"


def test_add_url_checksum_mismatch_names_line_and_both_digests(engine, base_image, ctx, server):
    server.files["/m"] = (b"actual\n", None)
    wanted = _sha(b"expected\n")
    ctx.dockerfile(f"FROM busybox\nRUN true\nADD --checksum={wanted} {server.base}/m /m\n")
    with pytest.raises(DockerfileError) as info:
        engine.build(ctx.root, tags=["m"])
    assert info.value.line == 3
    text = str(info.value)
    assert wanted in text and _sha(b"actual\n") in text and f"{server.base}/m" in text
    with pytest.raises(NotFoundError):
        engine.image("m")  # nothing tagged


def test_add_url_404_names_url_and_line(engine, base_image, ctx, server):
    ctx.dockerfile(f"FROM busybox\n\nADD {server.base}/missing.txt /x\n")
    with pytest.raises(DockerfileError) as info:
        engine.build(ctx.root, tags=["n"])
    assert info.value.line == 3
    assert f"{server.base}/missing.txt" in str(info.value) and "404" in str(info.value)


@pytest.mark.parametrize(
    ("dockerfile", "message"),
    [
        ("ADD --checksum=sha256:abc {base}/f /f", "invalid sha256 digest"),
        ("ADD --checksum=md5:{zeros} {base}/f /f", "unsupported digest algorithm"),
        ("ADD --checksum=sha256:{zeros} local.txt /f", "local sources"),
        ("ADD --checksum=sha256:{zeros} {base}/f {base}/g /d/", "multiple sources"),
        ("COPY {base}/f /f", "can't be a URL for COPY"),
    ],
)
def test_add_url_bad_input(engine, base_image, ctx, server, dockerfile, message):
    ctx.write("local.txt", "x")
    line = dockerfile.format(base=server.base, zeros="0" * 64)
    ctx.dockerfile(f"FROM busybox\n{line}\n")
    with pytest.raises(DockerfileError, match=message) as info:
        engine.build(ctx.root, tags=["bad"])
    assert info.value.line == 2
    assert server.gets == []
