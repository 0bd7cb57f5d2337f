"""Opt-in wall-time accounting per phase of runs and builds, for ``benchmarks/tutorials.py``.

With ``DOCKER_MAGICS_PHASES=FILE`` set, every timed phase appends one line ``NAME SECONDS`` to
FILE; without it, ``phase`` costs one environment lookup. The phases are where a copy-mode
(PRoot) world spends its time: ``rootfs`` (a container's private tree: copy and extraction),
``manifest`` (recording that tree's inode metadata), ``process`` (the container's processes,
under ptrace in PRoot), ``changes`` (comparing the tree with its manifest), ``layer`` (writing
the change set as a layer), ``remove`` (deleting a container's tree) and ``keep`` (keeping it
for the next container instead, ``snapshot/ready.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ENV_VAR", "phase"]

ENV_VAR = "DOCKER_MAGICS_PHASES"


@contextmanager
def phase(name: str) -> Iterator[None]:
    path = os.environ.get(ENV_VAR)
    if not path:
        yield
        return
    start = time.monotonic()
    try:
        yield
    finally:
        try:
            with open(path, "a") as fh:  # one short write per line: O_APPEND keeps lines whole
                fh.write(f"{name} {time.monotonic() - start:.3f}\n")
        except OSError:
            pass  # accounting must never break a run
