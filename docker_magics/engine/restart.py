"""Restart policies with no daemon: the monitor of a detached container (cli/monitor.py) runs
the container and, when its main process ends, applies ``--restart`` as Docker's restart
manager does (moby ``restartmanager``):

- ``no`` never restarts; ``always`` and ``unless-stopped`` always do; ``on-failure[:N]`` only
  after a non-zero exit code, at most N times (no N: no limit).
- A ``stop`` or ``kill`` by the user marks the container stopped by hand: it is not restarted
  until the user starts it again (which also resets ``RestartCount``).
- Between runs the container is "restarting" for a delay that starts at 100 ms and doubles at
  each restart, up to one minute, and goes back to 100 ms once a run lasted 10 s.

What cannot hold without a daemon: nothing is restarted after the machine restarts (no process
runs at boot to do it; ``always`` and ``unless-stopped`` differ only in that at Docker's daemon
start), and a monitor killed by force (SIGKILL, OOM) takes its container and its policy with it.
The monitor is a session of its own, so a container and its policy outlive the kernel or CLI
that started it: ``always`` keeps restarting after the notebook's kernel ends, until ``stop``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..errors import NotFoundError, UsageError
from ..store.lock import locked
from ..store.store import Store

__all__ = ["parse_policy", "should_restart", "Backoff", "supervise", "record_exit"]

NAMES = ("no", "always", "unless-stopped", "on-failure")


def parse_policy(text: str | None) -> dict[str, Any]:
    """``--restart`` as Docker's HostConfig.RestartPolicy: ``{"Name", "MaximumRetryCount"}``."""
    name, sep, count = (text or "no").partition(":")
    if name not in NAMES:
        raise UsageError(
            f"invalid restart policy {text}: use no, always, unless-stopped or "
            "on-failure[:MAX_RETRIES]"
        )
    if sep and name != "on-failure":
        raise UsageError(f"invalid restart policy {text}: only on-failure takes a retry count")
    if sep and not (count.isdigit() and int(count) >= 0):
        raise UsageError(f"invalid restart policy {text}: the retry count is a whole number")
    return {"Name": name, "MaximumRetryCount": int(count or 0)}


def should_restart(policy: dict[str, Any], code: int, count: int, stopped_by_user: bool) -> bool:
    name = policy.get("Name") or "no"
    if stopped_by_user or name == "no":
        return False
    if name == "on-failure":
        limit = int(policy.get("MaximumRetryCount") or 0)
        return code != 0 and (limit == 0 or count < limit)
    return True


class Backoff:
    """Docker's delay between restarts: 100 ms, doubled each time, at most 60 s; back to 100 ms
    after a run of 10 s or more."""

    FIRST, MAX, STEADY = 0.1, 60.0, 10.0

    def __init__(self) -> None:
        self.delay = 0.0

    def next(self, ran_for: float) -> float:
        if ran_for >= self.STEADY:
            self.delay = 0.0
        self.delay = self.FIRST if self.delay == 0.0 else min(self.delay * 2, self.MAX)
        return self.delay


def supervise(store: Store, cid: str, start: Callable[[], int]) -> None:
    """Run the container with ``start`` (foreground, recording its exit with ``record_exit``)
    until its policy says stop. Returns when it is not to be restarted, was stopped by the
    user, or removed."""
    backoff = Backoff()
    while True:
        began = time.monotonic()
        start()
        delay = backoff.next(time.monotonic() - began)
        try:
            if store.containers.load(cid).state != "restarting":
                return
        except NotFoundError:
            return  # removed (rm -f)
        if not _sleep_unless_stopped(store, cid, delay):
            return


def record_exit(store: Store, cid: str, code: int) -> None:
    """The main process ended with ``code``: the record says "restarting" (one restart more)
    when the policy restarts it, else "exited"; in one write, so no reader sees the container
    exited between two runs (a `wait`, compose's service_completed_successfully)."""
    # Under the lock: a `stop` marks the record in the same way, so one of us sees the other.
    with locked(store.containers.lock_path):
        try:
            c = store.containers.load(cid)
        except NotFoundError:
            return  # removed (rm -f)
        policy = c.config.get("RestartPolicy") or {}
        again = should_restart(policy, code, c.restart_count, c.manually_stopped)
        c.state, c.pid, c.exit_code, c.finished = "exited", None, code, time.time()
        if again:
            c.state, c.restart_count = "restarting", c.restart_count + 1
        store.containers.save(c)


def _sleep_unless_stopped(store: Store, cid: str, delay: float) -> bool:
    """Wait ``delay``; False if the user stopped or removed the container meanwhile."""
    deadline = time.monotonic() + delay
    while True:
        with locked(store.containers.lock_path):
            try:
                c = store.containers.load(cid)
            except NotFoundError:
                return False
            if c.manually_stopped:
                c.state, c.pid, c.finished = "exited", None, time.time()
                store.containers.save(c)
                return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
