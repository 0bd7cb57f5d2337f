"""The registry verbs through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from docker_magics.cli.main import main

from .conftest import PASSWORD, USER

pytestmark = pytest.mark.registry


def _cli(root: str, *argv: str, stdin: str = "", config: str | None = None):
    """The real command in a process: (exit code, stdout, stderr); ``config``: DOCKER_CONFIG."""
    env = dict(os.environ, DOCKER_CONFIG=config) if config else None
    proc = subprocess.run(
        [sys.executable, "-m", "docker_magics", "--root", root, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_cli_push_pull(engine, base_image, registry, tmp_path):
    root = engine.store.root
    name = f"{registry.host}/cli/bb:1"
    assert _cli(root, "tag", base_image, name) == (0, "", "")
    code, out, err = _cli(root, "push", name)
    # progress is not an error: Docker's lines on stdout, nothing on stderr
    assert code == 0 and "1: digest: sha256:" in out and "Pushed" in out and err == ""
    other = str(tmp_path / "other")
    code, out, err = _cli(other, "pull", name)
    assert code == 0 and "Digest: sha256:" in out and "Pull complete" in out and err == ""
    assert _cli(other, "pull", "-q", name) == (0, name + "\n", "")
    code, out, err = _cli(other, "pull", f"{registry.host}/cli/none:1")
    assert code == 125 and err.startswith("Error: ") and "MANIFEST_UNKNOWN" in err
    assert _cli(other, "run", "--rm", name, "echo", "pulled") == (0, "pulled\n", "")


def test_cli_login_logout(auth_registry, tmp_path):
    root, config_dir = str(tmp_path / "s"), str(tmp_path / "docker")
    login = ["login", "-u", USER, "--password-stdin", auth_registry.host]
    code, out, _ = _cli(root, *login, stdin=PASSWORD + "\n", config=config_dir)
    assert code == 0 and "Login Succeeded" in out
    config = json.loads((tmp_path / "docker" / "config.json").read_text())
    assert auth_registry.host in config["auths"]
    code, out, _ = _cli(root, "logout", auth_registry.host, config=config_dir)
    assert code == 0 and "Removing login credentials" in out
    config = json.loads((tmp_path / "docker" / "config.json").read_text())
    assert auth_registry.host not in config.get("auths", {})
    code, out, err = _cli(root, *login, stdin="nope\n", config=config_dir)
    assert (code, out) == (125, "") and "access denied" in err


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
