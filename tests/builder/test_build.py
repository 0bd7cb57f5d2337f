"""Builds on a real store and runtime, from the busybox base image of tests/conftest.py."""

from __future__ import annotations

import json
import os

import pytest

from docker_magics.errors import BuildError, DockerfileError, NotFoundError

from .conftest import steps_by_instruction

APP = """FROM busybox
WORKDIR /usr/src
COPY . /usr/src/
RUN cat package.json > /installed && echo ok
CMD ["cat", "/installed"]
"""

REORDERED = """FROM busybox
WORKDIR /usr/src
COPY package.json /usr/src/
RUN cat package.json > /installed && echo ok
COPY . /usr/src/
CMD ["cat", "/installed"]
"""


def _app(ctx, dockerfile=APP):
    ctx.write("package.json", '{"name": "app"}\n')
    ctx.write("index.js", "console.log('hi')\n")
    ctx.dockerfile(dockerfile)


def _run_output(engine, image) -> bytes:
    out: list[bytes] = []
    engine.run(image, remove=True, out=out.append)
    return b"".join(out)


def test_rebuild_is_fully_cached_and_image_runs(engine, base_image, ctx):
    _app(ctx)
    first = engine.build(ctx.root, tags=["app"])
    assert not steps_by_instruction(first)["RUN cat package.json > /installed && echo ok"]["cached"]
    assert _run_output(engine, "app") == b'{"name": "app"}\n'
    second = engine.build(ctx.root, tags=["app"])
    assert all(s["cached"] for s in second.steps), [s for s in second.steps if not s["cached"]]
    assert second.image.diff_ids == first.image.diff_ids
    hist = second.image.config["history"]
    assert hist[-1] == {**hist[-1], "created_by": 'CMD ["cat" "/installed"]', "empty_layer": True}
    assert hist[-2]["created_by"].startswith("RUN /bin/sh -c cat package.json")
    assert hist[-2]["comment"] == "buildkit.dockerfile.v0"
    assert len([h for h in hist if not h.get("empty_layer")]) == len(second.image.diff_ids)


def test_copy_dot_before_run_misses_on_any_file_change_and_names_it(engine, base_image, ctx):
    _app(ctx)
    engine.build(ctx.root, tags=["app"])
    ctx.write("index.js", "console.log('changed')\n")
    result = engine.build(ctx.root, tags=["app"])
    steps = steps_by_instruction(result)
    copy = steps["COPY . /usr/src/"]
    assert not copy["cached"]
    files = next(c for c in copy["reason"]["changes"] if c["field"] == "files")
    assert files["changed"] == [{"path": "index.js", "attributes": ["content"]}]
    run = steps["RUN cat package.json > /installed && echo ok"]
    assert not run["cached"] and run["reason"]["kind"] == "parent changed"
    assert "COPY . /usr/src/" in run["reason"]["summary"]


def test_copy_one_file_first_keeps_the_install_step_cached(engine, base_image, ctx):
    _app(ctx, REORDERED)
    engine.build(ctx.root, tags=["app"])
    ctx.write("index.js", "console.log('changed')\n")
    steps = steps_by_instruction(engine.build(ctx.root, tags=["app"]))
    assert steps["RUN cat package.json > /installed && echo ok"]["cached"]
    assert not steps["COPY . /usr/src/"]["cached"]


def test_same_size_and_mtime_but_new_content_misses(engine, base_image, ctx):
    _app(ctx)
    engine.build(ctx.root, tags=["app"])
    path = os.path.join(ctx.root, "package.json")
    st = os.stat(path)
    ctx.write("package.json", '{"name": "xyz"}\n')
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_size == st.st_size
    steps = steps_by_instruction(engine.build(ctx.root, tags=["app"]))
    assert not steps["COPY . /usr/src/"]["cached"]
    assert _run_output(engine, "app") == b'{"name": "xyz"}\n'


def test_dockerignored_file_change_does_not_miss(engine, base_image, ctx):
    _app(ctx)
    ctx.write(".dockerignore", "notes.txt\n")
    ctx.write("notes.txt", "one")
    engine.build(ctx.root, tags=["app"])
    ctx.write("notes.txt", "two, longer")
    assert all(s["cached"] for s in engine.build(ctx.root, tags=["app"]).steps)


def test_arg_change_invalidates_later_run_label_change_does_not(engine, base_image, ctx):
    ctx.dockerfile(
        "FROM busybox\nARG V=1\nLABEL owner=me\nRUN echo built > /out\nENV E=1\nRUN cat /out\n"
    )
    engine.build(ctx.root, tags=["t"])
    steps = steps_by_instruction(engine.build(ctx.root, tags=["t"], build_args={"V": "2"}))
    assert not steps["RUN echo built > /out"]["cached"]
    reason = steps["RUN echo built > /out"]["reason"]
    assert reason["changes"][0] == {
        "field": "env",
        "name": "V",
        "old": "1",
        "new": "2",
        "arg": True,
    }
    assert reason["summary"] == "build argument V changed: 1 -> 2"
    # The next RUN sees the same change through its parent: said once, where it is first used.
    assert steps["RUN cat /out"]["reason"]["summary"] == (
        "parent step changed (line 4: RUN echo built > /out): build argument V changed: 1 -> 2"
    )
    # The ARG line itself did not change, and LABEL/ARG/ENV are config edits, not build steps.
    assert steps["ARG V=1"]["meta"] and "reason" not in steps["ARG V=1"]
    ctx.dockerfile(
        "FROM busybox\nARG V=1\nLABEL owner=you\nRUN echo built > /out\nENV E=1\nRUN cat /out\n"
    )
    result = engine.build(ctx.root, tags=["t"], build_args={"V": "2"})
    steps = steps_by_instruction(result)
    assert steps["RUN echo built > /out"]["cached"] and steps["RUN cat /out"]["cached"]
    assert result.image.config["config"]["Labels"] == {"owner": "you"}
    ctx.dockerfile(
        "FROM busybox\nARG V=1\nLABEL owner=you\nRUN echo built > /out\nENV E=2\nRUN cat /out\n"
    )
    steps = steps_by_instruction(engine.build(ctx.root, tags=["t"], build_args={"V": "2"}))
    assert steps["RUN echo built > /out"]["cached"]
    assert steps["RUN cat /out"]["reason"]["changes"][0]["name"] == "E"


def test_failing_run_reports_line_and_code_tags_nothing_keeps_cache(engine, base_image, ctx):
    ctx.write("f", "x")
    ctx.dockerfile("FROM busybox\nCOPY f /f\nRUN echo before; echo oops >&2; exit 3\n")
    with pytest.raises(BuildError) as err:
        engine.build(ctx.root, tags=["broken"])
    assert err.value.line == 3 and err.value.exit_code == 3
    assert "oops" in err.value.output_tail
    with pytest.raises(NotFoundError):
        engine.image("broken")
    ctx.dockerfile("FROM busybox\nCOPY f /f\nRUN true\n")
    steps = steps_by_instruction(engine.build(ctx.root, tags=["fixed"]))
    assert steps["COPY f /f"]["cached"]


def test_no_cache_misses_everything_with_the_reason(engine, base_image, ctx):
    _app(ctx)
    engine.build(ctx.root, tags=["app"])
    result = engine.build(ctx.root, tags=["app"], no_cache=True)
    assert not any(s["cached"] for s in result.steps)
    built = [s for s in result.steps if not s.get("meta")]
    assert len(built) > 2 and {s["reason"]["kind"] for s in built} == {"--no-cache"}


def test_multi_stage_copy_from_and_target(engine, base_image, ctx):
    ctx.dockerfile(
        "FROM busybox AS builder\nRUN mkdir -p /out && echo artefact > /out/a\n"
        "FROM busybox AS unused\nRUN exit 1\n"
        'FROM busybox\nCOPY --from=builder /out/ /app/\nCMD ["cat", "/app/a"]\n'
    )
    result = engine.build(ctx.root, tags=["ms"])
    assert {s["stage"] for s in result.steps} == {"builder", "2"}  # "unused" is never built
    assert _run_output(engine, "ms") == b"artefact\n"
    first_stage = engine.build(ctx.root, tags=["b"], target="builder")
    assert all(s["cached"] for s in first_stage.steps)


def test_errors_carry_the_dockerfile_line(engine, base_image, ctx):
    ctx.dockerfile("FROM busybox\nCOPY missing.txt /x\n")
    with pytest.raises(DockerfileError) as err:
        engine.build(ctx.root)
    assert err.value.line == 2 and "not found" in str(err.value)
    ctx.dockerfile("FROM busybox\nCOPY --from=nowhere /a /b\n")
    with pytest.raises(DockerfileError, match="undefined --from"):
        engine.build(ctx.root)
    ctx.dockerfile("FROM busybox\nRUNN true\n")
    with pytest.raises(DockerfileError) as err:
        engine.build(ctx.root)
    assert err.value.line == 2
    with pytest.raises(DockerfileError, match="target stage"):
        engine.build(ctx.root, target="nope", dockerfile_text="FROM busybox\n")


def test_record_is_written_and_compared(engine, base_image, ctx):
    _app(ctx)
    first = engine.build(ctx.root, tags=["app"])
    path = os.path.join(engine.store.root, "builds", f"{first.record_id}.json")
    with open(path) as fh:
        record = json.load(fh)
    step = record["steps"][2]
    for field in ("instruction", "stage", "line", "cache_key", "cached", "duration_s", "layer"):
        assert field in step
    assert step["reason"]["kind"] == "no previous build"
    second = engine.build(ctx.root, tags=["app"])
    assert second.record["previous"] == first.record_id
