"""Advisory file locks between processes sharing one store."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["locked"]


@contextmanager
def locked(path: str, *, shared: bool = False) -> Iterator[None]:
    """flock() on `path`: the kernel drops it if the holder dies, so a crash never wedges us."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
