"""`graph`, `layers` and `cachediff` as CLI verbs: text on the terminal, files with -o."""

from __future__ import annotations

import shutil

import pytest

from docker_magics.cli.main import main


def cli(capsys, engine, *argv):
    code = main(["--root", engine.store.root, *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_graph_text_and_files(capsys, engine, base_image, tmp_path):
    code, out, _ = cli(capsys, engine, "graph")
    assert code == 0 and "image busybox:latest" in out
    code, out, _ = cli(capsys, engine, "graph", "-o", str(tmp_path / "g.dot"))
    assert code == 0 and (tmp_path / "g.dot").read_text().startswith("digraph")
    if shutil.which("dot"):
        code, out, err = cli(capsys, engine, "graph", "-o", str(tmp_path / "g.svg"))
        assert (code, err) == (0, "")
        svg = (tmp_path / "g.svg").read_text()
        assert svg.startswith("<svg") or svg.startswith("<?xml")
        assert "busybox:latest" in svg


def test_layers_text(capsys, engine, base_image):
    code, out, _ = cli(capsys, engine, "layers", "busybox")
    assert code == 0 and "efficiency 100.0%" in out and "… " in out
    code, out, _ = cli(capsys, engine, "layers", "--all", "busybox")
    assert "… " not in out


def test_cachediff_text(capsys, engine, base_image, tmp_path):
    code, _, err = cli(capsys, engine, "cachediff")
    assert code == 125 and "no build records" in err
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "f").write_text("1")
    df = "FROM busybox\nCOPY f /f\nRUN cat /f\n"
    engine.build(str(ctx), dockerfile_text=df, tags=["x"])
    (ctx / "f").write_text("2")
    engine.build(str(ctx), dockerfile_text=df, tags=["x"])
    code, out, _ = cli(capsys, engine, "cachediff")
    assert code == 0, out
    assert "<- first miss" in out and "REBUILT" in out
    code, out2, _ = cli(capsys, engine, "cachediff", "x")
    assert out2 == out


@pytest.mark.parametrize("verb", ["graph", "layers", "cachediff"])
def test_help(capsys, engine, verb):
    assert main([verb, "--help"]) == 0
    assert f"docker-magics {verb}" in capsys.readouterr().out
