"""Healthchecks as Docker runs them (moby ``daemon/health.go``), run by a detached container's
monitor while the container runs: the image's HEALTHCHECK or ``run --health-*``.

Every ``Interval`` (``StartInterval`` during ``StartPeriod``) the test runs in the container;
a run longer than ``Timeout`` is killed with all it started and counts as a failure (exit -1,
"Health check exceeded timeout"). Exit 0 makes the container healthy; ``Retries`` failures in
a row make it unhealthy; failures inside the start period do not count. ``State.Health`` keeps
the status, the failing streak and the last five results, as ``docker inspect`` shows them.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import DockerMagicsError, NotFoundError
from ..store.store import Store
from .healthconfig import RETRIES, argv_of, go_duration, setting

if TYPE_CHECKING:
    from ..runtime import Backend

__all__ = ["run_check", "Checker"]

MAX_LOG, MAX_OUTPUT = 5, 4096


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def run_check(
    store: Store, cid: str, backend: Backend, argv: list[str], timeout: float
) -> tuple[int, str]:
    """One probe: (exit code, output); -1 with Docker's sentence when it outlived ``timeout``."""
    from .containers import ContainerTimeout, refresh
    from .execin import exec_in

    chunks: list[bytes] = []
    try:
        c = refresh(store, store.containers.load(cid))
        code = exec_in(
            store,
            c,
            backend,
            argv,
            env=[],
            workdir=None,
            user=None,
            out=chunks.append,
            err=chunks.append,
            timeout=timeout,
        )
    except ContainerTimeout:
        return -1, f"Health check exceeded timeout ({go_duration(timeout)})"
    except DockerMagicsError as exc:  # the container stopped meanwhile, most likely
        return 1, str(exc)
    return code, b"".join(chunks).decode(errors="replace")[:MAX_OUTPUT]


class Checker:
    """The monitor's health thread for one run of a container (started before it, stopped
    after it ends); does nothing for a container without a healthcheck."""

    def __init__(self, store: Store, cid: str, backend: Backend) -> None:
        self.store, self.cid, self.backend = store, cid, backend
        c = store.containers.load(cid)
        self.cfg = c.config.get("Healthcheck") or {}
        self.argv = argv_of(self.cfg.get("Test"))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.argv is None:
            return
        health = {"Status": "starting", "FailingStreak": 0, "Log": []}
        self.store.containers.update(self.cid, health=health)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def _loop(self) -> None:
        began = time.monotonic()
        start_period = setting(self.cfg, "StartPeriod")
        while True:
            in_start = time.monotonic() - began < start_period
            wait = setting(self.cfg, "StartInterval" if in_start else "Interval")
            if self._stop.wait(wait):
                return
            try:
                c = self.store.containers.load(self.cid)
            except NotFoundError:
                return
            if c.state != "running":
                continue  # not started yet, or ending: nothing to probe
            assert self.argv is not None
            start = _now()
            code, output = run_check(
                self.store, self.cid, self.backend, self.argv, setting(self.cfg, "Timeout")
            )
            if self._stop.is_set():
                return  # the container ended during the probe: its result means nothing
            result = {"Start": start, "End": _now(), "ExitCode": code, "Output": output}
            self._record(result, time.monotonic() - began < start_period)

    def _record(self, result: dict[str, Any], in_start: bool) -> None:
        from ..store.lock import locked

        retries = int(self.cfg.get("Retries") or RETRIES)
        with locked(self.store.containers.lock_path):
            try:
                c = self.store.containers.load(self.cid)
            except NotFoundError:
                return
            health = dict(c.health or {"Status": "starting", "FailingStreak": 0, "Log": []})
            if result["ExitCode"] == 0:
                health.update(Status="healthy", FailingStreak=0)
            elif not (in_start and health["Status"] == "starting"):
                health["FailingStreak"] += 1
                if health["FailingStreak"] >= retries:
                    health["Status"] = "unhealthy"
            health["Log"] = [*health["Log"], result][-MAX_LOG:]
            c.health = health
            self.store.containers.save(c)
