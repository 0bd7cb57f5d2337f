"""`exec`: a command in a running container, optionally bounded by a timeout."""

from __future__ import annotations

import os
import signal
import threading
from typing import TYPE_CHECKING

from ..errors import ConflictError
from ..store.containers import Container
from ..store.store import Store
from .containers import (
    ContainerTimeout,
    devnull_fd,
    kill_quietly,
    process_specs,
    refresh,
    run_piped,
)
from .options import Sink

if TYPE_CHECKING:
    from ..runtime import Backend

__all__ = ["exec_in"]


def exec_in(
    store: Store,
    c: Container,
    backend: Backend,
    argv: list[str],
    *,
    env: list[str],
    workdir: str | None,
    user: str | None,
    out: Sink | None,
    err: Sink | None,
    timeout: float | None = None,
) -> int:
    """Run ``argv`` in the running container; returns its exit code.

    ``timeout``: after that many seconds the command and everything it started are killed
    (its process group) and ``ContainerTimeout`` is raised (a healthcheck that hangs)."""
    c = refresh(store, c)
    if c.state != "running" or c.pid is None:
        raise ConflictError(f"container {c.name} is not running (start it with `run -d`)")
    rootfs, proc = process_specs(store, c, argv=argv, env=env, workdir=workdir, user=user)
    log_path = os.path.join(store.containers.dir(c.id), "exec.log")
    pid = c.pid
    timers: list[threading.Timer] = []
    fired: list[int] = []

    def expire(exec_pid: int) -> None:
        fired.append(exec_pid)
        _kill_group(exec_pid)

    def started(exec_pid: int) -> None:
        if timeout is not None:
            timer = threading.Timer(timeout, expire, (exec_pid,))
            timer.daemon = True
            timers.append(timer)
            timer.start()

    def run(w_out: int, w_err: int) -> int:
        return backend.exec(
            pid, rootfs, proc, stdin=devnull_fd(), stdout=w_out, stderr=w_err, on_start=started
        )

    try:
        code = run_piped(run, log_path, out, err)
    finally:
        for timer in timers:
            timer.cancel()
    if fired:
        raise ContainerTimeout(f"exec in {c.name} was killed after {timeout:g} s", code)
    return code


def _kill_group(pid: int) -> None:
    """SIGKILL the process group of ``pid`` (an exec and what it started), or ``pid`` alone."""
    try:
        group = os.getpgid(pid)
        if group != os.getpgrp():  # never our own group: that would kill the caller
            os.killpg(group, signal.SIGKILL)
            return
    except (ProcessLookupError, PermissionError):
        pass
    kill_quietly(pid)
