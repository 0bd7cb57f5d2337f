"""Small helpers shared by the runtime tests."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable

import pytest

from docker_magics.runtime import Backend, ProcessSpec, RootfsSpec, probe, select

__all__ = ["backend_or_skip", "run_capture", "start_background", "wait_for"]


def run_capture(
    backend: Backend,
    rootfs: RootfsSpec,
    *argv: str,
    on_start: Callable[[int], None] | None = None,
    **proc: object,
) -> tuple[int, str, str]:
    """Run argv, returning (exit code, stdout, stderr) collected through temp files."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code = backend.run(
            rootfs,
            ProcessSpec(argv=argv, **proc),  # type: ignore[arg-type]
            stdin=os.open(os.devnull, os.O_RDONLY),
            stdout=out.fileno(),
            stderr=err.fileno(),
            on_start=on_start,
        )
        out.seek(0)
        err.seek(0)
        return code, out.read().decode(), err.read().decode()


class Background:
    """A container run in a thread; ``pid`` is what on_start reported."""

    def __init__(self, backend: Backend, rootfs: RootfsSpec, argv: tuple[str, ...]) -> None:
        self.pid: int | None = None
        self.code: int | None = None
        self.started = threading.Event()

        def on_start(pid: int) -> None:
            self.pid = pid
            self.started.set()

        def target() -> None:
            self.code = run_capture(backend, rootfs, *argv, on_start=on_start)[0]

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()
        assert self.started.wait(20), "container did not start"

    def kill(self, sig: int = signal.SIGTERM) -> None:
        assert self.pid is not None
        os.kill(self.pid, sig)

    def join(self, timeout: float = 20) -> int | None:
        self.thread.join(timeout)
        return self.code


def start_background(backend: Backend, rootfs: RootfsSpec, *argv: str) -> Background:
    return Background(backend, rootfs, argv)


def wait_for(predicate: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def backend_or_skip(name: str) -> Backend:
    status = probe()[name]
    if not status.ok:
        pytest.skip(f"{name} backend unavailable here: {status.reason}")
    return select(name)
