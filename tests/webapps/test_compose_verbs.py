"""The other compose verbs through the CLI (root world: the verbs are the same code in every
world; test_compose.py runs the app in all three): build, config, run, exec, stop, start,
restart, profiles, depends_on service_completed_successfully, and errors in words."""

from __future__ import annotations

import os
import shutil
import time

import pytest

COMPOSE = """\
services:
  setup:
    image: busybox
    command: sh -c 'echo prepared > /shared/ready'
    volumes: [shared:/shared]
  web:
    build:
      context: ./web
      args: {GREETING: bonjour}
    image: web-img
    command: sh -c 'cat /greeting /shared/ready; exec sleep 60'
    volumes: [shared:/shared]
    depends_on:
      setup: {condition: service_completed_successfully}
  debug:
    image: busybox
    profiles: [debug]
    command: sleep 60
volumes:
  shared:
"""


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_compose_verbs(busybox_tar, world):
    w = world
    shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
    w.cli("import", "base.tar.gz", "busybox:latest")
    proj = os.path.join(w.base, "demo")
    os.makedirs(os.path.join(proj, "web"))
    with open(os.path.join(proj, "web", "Dockerfile"), "w") as fh:
        fh.write("FROM busybox\nARG GREETING\nRUN echo $GREETING > /greeting\n")
    with open(os.path.join(proj, "compose.yaml"), "w") as fh:
        fh.write(COMPOSE)
    f = ["compose", "-f", os.path.join(proj, "compose.yaml")]
    try:
        assert "Building web (web-img)" in w.cli(*f, "build").stdout
        assert "GREETING: bonjour" in w.cli(*f, "config").stdout
        assert w.cli(*f, "run", "--rm", "web", "cat", "/greeting").stdout == "bonjour\n"
        w.cli(*f, "up", "-d")
        deadline = time.monotonic() + 20  # `up -d` returns once web runs, not once it printed
        while (logs := w.cli(*f, "logs", "web").stdout).count("\n") < 2:
            assert time.monotonic() < deadline, logs
            time.sleep(0.2)
        assert logs == "web-1  | bonjour\nweb-1  | prepared\n"
        ps = w.cli(*f, "ps", "-a").stdout
        assert "demo-setup-1" in ps and "demo-web-1" in ps and "debug" not in ps
        assert w.cli(*f, "exec", "web", "cat", "/shared/ready").stdout == "prepared\n"
        assert "Stopped" in w.cli(*f, "stop", "web").stdout
        assert "demo-web-1" not in w.cli(*f, "ps").stdout
        assert "Started" in w.cli(*f, "start", "web").stdout
        assert "Stopped" in w.cli(*f, "restart", "web").stdout
        assert "demo-web-1" in w.cli(*f, "ps").stdout
        w.cli(*f, "--profile", "debug", "up", "-d")
        assert "demo-debug-1" in w.cli(*f, "ps").stdout
        bad = w.cli(*f, "exec", "nosuch", "true", check=False)
        assert bad.returncode != 0 and "no such service: nosuch" in bad.stderr
    finally:
        w.cli(*f, "down", "-v", check=False)
    assert w.cli("ps", "-a", "-q").stdout == "" and w.cli("volume", "ls", "-q").stdout == ""
