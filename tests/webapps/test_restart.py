"""Restart policies applied by a detached container's monitor (engine/restart.py), through the
CLI against real containers: on-failure with a retry limit, always until `stop`/`kill`,
`update --restart`, compose's `restart:`; and the policy rules and Docker's backoff as pure
functions.

Measured: 30-40 s for the module (root and PRoot worlds) on the loaded 2-core machine."""

from __future__ import annotations

import json
import os
import time

import pytest

from docker_magics.engine.restart import Backoff, parse_policy, should_restart
from docker_magics.errors import UsageError
from tests.webapps.setup import import_busybox

# Fails on its first two runs, succeeds on the third: the count lives in the container's own
# filesystem, which a restart keeps.
FLAKY = "n=$(cat /n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /n; echo run $n; [ $n -ge 3 ]"


def inspect(w, name: str) -> dict:
    return json.loads(w.cli("inspect", name).stdout)[0]


def wait_state(w, name: str, state: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while (info := inspect(w, name))["State"]["Status"] != state:
        assert time.monotonic() < deadline, info["State"]
        time.sleep(0.1)
    return info


@pytest.mark.parametrize("world", ["root", "no-userns"], indirect=True)
def test_on_failure_restarts_until_success_within_the_limit(busybox_tar, world):
    w = world
    import_busybox(w, busybox_tar)
    try:
        w.cli(
            "run",
            "-d",
            "--name",
            "flaky",
            "--restart",
            "on-failure:3",
            "busybox",
            "sh",
            "-c",
            FLAKY,
        )
        info = wait_state(w, "flaky", "exited")
        assert info["State"]["ExitCode"] == 0 and info["RestartCount"] == 2
        assert info["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
        assert w.cli("logs", "flaky").stdout == "run 1\nrun 2\nrun 3\n"
        # A limit of one: the second failure is final.
        w.cli(
            "run", "-d", "--name", "once", "--restart", "on-failure:1", "busybox", "sh", "-c", FLAKY
        )
        time.sleep(1.0)  # room for a wrong second restart (the backoff is 100 ms, then 200)
        info = wait_state(w, "once", "exited")
        assert (info["State"]["ExitCode"], info["RestartCount"]) == (1, 1)
        assert w.cli("logs", "once").stdout == "run 1\nrun 2\n"
    finally:
        w.cli("rm", "-f", "flaky", "once", check=False)


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_always_restarts_until_stopped_by_the_user(busybox_tar, world):
    w = world
    import_busybox(w, busybox_tar)
    try:
        w.cli(
            "run",
            "-d",
            "--name",
            "forever",
            "--restart",
            "always",
            "busybox",
            "sh",
            "-c",
            "echo up; sleep 1",
        )
        deadline, seen = time.monotonic() + 20, set()
        while inspect(w, "forever")["RestartCount"] < 3 or seen != {"Up", "Restarting"}:
            assert time.monotonic() < deadline, seen
            line = [r for r in w.cli("ps").stdout.splitlines() if "forever" in r]
            seen |= {word for word in ("Up", "Restarting") if line and f"  {word} " in line[0]}
            time.sleep(0.05)
        # (exit 0 each time: `always` restarts after success too)
        w.cli("stop", "forever")
        info = inspect(w, "forever")
        assert info["State"]["Status"] == "exited"
        count = info["RestartCount"]
        time.sleep(2.0)  # longer than the next backoff (0.8 s or 1.6 s): a restart would show
        info = inspect(w, "forever")
        assert (info["State"]["Status"], info["RestartCount"]) == ("exited", count)
        assert "forever" not in w.cli("ps").stdout
        # A start by the user: the policy holds again, counted from zero (as Docker). (Each
        # run lasts 1 s: a second restart takes 2.3 s, far more than this `inspect`.)
        w.cli("start", "forever")
        assert count >= 3 and inspect(w, "forever")["RestartCount"] <= 1
        w.cli("kill", "forever")
        time.sleep(1.0)
        assert inspect(w, "forever")["State"]["Status"] == "exited"
        # `update --restart no` on a running container: its next exit is its last.
        w.cli("start", "forever")
        w.cli("update", "--restart", "no", "forever")
        info = wait_state(w, "forever", "exited")
        assert info["HostConfig"]["RestartPolicy"]["Name"] == "no"
        time.sleep(0.8)
        assert inspect(w, "forever")["State"]["Status"] == "exited"
    finally:
        w.cli("rm", "-f", "forever", check=False)
    assert w.cli("ps", "-a", "-q").stdout == ""


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_rm_of_a_restarting_container(busybox_tar, world):
    w = world
    import_busybox(w, busybox_tar)
    w.cli("run", "-d", "--name", "crashy", "--restart", "always", "busybox", "sh", "-c", "exit 1")
    info = wait_state(w, "crashy", "restarting")
    assert info["State"]["Restarting"] and info["State"]["ExitCode"] == 1
    refused = w.cli("rm", "crashy", check=False)
    assert refused.returncode != 0
    assert "container crashy is restarting: stop it first, or use rm -f" in refused.stderr
    w.cli("rm", "-f", "crashy")
    time.sleep(1.0)  # its monitor would have started it again by now
    assert w.cli("ps", "-a", "-q").stdout == ""


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_compose_restart_on_failure(busybox_tar, world):
    w = world
    import_busybox(w, busybox_tar)
    proj = os.path.join(w.base, "retry")
    os.makedirs(proj)
    with open(os.path.join(proj, "compose.yaml"), "w") as fh:
        fh.write(
            "services:\n  job:\n    image: busybox\n    restart: on-failure\n"
            f"    command: [sh, -c, '{FLAKY.replace('$', '$$')}']\n"
        )
    f = ["compose", "-f", os.path.join(proj, "compose.yaml")]
    try:
        up = w.cli(*f, "up", "-d")
        assert "not applied" not in up.stderr
        info = wait_state(w, "retry-job-1", "exited")
        assert (info["State"]["ExitCode"], info["RestartCount"]) == (0, 2)
        assert w.cli(*f, "logs").stdout == "job-1  | run 1\njob-1  | run 2\njob-1  | run 3\n"
    finally:
        w.cli(*f, "down", check=False)


def test_policy_rules_and_dockers_backoff():
    assert parse_policy("on-failure:3") == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert parse_policy("no") == {"Name": "no", "MaximumRetryCount": 0}
    for bad, words in [
        ("sometimes", "use no, always, unless-stopped or on-failure"),
        ("always:2", "only on-failure takes a retry count"),
        ("on-failure:x", "whole number"),
    ]:
        with pytest.raises(UsageError, match=words):
            parse_policy(bad)
    on_failure = parse_policy("on-failure:2")
    assert should_restart(on_failure, 1, 0, False) and should_restart(on_failure, 1, 1, False)
    assert not should_restart(on_failure, 1, 2, False)  # the limit
    assert not should_restart(on_failure, 0, 0, False)  # success
    assert should_restart(parse_policy("on-failure"), 9, 1000, False)  # no limit given
    assert should_restart(parse_policy("always"), 0, 50, False)
    assert not should_restart(parse_policy("always"), 1, 0, True)  # stopped by the user
    assert not should_restart(parse_policy("unless-stopped"), 1, 0, True)
    b = Backoff()
    assert [b.next(0.5) for _ in range(4)] == [0.1, 0.2, 0.4, 0.8]
    assert b.next(10.0) == 0.1  # a run of 10 s resets it
    for _ in range(20):
        last = b.next(0.0)
    assert last == 60.0
