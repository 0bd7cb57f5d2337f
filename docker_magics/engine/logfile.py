"""A container's output log, capped: a process printing without end must not fill the disk.

Like Docker's json-file driver with ``max-size`` and ``max-file=2``: when the log reaches
``LOG_MAX_BYTES`` it becomes ``<log>.1`` (replacing the previous one) and a new log starts, so
at most twice the cap is kept and ``logs`` still shows the most recent output.
"""

from __future__ import annotations

import os

__all__ = ["LOG_MAX_BYTES", "CappedLog", "read_log"]

LOG_MAX_BYTES = 16 << 20


class CappedLog:
    """Append-only writer of ``path`` that rotates once it holds ``max_bytes``."""

    def __init__(self, path: str, max_bytes: int = LOG_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._fh = open(path, "ab")
        self._size = self._fh.tell()

    def write(self, data: bytes) -> None:
        if self._size + len(data) > self.max_bytes and self._size > 0:
            self._fh.close()
            os.replace(self.path, self.path + ".1")
            self._fh = open(self.path, "ab")
            self._size = 0
        self._fh.write(data)
        self._size += len(data)

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> CappedLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_log(path: str) -> bytes:
    """The rotated part, then the current one; empty when the container never wrote."""
    out = b""
    for name in (path + ".1", path):
        try:
            with open(name, "rb") as fh:
                out += fh.read()
        except FileNotFoundError:
            pass
    return out
