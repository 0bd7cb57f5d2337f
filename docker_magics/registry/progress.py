"""Progress events, one stream per blob, for the terminal and the notebook to render.

Callbacks run on the worker threads that move the bytes: a renderer must be thread-safe (or just
append to a queue). No printing happens here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["Progress", "ProgressFn", "ProgressReader", "ignore"]


@dataclass(frozen=True)
class Progress:
    digest: str
    action: str  # exists | downloading | downloaded | compressing | uploading | mounted | pushed
    # | note
    current: int = 0
    total: int | None = None
    kind: str = "layer"  # layer | config | manifest | note
    message: str = ""  # for action "note": a sentence to show as is (where an image came from)


ProgressFn = Callable[[Progress], None]


def ignore(_: Progress) -> None:
    pass


class ProgressReader:
    """A file wrapper that reports how far a reader (an upload) has got, every `step` bytes."""

    def __init__(self, src: BinaryIO, report: Callable[[int], None], step: int = 1 << 20) -> None:
        self._src = src
        self._report = report
        self._step = step
        self._last = 0

    def read(self, size: int = -1) -> bytes:
        data = self._src.read(size)
        pos = self._src.tell()
        if not data or pos - self._last >= self._step:
            self._last = pos
            self._report(pos)
        return data

    def tell(self) -> int:
        return self._src.tell()

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._src.seek(pos, whence)
