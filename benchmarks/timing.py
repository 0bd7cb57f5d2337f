"""Timing and peak memory of one operation, ours in this process or any command as a child.

Wall time is what a user waits for; on a shared 2-core machine it is noisy, so callers interleave
ours and the peer's runs (``Race``) and compare medians taken in the same minutes.

Peak RSS is measured in one extra, untimed run of each contender under GNU time (``peak_rss``):
a command as it is, an in-process API call as the same call in a fresh interpreter (so the number
is the whole process: interpreter, imports and the operation). buildah re-execs itself for chroot
isolation; the descendants a process waited for count.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Sample", "Series", "Race", "run_cmd", "peak_rss", "timed", "cli_env"]


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
    """Run a command to completion: its wall time. Raises with its stderr on failure."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd
        )
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{tail}")
    return Sample(seconds)


def peak_rss(argv: list[str], env: dict[str, str] | None = None) -> int:
    """Peak RSS (KiB) of a command and the descendants it waited for, from GNU time.

    Not from our own ``wait4``: Linux starts a child's peak at its parent's resident size when
    it forks (and keeps it across exec), so every child of this 50 MB benchmark process would
    report at least 50 MB. GNU time is a 2 MB parent. Raises when the command fails: the peak
    of a command that stopped early is not the peak of the work.
    """
    with tempfile.NamedTemporaryFile("r") as out, tempfile.TemporaryFile() as err:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", out.name, *argv]
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        text = out.read().split()
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-2000:]
            command = " ".join(argv)
            raise RuntimeError(f"peak RSS run of {command} exited {proc.returncode}:\n{tail}")
    if not text or not text[-1].isdigit():
        raise RuntimeError(f"GNU time reported no peak RSS for {' '.join(argv)}")
    return int(text[-1])


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
