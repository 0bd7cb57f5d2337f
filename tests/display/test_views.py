"""Tables, the short error, and the live build view fed with builder events."""

from __future__ import annotations

from docker_magics.display.buildview import BuildProgress
from docker_magics.display.errors import error_view
from docker_magics.display.tables import Table
from docker_magics.errors import BuildError, DockerfileError


def test_table_html_and_text():
    t = Table(["A", "LONGER"], [["<x>", "1"], ["yy", "22"]])
    bundle = t._repr_mimebundle_()
    assert "&lt;x&gt;" in bundle["text/html"] and bundle["text/html"].count("<tr>") == 3
    assert bundle["text/plain"].splitlines() == ["A     LONGER", "<x>   1", "yy    22"]
    assert "(none)" in Table(["A"], []).to_html()


def test_error_view_from_build_error():
    exc = BuildError(
        "RUN failed",
        line=4,
        instruction="RUN make",
        exit_code=2,
        output_tail="\n".join(f"line {i}" for i in range(30)),
    )
    view = error_view(exc)
    text = view.to_text()
    assert "Dockerfile line 4" in text and "RUN make" in text and "exit code: 2" in text
    assert "line 29" in text and "line 10" not in text
    assert "✗ Error:" in view.to_html()
    d = error_view(DockerfileError("unknown instruction: FOO", line=3, source="FOO bar"))
    assert d.line == 3 and d.command == "FOO bar"
    assert "ValueError: boom" in error_view(ValueError("boom")).to_text()


def test_live_build_view():
    now = [0.0]
    view = BuildProgress("FROM busybox\nRUN make\nCMD x\n", clock=lambda: now[0])
    assert [s.state for s in view.steps] == ["waiting", "waiting", "config"]  # CMD: no step
    view.feed({"event": "step", "id": 1, "line": 1, "pos": "1/3", "instruction": "FROM busybox"})
    view.feed({"event": "done", "id": 1, "cached": True, "duration_s": 0})
    view.feed({"event": "step", "id": 2, "line": 2, "pos": "2/3", "instruction": "RUN make"})
    view.feed({"event": "miss", "id": 2, "reason": {"summary": "instruction changed"}})
    assert not view.feed({"event": "log", "id": 2, "data": "compil"})
    view.feed({"event": "log", "id": 2, "data": "ing\nlinking"})
    now[0] = 2.5
    html = view.to_html()
    assert "running" in html and "2.5s" in html and "<progress" in html
    assert "compiling\nlinking" in html and "cache miss: instruction changed" in html
    # The builder's idle line (a process paused mid-line) shows, then its whole line replaces it.
    view.feed({"event": "log", "id": 2, "data": "\n", "stream": "stdout"})
    view.feed({"event": "log", "id": 2, "data": "abc", "partial": True})
    assert view.steps[1].log_lines()[-1] == "abc"
    view.feed({"event": "log", "id": 2, "data": "abcdef\n"})
    assert view.steps[1].log_lines()[-2:] == ["linking", "abcdef"]
    view.feed({"event": "error", "id": 2, "message": "exit code 2"})
    assert [s.state for s in view.steps] == ["cached", "failed", "config"]
    assert view.headline().startswith("Build failed") and "FAILED" in view.to_html()
