"""Healthchecks run by a detached container's monitor (engine/health.py), through the CLI:
the image's HEALTHCHECK and `run --health-*`, `ps` showing (healthy) / (unhealthy) /
(health: starting), `inspect` State.Health as Docker writes it; a check that hangs is killed
after its timeout with everything it started, and a compose `service_healthy` wait on such a
check ends, bounded, with the service's name and its last output.

Measured: about 20 s for the module (root world)."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.webapps.setup import import_busybox


def status(w, name: str) -> str:
    line = [r for r in w.cli("ps").stdout.splitlines() if r.endswith(f" {name}")]
    return line[0] if line else ""


def wait_ps(w, name: str, words: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while words not in (row := status(w, name)):
        assert time.monotonic() < deadline, row
        time.sleep(0.2)


def health(w, name: str) -> dict:
    return json.loads(w.cli("inspect", name).stdout)[0]["State"]["Health"]


def hanging_checks(token: str) -> int:
    """How many processes run `sleep TOKEN` on this machine (the hanging check's command)."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                count += fh.read().split(b"\0")[:2] == [b"sleep", token.encode()]
        except OSError:
            pass
    return count


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_health_from_the_image_and_from_flags(busybox_tar, world):
    w = world
    import_busybox(w, busybox_tar)
    ctx = os.path.join(w.base, "hc")
    os.makedirs(ctx)
    with open(os.path.join(ctx, "Dockerfile"), "w") as fh:
        fh.write('FROM busybox\nHEALTHCHECK --interval=300ms CMD echo fine\nCMD ["sleep", "60"]\n')
    w.cli("build", "-q", "-t", "hcimg", ctx)
    try:
        w.cli("run", "-d", "--name", "good", "hcimg")
        # Failures inside the start period do not count: it stays "starting".
        w.cli(
            "run", "-d", "--name", "booting", "--health-cmd", "echo not yet; false",
            "--health-start-period", "60s", "--health-start-interval", "300ms",
            "busybox", "sleep", "60",
        )  # fmt: skip
        wait_ps(w, "good", "(healthy)")
        h = health(w, "good")
        assert h["Status"] == "healthy" and h["FailingStreak"] == 0
        assert h["Log"][-1]["ExitCode"] == 0 and h["Log"][-1]["Output"] == "fine\n"
        time.sleep(1.0)  # three checks or so, all failing
        assert "(health: starting)" in status(w, "booting")
        h = health(w, "booting")
        assert h["Status"] == "starting" and h["Log"][-1]["Output"] == "not yet\n"
        # --no-healthcheck drops the image's: no Health at all, as Docker.
        w.cli("run", "-d", "--name", "plain", "--no-healthcheck", "hcimg")
        time.sleep(0.8)
        assert "Health" not in json.loads(w.cli("inspect", "plain").stdout)[0]["State"]
        row = status(w, "plain")
        assert " Up " in row and "health" not in row
    finally:
        w.cli("rm", "-f", "good", "booting", "plain", check=False)


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_a_hanging_check_is_killed_after_its_timeout(busybox_tar, world):
    w = world
    import_busybox(w, busybox_tar)
    token = f"{os.getpid() % 1000 + 1000}"  # sleep NNNN: ours alone
    try:
        w.cli(
            "run", "-d", "--name", "stuck", "--health-cmd", f"sleep {token}",
            "--health-timeout", "500ms", "--health-interval", "300ms", "--health-retries", "2",
            "busybox", "sleep", "60",
        )  # fmt: skip
        wait_ps(w, "stuck", "(unhealthy)")
        h = health(w, "stuck")
        assert h["FailingStreak"] >= 2
        assert h["Log"][-1]["ExitCode"] == -1
        assert h["Log"][-1]["Output"] == "Health check exceeded timeout (500ms)"
        # Killed each time: at most the one check in progress is alive, never a pile.
        assert hanging_checks(token) <= 1
    finally:
        w.cli("rm", "-f", "stuck", check=False)
    assert hanging_checks(token) == 0


HANGING_DB = """\
services:
  db:
    image: busybox
    command: sleep 60
    healthcheck:
      test: ["CMD", "sleep", "{token}"]
      timeout: 500ms
      interval: 200ms
      retries: 2
  app:
    image: busybox
    command: sleep 60
    depends_on:
      db: {{condition: service_healthy}}
"""


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_compose_wait_on_a_hanging_check_is_bounded(busybox_tar, world):
    w = world
    import_busybox(w, busybox_tar)
    token = f"{os.getpid() % 1000 + 2000}"
    proj = os.path.join(w.base, "hang")
    os.makedirs(proj)
    path = os.path.join(proj, "compose.yaml")
    with open(path, "w") as fh:
        fh.write(HANGING_DB.format(token=token))
    began = time.monotonic()
    up = w.cli("compose", "-f", path, "up", "-d", check=False)
    took = time.monotonic() - began
    try:
        assert up.returncode != 0 and "Traceback" not in up.stderr
        assert "service db is unhealthy" in up.stderr
        assert "Health check exceeded timeout (500ms)" in up.stderr
        assert took < 20, took  # 5 s at least, then two failures of 0.5 s
        assert w.cli("ps", "-a", "-q").stdout == ""  # nothing left running
        assert w.cli("network", "ls", "-q").stdout == ""  # nor the network `up` made
        assert hanging_checks(token) == 0
    finally:
        w.cli("compose", "-f", path, "down", check=False)
