"""``depends_on`` conditions: waiting for a service to be healthy or to have completed.

There is no daemon running health checks in the background, so ``service_healthy`` runs the
service's ``healthcheck.test`` here, in its container, until it passes. The wait is bounded by
``start_period + retries * interval`` (at least 5 s; ``timeout`` is not enforced); on failure
the error names the service and shows its last check's output. Checks run every ``interval``
(1 s when not given, rather than Docker's 30 s: nothing else would run them sooner).
"""

from __future__ import annotations

import os
import re
import time
from typing import TYPE_CHECKING, Any

from .model import ComposeError, at

if TYPE_CHECKING:
    from ..api import Engine
    from .model import Project, Service

__all__ = ["wait_for", "seconds"]


def seconds(value: Any, default: float) -> float:
    """Compose durations: ``30s``, ``1m30s``, ``500ms``, or a number of seconds."""
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return float(value)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", value)
    if not parts or "".join(a + b for a, b in parts) != value:
        raise ComposeError(f"invalid duration {value!r}: use e.g. 10s, 1m30s or 500ms")
    return sum(float(n) * units[u] for n, u in parts)


def _argv(test: Any) -> list[str] | None:
    if isinstance(test, str):
        return ["/bin/sh", "-c", test]
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    return list(test[1:] if test[0] == "CMD" else test)


def _check(eng: Engine, cname: str, argv: list[str]) -> tuple[int, str]:
    chunks: list[bytes] = []
    try:
        code = eng.exec(cname, argv, out=chunks.append, err=chunks.append)
    except Exception as exc:  # the container stopped, most likely
        return 1, str(exc)
    return code, b"".join(chunks).decode(errors="replace").strip()


def _healthy(eng: Engine, project: Project, s: Service, cname: str, cap: float | None) -> None:
    hc = s.healthcheck or {}
    argv = _argv(hc.get("test"))
    if argv is None or hc.get("disable"):
        raise ComposeError(
            f"{at(project.file, s.line)}: service {s.name} has no healthcheck, but another "
            "service waits for it to be service_healthy"
        )
    interval = seconds(hc.get("interval"), 1.0)
    budget = seconds(hc.get("start_period"), 0.0) + int(hc.get("retries", 3)) * interval
    budget = min(max(budget, 5.0), cap) if cap is not None else max(budget, 5.0)
    deadline = time.monotonic() + budget
    code, output = 1, ""
    while time.monotonic() < deadline:
        code, output = _check(eng, cname, argv)
        if code == 0:
            return
        time.sleep(interval)
    raise ComposeError(
        f"service {s.name} is unhealthy: its healthcheck did not pass within {budget:g} s "
        f"(last exit code {code}, output: {output or 'none'})"
    )


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
