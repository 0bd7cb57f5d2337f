"""`%%dockerfile` in a real in-process IPython shell: live view, summary, cache diff, errors."""

from __future__ import annotations

import os

from IPython.core.error import UsageError

from docker_magics.display.buildview import BuildSummary
from docker_magics.magics.errors import CellFailed

DOCKERFILE = """FROM busybox
ENV GREETING=$HOME
COPY package.json /app/
RUN echo installing; cat /app/package.json > /app/installed
COPY . /app/
CMD ["cat", "/app/installed"]
"""


def make_context(tmp_path, version: str = "1") -> str:
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "package.json").write_text(f'{{"version": "{version}"}}')
    (ctx / "app.js").write_text("console.log('hi')\n")
    return str(ctx)


def test_build_returns_summary_and_updates_one_display(ip, base_image, engine, tmp_path):
    ctx = make_context(tmp_path)
    ip.user_ns["HOME"] = "python-value"
    cell = ip.cell(f"%%dockerfile -t app:1 {ctx}\n{DOCKERFILE}")
    assert cell.error is None, cell.stdout
    summary = cell.result.result
    assert isinstance(summary, BuildSummary)
    assert summary.image.id == engine.image("app:1").id and summary.id == summary.image.id
    assert ip.user_ns["_"] is summary
    # the body was not expanded by IPython: $HOME reached the builder as written
    assert summary.steps[1]["instruction"] == "ENV GREETING=$HOME"
    # live view: every redraw is an update of the same display, the last one is final
    assert len(cell.outputs) > 3
    assert "Building" in cell.outputs[0]["text/plain"]
    # its final state is a log, not a second summary with another time (the summary has it)
    assert cell.outputs[-1]["text/plain"].startswith("Build log: 4 steps")
    assert "Built app:1" in summary.headline()
    assert "installing" in cell.outputs[-1]["text/html"]  # the RUN output, in its log
    html = summary._repr_mimebundle_()["text/html"]
    assert "app:1" in html and "<table" in html


def test_rebuild_shows_cache_diff_with_reason(ip, base_image, tmp_path):
    ctx = make_context(tmp_path)
    assert ip.cell(f"%%dockerfile -t app {ctx}\n{DOCKERFILE}").error is None
    with open(os.path.join(ctx, "app.js"), "a") as fh:
        fh.write("// changed\n")
    cell = ip.cell(f"%%dockerfile -t app -o second {ctx}\n{DOCKERFILE}")
    assert cell.error is None
    summary = ip.user_ns["second"]
    assert summary.cachediff is not None
    text = summary.to_text()
    assert "first miss" in text and "app.js" in text
    cached = [s["cached"] for s in summary.steps]
    assert cached == [True, True, True, True, False, False]
    cell = ip.cell("%container cachediff app")
    assert cell.error is None and "first miss at line 5" in cell.html()
    graph = ip.cell(f"%container graph -o {tmp_path / 'g.svg'}")
    assert "<svg" in (tmp_path / "g.svg").read_text() and "wrote" in graph.stdout
    assert "BUILT in last build" in ip.cell("%container graph app").outputs[0]["image/svg+xml"]


def test_interpolation_is_opt_in(ip, base_image, engine):
    ip.user_ns["word"] = "hello"
    body = "FROM busybox\nRUN echo {{ word.upper() }} > /w\n"
    cell = ip.cell("%%dockerfile -t interp --interpolate -\n" + body)
    assert cell.error is None
    assert cell.result.result.steps[1]["instruction"] == "RUN echo HELLO > /w"
    literal = "FROM busybox\nRUN echo '{{ word }}' > /w\n"
    cell = ip.cell("%%dockerfile -t literal -\n" + literal)
    assert cell.result.result.steps[1]["instruction"] == "RUN echo '{{ word }}' > /w"
    assert type(ip.cell("%%dockerfile --interpolate -\nFROM {{ nope }}\n").error) is UsageError


def test_failed_run_step_is_a_short_error(ip, base_image):
    cell = ip.cell("%%dockerfile -t broken -\nFROM busybox\nRUN echo about to fail; exit 7\n")
    assert isinstance(cell.error, CellFailed)
    html = cell.html()
    assert "Dockerfile line" in html and "exit code" in html and "about to fail" in html
    assert "FAILED" in cell.outputs[-2]["text/html"]  # the live view's final state


def test_dockerfile_error_and_usage_errors(ip, base_image):
    cell = ip.cell("%%dockerfile -\nFROM busybox\nFROBNICATE now\n")
    assert isinstance(cell.error, CellFailed) and "FROBNICATE" in cell.html()
    assert type(ip.cell("%%dockerfile --bogus\nFROM busybox\n").error) is UsageError
    assert type(ip.cell("%%dockerfile -f x -\nFROM busybox\n").error) is UsageError
    assert type(ip.cell("%%dockerfile --build-arg =x -\nFROM busybox\n").error) is UsageError
    ip.run_cell("%config DockerMagics.debug = True")
    cell = ip.cell("%%dockerfile -\nFROM busybox\nRUN exit 4\n")
    assert type(cell.error).__name__ == "BuildError"


def test_plain_progress(ip, base_image):
    ip.run_cell("%config DockerMagics.progress = 'plain'")
    cell = ip.cell("%%dockerfile -\nFROM busybox\nRUN echo plain\n")
    assert cell.error is None
    assert "[2/2] RUN echo plain" in cell.stdout and "#2 plain" in cell.stdout
