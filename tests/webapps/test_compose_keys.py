"""Every compose key tutorials use, at once, checked from inside the containers; the verbs
`push` and `pull` against a real docker-registry on 127.0.0.1, `up --build`, and `up` in the
foreground (prefixed output until the services stop; Ctrl-C stops them). Root world: the keys
are the same code in every world (test_compose.py runs an app in all three)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.registry_server import RegistryNotStarted, start_registry, stop_registry
from tests.worlds import ROOT

# The last stage is `other`: only `target: final` gives /target its "final" line.
CONTAINERFILE = """\
FROM busybox AS base
ARG FLAVOUR=plain
COPY stamp /stamp
RUN echo "base $FLAVOUR" > /target
FROM base AS final
ARG FLAVOUR=plain
RUN echo "final $FLAVOUR" > /target
FROM base AS other
RUN echo other > /target
"""

COMPOSE = """\
services:
  keys:
    build:
      context: ./keys
      dockerfile: Containerfile
      target: final
      args:
        FLAVOUR: mint
    image: {reg}/keys:1
    entrypoint: ["sh", "-c"]
    command: ['echo "pwd=$$(pwd) uid=$$(id -u) A=$$A LANG=$$LANG F=$$F NOPE=$${{NOPE-unset}} t=$$(cat /target) $$(cat /stamp)"']
    working_dir: /srv/app
    user: "1234"
    env_file: keys.env
    environment: [A=from-list, LANG, NOPE]
    expose: ["3000", "4000-4001"]
  mapped:
    image: {reg}/base:1
    command: sh -c 'echo "M=$$M N=$$N"'
    environment:
      M: from-map
      N: 2
  later:
    image: busybox
    profiles: [later]
    command: echo later ran
"""  # noqa: E501


@pytest.fixture
def registry(tmp_path):
    try:
        reg = start_registry(str(tmp_path / "registry"))
    except RegistryNotStarted as exc:
        pytest.fail(str(exc))  # scripts/install-system-packages installs it
    yield reg
    stop_registry(reg)


def tags(reg, repo: str) -> list[str]:
    with urllib.request.urlopen(f"http://{reg.host}/v2/{repo}/tags/list", timeout=5) as r:
        return list(json.load(r)["tags"] or [])


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_every_key_and_the_registry_verbs(busybox_tar, world, registry):
    w, reg = world, registry.host
    shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
    w.cli("import", "base.tar.gz", "busybox:latest")
    # `pull` has something to fetch: busybox pushed as {reg}/base:1, then removed here.
    w.cli("tag", "busybox", f"{reg}/base:1")
    w.cli("push", f"{reg}/base:1")
    w.cli("rmi", f"{reg}/base:1")
    proj = os.path.join(w.base, "keysdemo")
    os.makedirs(os.path.join(proj, "keys"))
    for name, text in [
        ("keys/Containerfile", CONTAINERFILE),
        ("keys/stamp", "stamp-1\n"),
        ("keys.env", "A=from-file\nF=from-file\n"),
        ("compose.yaml", COMPOSE.format(reg=reg)),
    ]:
        with open(os.path.join(proj, name), "w") as fh:
            fh.write(text)
    f = ["compose", "-f", os.path.join(proj, "compose.yaml")]
    try:
        assert f"Pulling mapped ({reg}/base:1)" in w.cli(*f, "pull").stdout
        w.cli("image", "inspect", f"{reg}/base:1")
        # Foreground: each service's output with its prefix, then back once both ended.
        up = w.cli(*f, "up").stdout
        assert (
            "keys-1  | pwd=/srv/app uid=1234 A=from-list LANG=C.UTF-8 F=from-file NOPE=unset "
            "t=final mint stamp-1\n" in up
        ), up
        assert "keysdemo-keys-1 exited with code 0" in up
        assert "mapped-1  | M=from-map N=2\n" in up and "later" not in up
        exposed = json.loads(w.cli("inspect", "keysdemo-keys-1").stdout)[0]
        assert set(exposed["Config"]["ExposedPorts"]) == {"3000/tcp", "4000/tcp", "4001/tcp"}
        ran = w.cli(*f, "run", "--rm", "keys", "echo ran in $(pwd) as $(id -u)").stdout
        assert ran == "ran in /srv/app as 1234\n"  # the entrypoint's `-c`, then run's command
        assert "later-1  | later ran" in w.cli(*f, "--profile", "later", "up").stdout
        # `up --build` rebuilds from the changed context and recreates the container.
        with open(os.path.join(proj, "keys", "stamp"), "w") as fh:
            fh.write("stamp-2\n")
        again = w.cli(*f, "up", "keys").stdout
        assert again.count("stamp-1") == 1, again  # no --build: the old image; run once more
        rebuilt = w.cli(*f, "up", "--build", "keys").stdout
        assert "Building keys" in rebuilt and "keys-1  | " in rebuilt and "stamp-2" in rebuilt
        assert "Pushed" in w.cli(*f, "push").stdout
        assert tags(registry, "keys") == ["1"]
    finally:
        w.cli(*f, "down", check=False)


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_expose_and_publish_all_on_the_command_line(busybox_tar, world):
    w = world
    shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
    w.cli("import", "base.tar.gz", "busybox:latest")
    out = w.cli("create", "--name", "ex", "--expose", "5000", "-P", "busybox", "true").stdout
    assert out.strip()
    (line,) = w.cli("port", "ex").stdout.splitlines()
    assert line.startswith("5000/tcp -> 0.0.0.0:")
    ports = json.loads(w.cli("inspect", "ex").stdout)[0]["NetworkSettings"]["Ports"]
    assert list(ports) == ["5000/tcp"]
    bad = w.cli("create", "--expose", "70000", "busybox", "true", check=False)
    assert bad.returncode != 0 and "invalid --expose '70000'" in bad.stderr
    assert out.startswith(w.cli("ps", "-a", "-q").stdout.strip())  # nothing more was made


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_foreground_up_stops_the_services_on_ctrl_c(busybox_tar, world):
    w = world
    shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
    w.cli("import", "base.tar.gz", "busybox:latest")
    proj = os.path.join(w.base, "fg")
    os.makedirs(proj)
    with open(os.path.join(proj, "compose.yaml"), "w") as fh:
        fh.write(
            "services:\n  tick:\n    image: busybox\n"
            "    command: sh -c 'echo tick started; exec sleep 300'\n"
        )
    f = ["compose", "-f", os.path.join(proj, "compose.yaml")]
    # The CLI as the world runs it, but ours to interrupt.
    argv = w.command([*w.cli_argv(), *f, "up"], env=w.cli_env(), cwd=w.base)
    proc = subprocess.Popen(
        argv, env=w.cli_env(), cwd=w.base, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    try:
        seen = ""
        deadline = time.monotonic() + 60
        while "tick-1  | tick started" not in seen:
            assert time.monotonic() < deadline and proc.poll() is None, seen
            seen += proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 130
        assert w.cli(*f, "ps").stdout.count("\n") == 1  # the header alone: nothing runs
        assert "Exited (" in w.cli(*f, "ps", "-a").stdout
    finally:
        proc.kill()
        proc.wait()
        w.cli(*f, "down", check=False)


# no-userns passes too, but costs 107 s (its containers' root filesystems are full copies).
@pytest.mark.parametrize("world", ["root", "unprivileged"], indirect=True)
def test_the_seed_compose_file_runs(world, stand_in_env, monkeypatch):
    """The walk-through's own docker-compose.yml, only `image: mongo` swapped for redis:7: the
    app starts next to a database that may answer a moment later (plain depends_on, no
    healthcheck) and its page on port 3000 counts visits once the database answers."""
    from docker_magics.engine.bootstrap import stand_in
    from docker_magics.store.store import Store

    from .test_compose_file import SEED

    w = world
    monkeypatch.setenv("DOCKER_MAGICS_STAND_IN_CACHE", stand_in_env["DOCKER_MAGICS_STAND_IN_CACHE"])
    w.cli("images")  # the store, made by the world's user
    for name in ("node:20-slim", "redis:7"):
        stand_in(Store(w.store), name)  # as `pull` gets them where Docker Hub is out of reach
    for dirpath, _dirs, files in os.walk(w.store):  # copied by root, owned by the world's user
        for path in [dirpath, *(os.path.join(dirpath, n) for n in files)]:
            os.lchown(path, w.uid, w.uid)
    proj = os.path.join(w.base, "docker-testing")
    shutil.copytree(os.path.join(ROOT, "examples", "webapp"), proj)
    with open(os.path.join(proj, "Dockerfile")) as fh:  # the app's image: -slim costs less
        dockerfile = fh.read().replace("FROM node:20\n", "FROM node:20-slim\n")
    with open(os.path.join(proj, "Dockerfile"), "w") as fh:
        fh.write(dockerfile)
    with open(os.path.join(proj, "docker-compose.yml"), "w") as fh:
        fh.write(SEED)
    f = ["compose", "-f", os.path.join(proj, "docker-compose.yml")]
    try:
        w.cli(*f, "up", "-d", timeout=300)
        deadline = time.monotonic() + 60
        page = ""
        while "This page was seen" not in page:
            assert time.monotonic() < deadline, page
            try:
                with urllib.request.urlopen("http://127.0.0.1:3000/", timeout=5) as r:
                    page = r.read().decode()
            except OSError:
                time.sleep(0.3)
        assert "Hello from docker-testing!" in page and "database at db:6379" in page
    finally:
        w.cli(*f, "down", check=False)
    assert w.cli("ps", "-a", "-q").stdout == ""


def test_a_missing_env_file_names_its_service_and_line(tmp_path):
    from docker_magics.compose.loader import ComposeError, load_project

    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  web:\n    image: busybox\n    env_file: web.env\n")
    with pytest.raises(ComposeError) as err:
        load_project(str(path), environ={})
    assert str(err.value) == f"{path}:2: env_file {tmp_path}/web.env not found"
