"""Timing and peak memory of one operation, ours in this process or any command as a child.

Wall time is what a user waits for; on a shared 2-core machine it is noisy, so callers interleave
ours and the peer's runs (``Race``) and compare medians taken in the same minutes.

Peak RSS: for a child process, ``wait4`` gives the largest resident set of it and of the
descendants it waited for (buildah re-execs itself for chroot isolation; those count). An
in-process operation runs once more in a forked child, measured the same way: that number
includes the interpreter, the imported package and the benchmark's own state at fork time, so it
is an upper bound of what the operation needs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Sample", "Series", "Race", "run_cmd", "in_fork", "cli_env"]


@dataclass
class Sample:
    seconds: float
    rss_kb: int = 0


@dataclass
class Series:
    """The runs of one contender."""

    name: str
    times: list[float] = field(default_factory=list)
    rss_kb: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    def add(self, sample: Sample) -> None:
        self.times.append(sample.seconds)
        self.rss_kb = max(self.rss_kb, sample.rss_kb)


def run_cmd(
    argv: list[str], *, env: dict[str, str] | None = None, cwd: str | None = None
) -> Sample:
    """Run a command to completion: its wall time and peak RSS. Raises with stderr on failure."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{tail}")
    return Sample(seconds, usage.ru_maxrss)


def in_fork(fn: Callable[[], object]) -> int:
    """Peak RSS (KiB) of running ``fn`` once in a forked copy of this process."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            fn()
        except BaseException:  # noqa: BLE001 - any failure is reported through the exit code
            code = 1
        os._exit(code)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("the forked run failed")
    return usage.ru_maxrss


def timed(fn: Callable[[], object]) -> Sample:
    start = time.perf_counter()
    fn()
    return Sample(time.perf_counter() - start)


def cli_env(pycache: str) -> dict[str, str]:
    """The environment for our CLI: byte code cached as in any installed package.

    The shared machines export PYTHONDONTWRITEBYTECODE=1, which makes every CLI start compile
    the whole package from source; an installed package never runs that way. The cache goes to
    a temporary prefix so the source tree stays clean.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


class Race:
    """Interleaved rounds: every contender runs once per round, in turn, after ``prepare``."""

    def __init__(self, runs: int, warmup: int = 1) -> None:
        self.runs = runs
        self.warmup = warmup
        self.contenders: list[tuple[Series, Callable[[], Sample]]] = []

    def add(self, name: str, fn: Callable[[], Sample]) -> Series:
        series = Series(name)
        self.contenders.append((series, fn))
        return series

    def go(self, prepare: Callable[[int], object] | None = None) -> None:
        for i in range(self.warmup + self.runs):
            # Rotate who goes first: page-cache warmth and background load favour no one.
            order = (
                self.contenders[i % len(self.contenders) :]
                + self.contenders[: i % len(self.contenders)]
            )
            for series, fn in order:
                if prepare is not None:
                    prepare(i)
                sample = fn()
                if i >= self.warmup:
                    series.add(sample)
