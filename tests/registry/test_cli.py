"""The registry verbs through the command line."""

from __future__ import annotations

import io

import pytest

from docker_magics.cli.main import main

from .conftest import PASSWORD, USER

pytestmark = pytest.mark.registry


def test_cli_push_pull(engine, base_image, registry, tmp_path, capsys):
    root = engine.store.root
    name = f"{registry.host}/cli/bb:1"
    assert main(["--root", root, "tag", base_image, name]) == 0
    assert main(["--root", root, "push", name]) == 0
    out, err = capsys.readouterr()
    # progress is not an error: Docker's lines on stdout, nothing on stderr
    assert "1: digest: sha256:" in out and "Pushed" in out and err == ""
    other = str(tmp_path / "other")
    assert main(["--root", other, "pull", name]) == 0
    out, err = capsys.readouterr()
    assert "Digest: sha256:" in out and "Pull complete" in out and err == ""
    assert main(["--root", other, "pull", "-q", name]) == 0
    assert capsys.readouterr().out.strip() == name
    assert main(["--root", other, "pull", f"{registry.host}/cli/none:1"]) == 125
    assert "MANIFEST_UNKNOWN" in capsys.readouterr().err


def test_cli_login_logout(auth_registry, tmp_path, capsys, monkeypatch):
    root = str(tmp_path / "s")
    login = ["--root", root, "login", "-u", USER, "--password-stdin", auth_registry.host]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(login) == 0
    assert "Login Succeeded" in capsys.readouterr().out
    assert main(["--root", root, "logout", auth_registry.host]) == 0
    assert "Removing login credentials" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("nope\n"))
    assert (
        main(["--root", root, "login", "-u", USER, "--password-stdin", auth_registry.host]) == 125
    )
    assert "access denied" in capsys.readouterr().err


def test_cli_help_lists_the_verbs(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for verb in ("pull", "push", "login", "logout", "bootstrap"):
        assert verb in text


def test_run_of_a_missing_image_pulls_it_with_progress(
    engine, base_image, registry, tmp_path, capfd
):
    name = f"{registry.host}/cli/runme:1"
    engine.tag(base_image, name)
    engine.push(name)
    other = str(tmp_path / "other")
    capfd.readouterr()
    assert main(["--root", other, "run", "--rm", name, "echo", "ran"]) == 0
    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert lines[0] == f"Unable to find image '{name}' locally"
    assert any(line.endswith(": Pull complete") for line in lines)
    assert lines[-1] == "ran" and err == ""  # progress is not an error
    assert main(["--root", other, "create", name, "true"]) == 0  # here now: no pull, the ID
    assert len(capfd.readouterr().out.split()) == 1
