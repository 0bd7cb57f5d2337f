"""No Python reprs in what a user reads (issue 15 item 7, issue 16 item 6).

Real builds whose second run changes one thing of every kind a miss can have (a build
argument, a context file, a bind-mounted file, a COPY's sources, a stage, the base image, the
working directory, a USER, a mode), rendered every way a user sees them: the plain progress
output, the live view, the build summary and the cache diff, as text and as HTML. Each is
scanned for the marks a Python repr leaves (``['``, ``{'``, ``': '``, a list of dicts) and for
full digests outside the lines that are meant to show one.
"""

from __future__ import annotations

import html as html_lib
import os
import re

from docker_magics.cli.plain_progress import PlainPrinter
from docker_magics.display.buildview import BuildProgress, BuildSummary
from docker_magics.display.cachediff import CacheDiff, diff_builds

REPR = re.compile(r"\['|'\]|\{'|'\}|': '|\[\{|\}\]|\(\('|\bNone\b|\bTrue\b|\bFalse\b")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")

V1 = """FROM busybox AS deps
ARG V=1
ENV E=$V
WORKDIR /app
COPY . /app
RUN --mount=type=bind,source=package.json,target=/app/p.json cat p.json > seen
USER 0
FROM deps
COPY --chmod=644 --from=deps /app/seen /seen
RUN echo $E > /e
CMD ["sh"]
"""
V2 = (
    V1.replace("COPY . /app", "COPY package.json /app/")
    .replace("USER 0", "USER 0:0")
    .replace("--chmod=644", "--chmod=600")
    .replace("FROM deps\n", "FROM deps\nWORKDIR /srv\n")
)


def _write(root: str, rel: str, text: str) -> None:
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)


def _build(engine, context: str, text: str, **kw):
    _write(context, "Dockerfile", text)
    lines: list[str] = []
    printer = PlainPrinter(lines.append, lambda raw: lines.append(raw))
    live = BuildProgress(text)

    def progress(ev):
        printer(ev)
        live.feed(ev)

    result = engine.build(context, tags=["norepr"], progress=progress, **kw)
    return result, "\n".join(lines), live


def _scan(where: str, text: str) -> None:
    readable = html_lib.unescape(re.sub(r"<[^>]+>", " ", text))
    for line in readable.splitlines():
        if "writing image" in line or line.strip().startswith("sha256:"):
            continue  # BuildKit's own lines naming the image, as `docker build` prints them
        assert not REPR.search(line), f"{where}: a Python repr in {line!r}"
        assert not DIGEST.search(line), f"{where}: a raw digest in {line!r}"


def test_every_view_of_every_reason_is_words(engine, base_image, tmp_path):
    context = str(tmp_path / "ctx")
    _write(context, "package.json", '{"v": 1}\n')
    _write(context, "index.js", "one\n")
    first, _, _ = _build(engine, context, V1)
    _write(context, "package.json", '{"v": 2}\n')
    second, plain, live = _build(engine, context, V2, build_args={"V": "2"})
    diff = CacheDiff(diff_builds(first.record, second.record))
    summary = BuildSummary(second, diff)
    kinds = {c["field"] for s in second.steps for c in (s.get("reason") or {}).get("changes", [])}
    assert {"env", "mount", "paths", "user", "stage", "chmod"} <= kinds, kinds
    for where, text in [
        ("plain progress", plain),
        ("live view text", live.to_text()),
        ("live view HTML", live.to_html()),
        ("summary text", summary.to_text()),
        ("summary HTML", summary.to_html()),
    ]:
        _scan(where, text)
    assert "COPY now takes package.json instead of the whole context (.)" in plain
    assert "build argument V changed: 1 -> 2" in plain

    # The base image changes: named by its tags and short IDs.
    other = str(tmp_path / "other")
    os.makedirs(other)
    engine.build(other, tags=["busybox:other"], dockerfile_text="FROM busybox\nRUN true\n")
    third, plain, live = _build(engine, context, V2.replace("busybox", "busybox:other", 1))
    text = CacheDiff(diff_builds(second.record, third.record)).to_text()
    for where, out in [("plain", plain), ("cache diff", text), ("live", live.to_html())]:
        _scan(where, out)
    assert re.search(
        r"base image changed: busybox -> busybox:other \(now \w{12}, was \w{12}\)", plain
    )
