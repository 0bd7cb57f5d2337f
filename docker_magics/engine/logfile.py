"""A container's output log: each chunk with its stream and time, capped in size.

Like Docker's json-file driver, every record keeps which stream it came from and when, so
`logs` can send stderr to stderr, print timestamps (`-t`) and pick by time (`--since`). The
records are binary frames (stream, time in ns, length, bytes) rather than JSON lines, so a
program's output comes back byte for byte, invalid UTF-8 included.

Like ``max-size`` with ``max-file=2``: when the log reaches ``LOG_MAX_BYTES`` it becomes
``<log>.1`` (replacing the previous one) and a new log starts, so at most twice the cap is
kept and ``logs`` still shows the most recent output. A log written before records existed
(plain bytes, no header) is read as stdout with no time.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

__all__ = [
    "LOG_MAX_BYTES",
    "STDOUT",
    "STDERR",
    "CappedLog",
    "Record",
    "read_log",
    "read_records",
    "follow_records",
]

LOG_MAX_BYTES = 16 << 20
STDOUT, STDERR = 1, 2
MAGIC = b"DMLOG1\n\0"
_FRAME = struct.Struct(">BQI")  # stream, time (ns since the epoch), length of the data


@dataclass(frozen=True)
class Record:
    stream: int  # STDOUT or STDERR
    time_ns: int  # 0 for a log from before records (no time known)
    data: bytes


class CappedLog:
    """Append-only writer of ``path`` that rotates once it holds ``max_bytes``."""

    def __init__(self, path: str, max_bytes: int = LOG_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._open()

    def _open(self) -> None:
        self._fh = open(self.path, "ab")
        self._size = self._fh.tell()
        if self._size == 0:
            self._fh.write(MAGIC)
            self._size = len(MAGIC)
        elif not _has_magic(self.path):
            # A log from an earlier version: keep it as the rotated part, start records.
            self._fh.close()
            os.replace(self.path, self.path + ".1")
            self._open()

    def write(self, data: bytes, stream: int = STDOUT) -> None:
        frame = _FRAME.pack(stream, time.time_ns(), len(data)) + data
        if self._size + len(frame) > self.max_bytes and self._size > len(MAGIC):
            self._fh.close()
            os.replace(self.path, self.path + ".1")
            self._open()
        self._fh.write(frame)
        self._size += len(frame)

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> CappedLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _has_magic(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def _records(fh: BinaryIO) -> Iterator[Record]:
    """The whole records from ``fh``'s position on; stops before a half-written one."""
    while True:
        start = fh.tell()
        head = fh.read(_FRAME.size)
        if len(head) < _FRAME.size:
            fh.seek(start)
            return
        stream, when, length = _FRAME.unpack(head)
        data = fh.read(length)
        if len(data) < length:
            fh.seek(start)
            return
        yield Record(stream, when, data)


def _read_file(name: str) -> Iterator[Record]:
    try:
        fh = open(name, "rb")
    except FileNotFoundError:
        return
    with fh:
        if fh.read(len(MAGIC)) != MAGIC:
            fh.seek(0)
            legacy = fh.read()
            if legacy:
                yield Record(STDOUT, 0, legacy)
            return
        yield from _records(fh)


def read_records(path: str) -> Iterator[Record]:
    """The rotated part, then the current one; nothing when the container never wrote."""
    yield from _read_file(path + ".1")
    yield from _read_file(path)


def read_log(path: str) -> bytes:
    """Both streams as they came, as one byte string."""
    return b"".join(r.data for r in read_records(path))


def follow_records(
    path: str, running: Callable[[], bool], poll: float = 0.2
) -> Iterator[Record | None]:
    """Every record, then ``None`` once the past is read, then new ones as they come, until
    ``running()`` is false.

    The open file is kept across a rotation (it is renamed, not removed), so nothing
    written between two polls is lost: its rest is read, then the new log from its start.
    """
    fh = _open_first(path)
    try:
        if fh is None or not _same_file(fh, path + ".1"):
            yield from _read_file(path + ".1")
        if fh is None and os.path.exists(path):
            yield from _read_file(path)  # a legacy log: a writer rotates it before writing
        past = True
        while True:
            alive = running()  # asked before reading: the last output is read after the end
            if fh is None:
                fh = _open_first(path)
            if fh is not None:
                yield from _records(fh)
                if _rotated(fh, path):
                    if not _same_file(fh, path + ".1"):
                        # A whole log was written and rotated between two looks.
                        yield from _read_file(path + ".1")
                    fh.close()
                    fh = _open_first(path)
                    continue
            if past:
                yield None
                past = False
            if not alive:
                return
            time.sleep(poll)
    finally:
        if fh is not None:
            fh.close()


def _open_first(path: str) -> BinaryIO | None:
    """``path`` positioned at its first record; a legacy log's bytes are read as one."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return None
    if fh.read(len(MAGIC)) != MAGIC:
        fh.close()  # empty, or a legacy log (never appended to again, only rotated)
        return None
    return fh


def _same_file(fh: BinaryIO, other: str) -> bool:
    try:
        return os.stat(other).st_ino == os.fstat(fh.fileno()).st_ino
    except FileNotFoundError:
        return False


def _rotated(fh: BinaryIO, path: str) -> bool:
    try:
        return os.stat(path).st_ino != os.fstat(fh.fileno()).st_ino
    except FileNotFoundError:
        return False
