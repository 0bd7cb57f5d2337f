"""``depends_on`` conditions: waiting for a service to be healthy or to have completed.

``service_healthy`` runs the service's ``healthcheck.test`` here, in its container, until it
passes, with Docker's rules (engine/health.py): a check running longer than ``timeout``
(default 30 s) is killed with all it started and counts as a failure; failures during
``start_period`` do not count; ``retries`` failures in a row (default 3) end the wait with an
error naming the service and its last check's output, as does the container exiting. So the
wait is bounded by about ``start_period + retries * (interval + timeout)`` (at least 5 s, so a
slow first start is not called unhealthy). Checks run every ``interval`` (1 s when not given,
rather than Docker's 30 s: the monitor's own checks keep Docker's pace; this wait should not).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from ..engine.healthconfig import argv_of, go_duration
from ..engine.healthconfig import seconds as _seconds
from ..errors import UsageError
from .model import ComposeError

if TYPE_CHECKING:
    from ..api import Engine
    from .model import Project, Service

__all__ = ["wait_for", "seconds"]

MIN_WAIT = 5.0


def seconds(value: Any, default: float) -> float:
    try:
        return _seconds(value, default)
    except UsageError as exc:
        raise ComposeError(str(exc)) from None


def _check(eng: Engine, cname: str, argv: list[str], timeout: float) -> tuple[int, str]:
    from ..engine.containers import ContainerTimeout

    chunks: list[bytes] = []
    try:
        code = eng.exec(cname, argv, out=chunks.append, err=chunks.append, timeout=timeout)
    except ContainerTimeout:
        return -1, f"Health check exceeded timeout ({go_duration(timeout)})"
    except Exception as exc:  # the container stopped, most likely
        return 1, str(exc)
    return code, b"".join(chunks).decode(errors="replace").strip()


def _healthy(eng: Engine, project: Project, s: Service, cname: str, cap: float | None) -> None:
    hc = s.healthcheck or {}
    argv = argv_of(hc.get("test"))
    if argv is None or hc.get("disable"):
        raise ComposeError(
            f"{project.file}:{s.line}: service {s.name} has no healthcheck, but another "
            "service waits for it to be service_healthy"
        )
    interval = seconds(hc.get("interval"), 1.0)
    timeout = seconds(hc.get("timeout"), 30.0)
    start_period = seconds(hc.get("start_period"), 0.0)
    retries = int(hc.get("retries") or 3)
    began = time.monotonic()
    streak = 0
    while True:
        code, output = _check(eng, cname, argv, timeout)
        if code == 0:
            return
        elapsed = time.monotonic() - began
        streak += elapsed >= start_period
        state = eng.container(cname)
        if state.state == "exited":
            raise ComposeError(
                f"service {s.name} exited (code {state.exit_code}) before its healthcheck "
                f"passed; last check: {output or 'no output'}; see `compose logs {s.name}`"
            )
        if (streak >= retries and elapsed >= MIN_WAIT) or (cap is not None and elapsed > cap):
            raise ComposeError(
                f"service {s.name} is unhealthy: its healthcheck failed {streak} times in a row "
                f"in {elapsed:.0f} s (last exit code {code}, output: {output or 'none'})"
            )
        time.sleep(interval)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _exit_code(eng: Engine, cname: str, cap: float | None) -> int:
    """The code its monitor records. Not `Engine.wait`: that reads a record whose process just
    ended (before the monitor wrote the code) as a crash, 137, and writes that down."""
    deadline = None if cap is None else time.monotonic() + cap
    gone_since: float | None = None
    while True:
        c = eng.store.containers.resolve(cname)
        if c.state == "exited":
            return c.exit_code if c.exit_code is not None else -1
        if gone_since is None and not _alive(c.pid):
            gone_since = time.monotonic()  # the process is gone; give the monitor a moment
        if gone_since is not None and time.monotonic() - gone_since > 5:
            return eng.container(cname).exit_code or 137  # no monitor wrote it: a crash
        if deadline is not None and time.monotonic() > deadline:
            raise ComposeError(f"container {cname} still running after {cap:g} s")
        time.sleep(0.05)


def wait_for(
    eng: Engine, project: Project, s: Service, condition: str, cap: float | None = None
) -> None:
    cname = s.container_name or f"{project.name}-{s.name}-1"  # as project.container_name
    if condition == "service_healthy":
        _healthy(eng, project, s, cname, cap)
    elif condition == "service_completed_successfully":
        code = _exit_code(eng, cname, cap)
        if code != 0:
            raise ComposeError(
                f"service {s.name} did not complete successfully (exit code {code}); see "
                f"`compose logs {s.name}`"
            )
