"""Docker's management commands (`image ...`, `container ...`) in a real CLI process and in
`%%container` paste blocks: the seed walk-through's lines work as written."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest

PKG = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cli(root: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "docker_magics", "--root", root, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": PKG},
    )
    if check:
        assert proc.returncode == 0, f"{args} exited {proc.returncode}: {proc.stderr}"
    return proc


def test_management_commands_in_the_cli(engine, base_image):
    root = engine.store.root
    run = cli(root, "container", "run", "--name", "base-container", base_image, "sh", "-c",
              "echo v20 > /version; echo installed")  # fmt: skip
    assert run.stdout.strip() == "installed"
    ls = cli(root, "container", "ls", "-a").stdout
    assert "base-container" in ls and "Exited (0)" in ls
    assert cli(root, "container", "ps", "-a", "-q").stdout.split() == [
        engine.container("base-container").short_id
    ]
    assert cli(root, "container", "diff", "base-container").stdout.split("\n")[0] == "A /version"

    image_id = cli(root, "container", "commit", "-m", "Add node", "base-container", "node-base")
    history = cli(root, "image", "history", "node-base").stdout.splitlines()
    assert history[0].split()[0] == "IMAGE" and "Add node" in history[1]
    cli(root, "container", "commit", "-c", "CMD cat /version", "base-container", "node-app")
    assert cli(root, "container", "run", "--rm", "node-app").stdout == "v20\n"

    images = cli(root, "image", "ls").stdout
    assert "node-base" in images and "node-app" in images
    assert image_id.stdout.strip() in cli(root, "image", "ls", "-q", "--no-trunc").stdout
    cli(root, "image", "tag", "node-base", "node-base:v2")
    inspect = json.loads(cli(root, "image", "inspect", "node-base:v2").stdout)
    assert inspect[0]["Id"] == image_id.stdout.strip()
    assert json.loads(cli(root, "container", "inspect", "base-container").stdout)[0]["Name"]
    assert cli(root, "image", "rm", "node-base:v2").stdout.strip() == "Untagged: node-base:v2"

    pruned = cli(root, "container", "prune", "-f").stdout
    assert "Deleted Containers:" in pruned and engine.ps(all=True) == []
    cli(root, "image", "rm", "node-app")
    assert "Total reclaimed space" in cli(root, "image", "prune", "-f").stdout
    assert [r for i in engine.images() for r in i.refs] != []
    assert engine.check().ok


def test_management_command_mistakes_are_one_line(engine):
    bad = cli(engine.store.root, "image", "lsx", check=False)
    assert bad.returncode == 125 and "Traceback" not in bad.stderr
    assert "'lsx' is not a docker-magics image command" in bad.stderr and "history" in bad.stderr
    helped = cli(engine.store.root, "container", "commit", "-h").stdout
    assert helped.startswith("usage: docker-magics container commit") and "--change" in helped
    listing = cli(engine.store.root, "image", "-h").stdout
    for command in ("ls", "history", "inspect", "rm", "tag", "pull", "push", "prune"):
        assert f"    {command}" in listing, command


pytest.importorskip("IPython")

PASTED = """\
# the seed walk-through, as printed in the tutorial
docker container run --name base-container {image} \\
    sh -c 'echo console.log > /app.js'
docker container commit -m "Add node" base-container node-base
docker image history node-base
docker container commit -c "CMD cat /app.js" base-container node-app
docker run --rm node-app
docker image ls
docker container ls -a
"""


def test_pasted_management_commands_in_a_cell(engine, base_image):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    ip = InteractiveShell.instance()
    ip.history_manager.enabled = False
    ip.run_cell("%load_ext docker_magics")
    ip.run_cell(f"%config DockerMagics.root = {engine.store.root!r}")
    try:
        with capture_output() as cap:
            result = ip.run_cell("%%container\n" + PASTED.format(image=base_image))
        assert result.error_in_exec is None, cap.stdout + cap.stderr
        text = "\n".join(o.data.get("text/plain", "") for o in cap.outputs)
        assert "Add node" in text  # the history table
        assert "node-app" in text and "base-container" in text  # image ls, container ls
        assert "console.log" in cap.stdout and cap.stderr == ""
        assert engine.image("node-app").config["config"]["Cmd"] == ["/bin/sh", "-c", "cat /app.js"]
        with capture_output() as cap:
            ip.run_cell("%container image history -q node-base")
        assert engine.image("node-base").id[7:19] in cap.stdout
    finally:
        ip.run_cell("%config DockerMagics.root = None")


NODE_SEED = """\
docker container run --name base-container -w /app node:20-slim \\
    sh -c 'echo "console.log(\\\"Hello from app.js on Node \\\" + process.version)" > app.js'
docker container commit -m "Add node" base-container node-base
docker image history node-base
docker container commit -c "CMD node app.js" base-container node-app
docker run --rm node-app
"""


@pytest.mark.slow
def test_the_seed_lines_as_written_on_the_node_stand_in(stand_in_env, tmp_path, monkeypatch):
    """`commit -m "Add node"`, `image history`, `commit -c "CMD node app.js"` on node:20-slim
    (the stand-in: Docker Hub out of reach), in the CLI and pasted into a `%%container` cell."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from docker_magics.api import Engine

    for key, value in stand_in_env.items():
        monkeypatch.setenv(key, value)
    root = str(tmp_path / "cli")
    for line in NODE_SEED.replace("\\\n", "").splitlines():
        args = shlex.split(line)[1:]
        done = cli(root, *args)
        if args[:2] == ["image", "history"]:
            assert "Add node" in done.stdout.splitlines()[1]
    assert done.stdout.startswith("Hello from app.js on Node v20.")
    config = Engine(root).image("node-app").config["config"]
    assert config["Cmd"] == ["/bin/sh", "-c", "node app.js"]
    assert config["WorkingDir"] == "/app"  # `run -w /app` is the container's: commit keeps it

    ip = InteractiveShell.instance()
    ip.history_manager.enabled = False
    ip.run_cell("%load_ext docker_magics")
    ip.run_cell(f"%config DockerMagics.root = {str(tmp_path / 'magic')!r}")
    try:
        with capture_output() as cap:
            result = ip.run_cell("%%container\n" + NODE_SEED)
        assert result.error_in_exec is None, cap.stdout + cap.stderr
        assert "Hello from app.js on Node v20." in cap.stdout
        assert "Add node" in "\n".join(o.data.get("text/plain", "") for o in cap.outputs)
    finally:
        ip.run_cell("%config DockerMagics.root = None")
