"""Typed instructions and stages: values, flags and located error messages."""

from __future__ import annotations

import pytest

from docker_magics.dockerfile import instructions as ins
from docker_magics.dockerfile import parse_stages
from docker_magics.errors import DockerfileError

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE=alpine:3.20
ARG VERSION
FROM --platform=$BUILDPLATFORM ${BASE} AS Builder
WORKDIR /src
COPY --link --chown=1000:1000 --exclude=*.md --exclude=.git go.mod go.sum ./
RUN --mount=type=cache,target=/root/.cache,sharing=locked --network=none \\
    go build ./...
ADD --checksum=sha256:abc --keep-git-dir=false https://x/y.tgz /y/
ENV A=1 B="two words"
ENV LEGACY value with spaces
LABEL org.opencontainers.image.title=demo
EXPOSE 8080/tcp 443
USER app:app
VOLUME ["/data", "/logs"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=1.5s --retries=3 CMD ["wget", "-q", "localhost"]
SHELL ["/bin/bash", "-c"]
ONBUILD COPY . /app
MAINTAINER someone

FROM scratch
COPY --from=builder /src/app /app
ENTRYPOINT ["/app"]
CMD ["--help"]
"""


@pytest.fixture(scope="module")
def dockerfile():  # type: ignore[no-untyped-def]
    return parse_stages(DOCKERFILE, filename="demo.Dockerfile")


def test_global_args_and_stages(dockerfile) -> None:  # type: ignore[no-untyped-def]
    assert [a.args[0] for a in dockerfile.meta_args] == [
        ins.ArgDefinition("BASE", "alpine:3.20"),
        ins.ArgDefinition("VERSION", None),
    ]
    first, second = dockerfile.stages
    assert (first.index, first.name, first.base, first.platform) == (
        0,
        "builder",
        "${BASE}",
        "$BUILDPLATFORM",
    )
    assert (second.index, second.name, second.base) == (1, None, "scratch")
    assert dockerfile.stage("BUILDER") is first
    assert dockerfile.stage(1) is second
    assert dockerfile.directives == (("syntax", "docker/dockerfile:1"),)


def test_every_instruction_is_typed(dockerfile) -> None:  # type: ignore[no-untyped-def]
    kinds = [type(i).__name__ for i in dockerfile.stages[0].instructions]
    assert kinds == [
        "Workdir", "Copy", "Run", "Add", "Env", "Env", "Label", "Expose", "User", "Volume",
        "Stopsignal", "Healthcheck", "Shell", "Onbuild", "Maintainer",
    ]  # fmt: skip


def test_copy_and_add_flags(dockerfile) -> None:  # type: ignore[no-untyped-def]
    copy, add = dockerfile.stages[0].instructions[1], dockerfile.stages[0].instructions[3]
    assert isinstance(copy, ins.Copy) and isinstance(add, ins.Add)
    assert copy.sources == ("go.mod", "go.sum") and copy.dest == "./"
    assert copy.link and copy.chown == "1000:1000" and copy.excludes == ("*.md", ".git")
    assert add.checksum == "sha256:abc" and add.keep_git_dir is False and add.unpack is None
    final_copy = dockerfile.stages[1].instructions[0]
    assert isinstance(final_copy, ins.Copy) and final_copy.from_ == "builder"


def test_run_mounts_and_location(dockerfile) -> None:  # type: ignore[no-untyped-def]
    run = dockerfile.stages[0].instructions[2]
    assert isinstance(run, ins.Run)
    assert (run.line, run.end_line) == (7, 8)
    assert run.command == ("go build ./...",)
    assert run.prepend_shell and run.network == "none"
    (mount,) = run.mounts
    assert (mount.type, mount.target, mount.option("sharing")) == (
        "cache",
        "/root/.cache",
        "locked",
    )


def test_env_label_healthcheck(dockerfile) -> None:  # type: ignore[no-untyped-def]
    body = dockerfile.stages[0].instructions
    assert body[4].pairs == (ins.KeyValue("A", "1"), ins.KeyValue("B", '"two words"'))
    assert body[5].pairs == (ins.KeyValue("LEGACY", "value with spaces", legacy=True),)
    health = body[11]
    assert isinstance(health, ins.Healthcheck)
    assert health.test == ("CMD", "wget", "-q", "localhost")
    assert (health.interval_ns, health.timeout_ns, health.retries) == (30 * 10**9, 15 * 10**8, 3)
    onbuild = body[13]
    assert isinstance(onbuild, ins.Onbuild) and onbuild.expression == "COPY . /app"
    assert isinstance(onbuild.trigger, ins.Copy)


def test_cmd_shell_and_exec_forms(dockerfile) -> None:  # type: ignore[no-untyped-def]
    entrypoint, cmd = dockerfile.stages[1].instructions[1:]
    assert entrypoint.command == ("/app",) and entrypoint.exec_form
    assert cmd.command == ("--help",) and cmd.exec_form


def _error(text: str) -> DockerfileError:
    with pytest.raises(DockerfileError) as info:
        parse_stages(text, filename="x/Dockerfile")
    return info.value


def test_unknown_instruction_suggests_and_locates() -> None:
    err = _error('FROM a\nRUN ok\nENTRYPONT ["x"]\n')
    assert err.line == 3 and err.filename == "x/Dockerfile"
    assert "unknown instruction: ENTRYPONT" in err.message
    assert "did you mean ENTRYPOINT?" in err.message
    assert str(err).startswith("x/Dockerfile:3: ")


def test_unknown_instruction_without_close_match() -> None:
    err = _error("FROM a\nFROBNICATE x\n")
    assert err.message == "unknown instruction: FROBNICATE"


def test_unknown_flag_names_flag_line_and_allowed_flags() -> None:
    err = _error("FROM a\nCOPY --form=build a b\n")
    assert err.line == 2
    assert "--form" in err.message and "did you mean --from?" in err.message
    assert "--chown" in err.message and "--parents" in err.message


def test_flag_on_instruction_without_flags() -> None:
    assert "USER accepts no flags" in _error("FROM a\nUSER --x=1 me\n").message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM a\nCOPY --link=maybe a b\n", "expecting boolean value"),
        ("FROM a\nCOPY --from a b\n", "missing a value on flag: --from"),
        ("FROM a\nCOPY --from=x --from=y a b\n", "duplicate flag specified: --from"),
        ("FROM a\nRUN --network=bogus x\n", "unsupported network mode"),
        ("FROM a\nRUN --mount=type=cache x\n", "requires a target"),
        ("FROM a\nRUN --mount=type=nfs,target=/x x\n", "unsupported mount type"),
        ("FROM a\nHEALTHCHECK --interval=1us CMD x\n", "cannot be less than 1ms"),
        ("FROM a\nHEALTHCHECK --retries=-1 CMD x\n", "--retries cannot be negative"),
        ("FROM a\nHEALTHCHECK PING x\n", "Unknown type"),
        ("FROM a\nHEALTHCHECK CMD\n", "Missing command after HEALTHCHECK CMD"),
        ("FROM a\nSHELL sh -c\n", "JSON form"),
        ("FROM a\nCOPY onlyone\n", "requires at least two arguments"),
        ("FROM a\nCOPY a <<EOF\nx\nEOF\n", "heredoc as a destination"),
        ("FROM a\nWORKDIR\n", "WORKDIR requires exactly one argument"),
        ("FROM a\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD"),
        ("FROM a\nONBUILD FROM b\n", "FROM isn't allowed as an ONBUILD trigger"),
        ("FROM a b\n", "FROM requires either one or three arguments"),
        ("FROM a AS 1st\n", "invalid name for build stage"),
        ("FROM a AS x\nFROM b AS X\n", "duplicate stage name"),
        ("RUN x\n", "no build stage in current context"),
        ("FROM a\nARG =x\n", "ARG names can not be blank"),
        ("FROM a\nCMD --help\n", "unknown flag: --help (CMD accepts no flags)"),
    ],
)
def test_validation_errors(text: str, message: str) -> None:
    err = _error(text)
    assert message in err.message
    assert err.line is not None and err.source


def test_heredoc_sources_of_copy() -> None:
    stage = parse_stages("FROM a\nCOPY <<-A <<'B' src /dst/\n\tone\n\tA\ntwo $X\nB\n").stages[0]
    copy = stage.instructions[0]
    assert isinstance(copy, ins.Copy)
    assert copy.sources == ("src",)
    assert [(c.path, c.data, c.expand) for c in copy.contents] == [
        ("A", "one\n", True),
        ("B", "two $X\n", False),
    ]


def test_instructions_are_frozen() -> None:
    stage = parse_stages("FROM a\nUSER me\n").stages[0]
    with pytest.raises(AttributeError):
        stage.instructions[0].user = "root"  # type: ignore[misc]
