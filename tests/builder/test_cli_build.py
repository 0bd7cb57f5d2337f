"""`docker-magics build` end to end: plain progress, JSON events, --metadata-file, exit codes."""

from __future__ import annotations

import json

from docker_magics.cli.main import main


def test_plain_progress_metadata_file_and_reasons(engine, base_image, ctx, tmp_path, capsys):
    root = engine.store.root
    ctx.write("a.txt", "one\n")
    ctx.dockerfile("FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt\n")
    meta = str(tmp_path / "meta.json")
    assert main(["--root", root, "build", "-t", "app", "--metadata-file", meta, ctx.root]) == 0
    out = capsys.readouterr()
    assert out.out.strip().startswith("sha256:")
    assert "#2 [2/3] COPY a.txt /a.txt" in out.err and "#3 one" in out.err
    assert "#3 CACHE MISS: no previous build" in out.err
    with open(meta) as fh:
        data = json.load(fh)
    assert data["status"] == "ok" and data["image.name"] == "app"
    assert [s["instruction"] for s in data["steps"]] == [
        "FROM busybox",
        "COPY a.txt /a.txt",
        "RUN cat /a.txt",
    ]
    ctx.write("a.txt", "two\n")
    assert main(["--root", root, "build", "-t", "app", ctx.root]) == 0
    err = capsys.readouterr().err
    assert "#1 CACHED" in err
    assert "#2 CACHE MISS: context files changed: a.txt (content)" in err
    assert "#3 CACHE MISS: parent step changed (line 2: COPY a.txt /a.txt)" in err


def test_json_progress_and_failure_exit_code(engine, base_image, ctx, tmp_path, capsys):
    root = engine.store.root
    ctx.dockerfile("FROM busybox\nRUN echo out; exit 7\n")
    meta = str(tmp_path / "meta.json")
    code = main(["--root", root, "build", "--progress", "json", "--metadata-file", meta, ctx.root])
    assert code == 125
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.out.splitlines()]
    assert {"step", "miss", "log", "error"} <= {e["event"] for e in events}
    assert "exit code 7" in captured.err and "Dockerfile:2" in captured.err
    with open(meta) as fh:
        data = json.load(fh)
    assert data["status"] == "failed" and data["steps"][-1]["line"] == 2
    assert "error" in data["steps"][-1]
