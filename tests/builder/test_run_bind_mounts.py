"""``RUN --mount=type=bind``: from the context and from another stage or image.

What a user relies on: the step sees the files; nothing it writes reaches the build context or
the other stage; the mount point leaves no trace in the layer; a change in the source misses the
cache; a bad source names the line. Each test runs with the probed backend and with PRoot.
"""

from __future__ import annotations

import pytest

from docker_magics.errors import BuildError, DockerfileError

from ..capture import run_sh, run_sh_split
from .conftest import steps_by_instruction

STAGES = """\
FROM busybox AS builder
RUN mkdir -p /out/sub && echo {version} > /out/app && echo deep > /out/sub/f && chmod 750 /out/sub
FROM busybox
"""


def test_bind_from_a_stage(runtime, engine, base_image, ctx):
    run = "RUN --mount=type=bind,from=builder,source=/out,target=/in cp -a /in /copied"
    ctx.dockerfile(STAGES.format(version=1) + run + "\n")
    first = engine.build(ctx.root, tags=["b"])
    code, out, err = run_sh_split(
        engine, "b", "cat /copied/app /copied/sub/f; stat -c %a /copied/sub; ls /in"
    )
    assert code != 0 and out == "1\ndeep\n750\n" and "No such file" in err, (out, err)
    assert engine.build(ctx.root, tags=["b"]).steps[-1]["cached"]
    ctx.dockerfile(STAGES.format(version=2) + run + "\n")
    second = engine.build(ctx.root, tags=["b"])
    assert not steps_by_instruction(second)[run]["cached"]
    assert steps_by_instruction(second)[run]["cache_key"] != first.steps[-1]["cache_key"]
    assert run_sh(engine, "b", "cat /copied/app") == (0, "2\n")


def test_bind_from_a_stage_never_writes_into_it(runtime, engine, base_image, ctx):
    ctx.dockerfile(
        STAGES.format(version=1) + "RUN --mount=type=bind,from=builder,source=/out,target=/in,rw "
        "echo changed > /in/app && touch /in/new && ls /in > /listing\n"
        "RUN --mount=type=bind,from=builder,source=/out,target=/in cat /in/app > /again\n"
    )
    engine.build(ctx.root, tags=["w"])
    assert run_sh(engine, "w", "cat /listing /again") == (0, "app\nnew\nsub\n1\n")
    engine.build(ctx.root, tags=["only-builder"], target="builder")
    assert run_sh(engine, "only-builder", "ls /out; cat /out/app") == (0, "app\nsub\n1\n")


def test_read_only_by_default(runtime, engine, base_image, ctx):
    ctx.write("data.txt", "from the context\n")
    ctx.dockerfile("FROM busybox\nRUN --mount=type=bind,target=/ctx echo x > /ctx/data.txt\n")
    if runtime == "proot":
        # No read-only binds under PRoot: the step writes into a private copy, thrown away.
        engine.build(ctx.root, tags=["ro"])
    else:
        with pytest.raises(BuildError) as err:
            engine.build(ctx.root, tags=["ro"])
        assert err.value.line == 2 and "Read-only" in err.value.output_tail
    assert open(f"{ctx.root}/data.txt").read() == "from the context\n"


def test_rw_context_bind_leaves_the_context_alone(runtime, engine, base_image, ctx):
    ctx.write("data.txt", "from the context\n")
    ctx.write("secret.txt", "ignored\n")
    ctx.write(".dockerignore", "secret.txt\n")
    ctx.dockerfile(
        "FROM busybox\nRUN --mount=type=bind,target=/ctx,rw "
        "echo changed > /ctx/data.txt && cat /ctx/data.txt > /seen && ls /ctx > /listing\n"
    )
    engine.build(ctx.root, tags=["rw"])
    code, out = run_sh(engine, "rw", "cat /seen /listing")
    assert code == 0 and out.startswith("changed\n") and "data.txt" in out
    if runtime == "proot":
        assert "secret.txt" not in out  # the private copy is the context as sent: ignored files out
    assert open(f"{ctx.root}/data.txt").read() == "from the context\n"


def test_bind_from_an_image_and_errors(runtime, engine, base_image, ctx):
    ctx.dockerfile(
        "FROM busybox\nRUN --mount=type=bind,from=busybox,source=/etc/passwd,target=/p "
        "grep -c : /p > /count\n"
    )
    engine.build(ctx.root, tags=["img"])
    assert run_sh(engine, "img", "cat /count") == (0, "4\n")
    ctx.dockerfile("FROM busybox\nRUN --mount=type=bind,from=busybox,source=/nope,target=/p true\n")
    with pytest.raises(DockerfileError, match="/nope not found") as err:
        engine.build(ctx.root, tags=["bad"])
    assert err.value.line == 2
