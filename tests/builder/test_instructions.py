"""What each instruction does to the image: files, owners, modes and config."""

from __future__ import annotations

import io
import tarfile

import pytest

from .conftest import steps_by_instruction


def _files(engine, image) -> dict[str, tarfile.TarInfo]:
    """Every entry of the image's own layers, later layers winning."""
    out: dict[str, tarfile.TarInfo] = {}
    img = engine.image(image)
    for layer in img.layers[1:]:  # skip the busybox base layer
        with engine.store.blobs.open(layer["digest"]) as fh, tarfile.open(fileobj=fh) as tar:
            for info in tar:
                out[info.name.rstrip("/")] = info
    return out


def _sh(engine, image, script) -> str:
    out: list[bytes] = []
    engine.run(image, ["sh", "-c", script], remove=True, out=out.append)
    return b"".join(out).decode()


def test_copy_destination_rules(engine, base_image, ctx):
    ctx.write("f.txt", "f")
    ctx.write("dir/a", "a")
    ctx.write("dir/sub/b", "b")
    ctx.write("w1.md", "1")
    ctx.write("w2.md", "2")
    ctx.dockerfile(
        "FROM busybox\n"
        "COPY f.txt /file\n"  # no slash: the file is named /file
        "COPY f.txt /into/\n"  # slash: /into/f.txt
        "COPY dir /d\n"  # a directory's contents
        "COPY *.md /docs/\n"
        "COPY f.txt /tmp\n"  # an existing directory: into it
        "WORKDIR /rel\n"
        "COPY f.txt here\n"
    )
    engine.build(ctx.root, tags=["c"])
    files = _files(engine, "c")
    for path in (
        "file",
        "into/f.txt",
        "d/a",
        "d/sub/b",
        "docs/w1.md",
        "docs/w2.md",
        "tmp/f.txt",
        "rel/here",
    ):
        assert path in files, path
    assert "d/dir" not in files
    assert files["tmp"].mode == 0o1777  # an existing parent keeps its metadata
    assert all(i.uid == 0 and i.gid == 0 for i in files.values())


def test_chown_chmod_and_heredoc(engine, base_image, ctx):
    ctx.write("s.sh", "echo hi\n", mode=0o644)
    ctx.dockerfile(
        "FROM busybox\n"
        "COPY --chown=app:app --chmod=755 s.sh /opt/s.sh\n"
        "COPY --chown=1234 s.sh /opt/n.sh\n"
        "COPY --chmod=u=rwX,go=rX <<EOF /etc/greeting\nhello $USER\nEOF\n"
    )
    engine.build(ctx.root, tags=["o"])
    files = _files(engine, "o")
    assert (files["opt/s.sh"].uid, files["opt/s.sh"].gid, files["opt/s.sh"].mode) == (
        1000,
        1000,
        0o755,
    )
    assert (files["opt/n.sh"].uid, files["opt/n.sh"].gid) == (1234, 1234)
    assert files["etc/greeting"].mode == 0o644
    assert _sh(engine, "o", "cat /etc/greeting") == "hello \n"


def test_add_unpacks_archives_by_content_not_by_name(engine, base_image, ctx):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("pkg/readme")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    ctx.write("archive.bin", buf.getvalue())
    ctx.write("empty.tar.gz", b"")
    ctx.dockerfile("FROM busybox\nADD archive.bin /x/\nADD empty.tar.gz /y/\n")
    engine.build(ctx.root, tags=["a"])
    files = _files(engine, "a")
    assert "x/pkg/readme" in files and "y/empty.tar.gz" in files


def test_config_instructions(engine, base_image, ctx):
    ctx.dockerfile(
        "FROM busybox AS first\n"
        'CMD ["inherited"]\n'
        "FROM first\n"
        "ENV A=1 B=$A\n"
        "ENV A=2 C=$A\n"
        "LABEL k=v\n"
        "EXPOSE 80 53/udp\n"
        "USER app\n"
        "WORKDIR /w\n"
        "WORKDIR sub\n"
        "VOLUME /data\n"
        "STOPSIGNAL SIGINT\n"
        'SHELL ["/bin/sh", "-ec"]\n'
        'ENTRYPOINT ["/bin/echo"]\n'
        "ONBUILD RUN echo triggered > /tmp/onbuild\n"
    )
    result = engine.build(ctx.root, tags=["cfg"])
    cfg = result.image.config["config"]
    assert "A=2" in cfg["Env"] and "B=" in cfg["Env"] and "C=1" in cfg["Env"]
    assert cfg["Labels"] == {"k": "v"}
    assert set(cfg["ExposedPorts"]) == {"80/tcp", "53/udp"}
    assert cfg["User"] == "app" and cfg["WorkingDir"] == "/w/sub"
    assert cfg["Volumes"] == {"/data": {}} and cfg["StopSignal"] == "SIGINT"
    assert cfg["Shell"] == ["/bin/sh", "-ec"] and cfg["Entrypoint"] == ["/bin/echo"]
    assert not cfg.get("Cmd")  # ENTRYPOINT reset the inherited CMD
    assert cfg["OnBuild"] == ["RUN echo triggered > /tmp/onbuild"]
    files = _files(engine, "cfg")
    assert (files["w/sub"].uid, files["w/sub"].gid) == (1000, 1000)  # WORKDIR owned by USER
    ctx.dockerfile("FROM cfg\nUSER root\nRUN cat /tmp/onbuild\n")
    child = engine.build(ctx.root, tags=["child"])
    assert not child.image.config["config"].get("OnBuild")
    assert any("triggered" in s["instruction"] for s in child.steps)


def test_run_cache_mount_persists_and_is_not_in_the_layer(engine, base_image, ctx):
    ctx.dockerfile(
        "FROM busybox\nARG N=1\n"
        "RUN --mount=type=cache,target=/cache echo $N >> /cache/log && cat /cache/log > /seen\n"
    )
    engine.build(ctx.root, tags=["m"])
    engine.build(ctx.root, tags=["m"], build_args={"N": "2"})
    assert _sh(engine, "m", "cat /seen") == "1\n2\n"
    assert not any(name.startswith("cache/") for name in _files(engine, "m"))


def test_base_image_change_is_the_reason(engine, base_image, ctx):
    ctx.dockerfile("FROM busybox\nRUN echo x > /x\n")
    engine.build(ctx.root, tags=["b"])
    ctx.dockerfile("FROM busybox\nRUN echo y > /y\n")
    engine.build(ctx.root, tags=["busybox:other"])
    ctx.dockerfile("FROM busybox:other\nRUN echo x > /x\n")
    steps = steps_by_instruction(engine.build(ctx.root, tags=["b"]))
    assert steps["FROM busybox:other"]["reason"]["summary"].startswith("base image changed")
    assert not steps["RUN echo x > /x"]["cached"]


@pytest.mark.parametrize("flag", ["--chmod=99999", "--chmod=u+q"])
def test_bad_chmod_names_the_line(engine, base_image, ctx, flag):
    from docker_magics.errors import DockerfileError

    ctx.write("f", "x")
    ctx.dockerfile(f"FROM busybox\nCOPY {flag} f /f\n")
    with pytest.raises(DockerfileError) as err:
        engine.build(ctx.root)
    assert err.value.line == 2 and "chmod" in str(err.value)
