"""``COPY --from=STAGE`` and ``RUN --mount=type=bind,from=STAGE`` are keyed on the content of
the paths they read, as BuildKit keys them, not on the whole source stage (issue 16 item 3).
"""

from __future__ import annotations

from .conftest import steps_by_instruction

DOCKERFILE = """\
FROM busybox AS a
COPY a.txt b.txt /
FROM busybox
COPY --from=a /a.txt /a.txt
RUN --mount=type=bind,from=a,source=/a.txt,target=/in/a.txt cat /in/a.txt > /seen
RUN echo expensive > /out
"""
COPY = "COPY --from=a /a.txt /a.txt"
BIND = "RUN --mount=type=bind,from=a,source=/a.txt,target=/in/a.txt cat /in/a.txt > /seen"
LAST = "RUN echo expensive > /out"


def _build(engine, ctx) -> dict[str, dict]:
    return steps_by_instruction(engine.build(ctx.root, tags=["app"]))


def test_unrelated_change_in_the_source_stage_keeps_the_copy_cached(engine, base_image, ctx):
    ctx.write("a.txt", "a\n")
    ctx.write("b.txt", "b\n")
    ctx.dockerfile(DOCKERFILE)
    _build(engine, ctx)
    ctx.write("b.txt", "b changed\n")
    steps = _build(engine, ctx)
    assert not steps["COPY a.txt b.txt /"]["cached"]
    assert steps[COPY]["cached"] and steps[BIND]["cached"] and steps[LAST]["cached"]


def test_a_copied_file_changing_is_named_in_the_reason(engine, base_image, ctx):
    ctx.write("a.txt", "a\n")
    ctx.write("b.txt", "b\n")
    ctx.dockerfile(DOCKERFILE)
    _build(engine, ctx)
    ctx.write("a.txt", "a changed\n")
    steps = _build(engine, ctx)
    copy = steps[COPY]
    assert not copy["cached"]
    files = next(c for c in copy["reason"]["changes"] if c["field"] == "files")
    assert files["changed"] == [{"path": "/a.txt", "attributes": ["content"]}], files
    # The bind's record keeps the files behind its checksum, for the reason to name them.
    bind = steps[BIND]
    assert not bind["cached"] and bind["notes"]["mounts"]["/in/a.txt"].keys() == {"/a.txt"}


def test_chmod_in_the_source_stage_is_a_change(engine, base_image, ctx):
    """Mode and owner are part of what is copied: a change there is a miss too."""
    ctx.write("a.txt", "a\n")
    ctx.dockerfile("FROM busybox AS a\nCOPY a.txt /\nFROM busybox\nCOPY --from=a /a.txt /a.txt\n")
    _build(engine, ctx)
    ctx.dockerfile(
        "FROM busybox AS a\nCOPY --chown=1000:1000 a.txt /\n"
        "FROM busybox\nCOPY --from=a /a.txt /a.txt\n"
    )
    copy = _build(engine, ctx)[COPY]
    files = next(c for c in copy["reason"]["changes"] if c["field"] == "files")
    assert files["changed"] == [{"path": "/a.txt", "attributes": ["owner"]}], files
