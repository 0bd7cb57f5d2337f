"""The `Output` the CLI handlers write to, pointed at a notebook cell.

Text and container output stream live to the cell's stdout/stderr as they arrive (the engine's pump
threads call the raw sinks; the kernel routes writes from any thread to the running cell). Rich
results (tables, graphs, layer views) are displayed instead of printed. The last lines of output
are kept for the short error shown when a command fails.
"""

from __future__ import annotations

import codecs
import sys
import threading
from collections.abc import Callable
from typing import Any

from ..cli.output import Output

__all__ = ["CellOutput"]

TAIL_CHARS = 8192
# What one command may stream into a cell. Beyond this a notebook becomes too big to open (and
# the kernel holds it all in its output buffers); the container's log keeps the rest.
STREAM_MAX_CHARS = 8 << 20
TRUNCATED = (
    "\n[docker-magics: output truncated after {mb} MiB in this cell; "
    "`%container logs NAME` shows the rest of a kept container]\n"
)


class _LiveStdout:
    """sys.stdout looked up at each write: IPython swaps it per cell (and tests capture it)."""

    def write(self, s: str) -> int:
        return sys.stdout.write(s)

    def flush(self) -> None:
        sys.stdout.flush()


class CellOutput(Output):
    def __init__(self, show: Callable[[Any], None]) -> None:
        self._show = show
        self._lock = threading.Lock()
        self._tail = ""
        self._streamed = 0
        self._decoders = {
            name: codecs.getincrementaldecoder("utf-8")(errors="replace") for name in ("out", "err")
        }
        super().__init__(_LiveStdout(), self._raw_out, self._raw_err)  # type: ignore[arg-type]

    def _keep(self, text: str) -> None:
        self._tail = (self._tail + text)[-TAIL_CHARS:]

    def _raw(self, name: str, data: bytes) -> None:
        stream = sys.stdout if name == "out" else sys.stderr
        with self._lock:
            text = self._decoders[name].decode(data)
            if not text:
                return
            self._keep(text)
            room = STREAM_MAX_CHARS - self._streamed
            if room <= 0:
                return
            self._streamed += len(text)
            if len(text) >= room:
                text = text[:room] + TRUNCATED.format(mb=STREAM_MAX_CHARS >> 20)
            stream.write(text)
            stream.flush()

    def _raw_out(self, data: bytes) -> None:
        self._raw("out", data)

    def _raw_err(self, data: bytes) -> None:
        self._raw("err", data)

    def line(self, s: str = "") -> None:
        with self._lock:
            self._keep(s + "\n")
        super().line(s)

    def show(self, view: Any) -> None:
        self._show(view)

    def build_progress(self, text: str) -> None:
        """`%container build`'s progress: stdout, since in a cell stderr is drawn as an error."""
        self._raw_out(text.encode())

    def transfer(self, title: str, *, quiet: bool = False) -> Any:
        """Pull/push/bootstrap progress as a live view (bars per layer), not lines."""
        from .live import LiveTransfer

        return LiveTransfer(title, quiet)

    def tail(self) -> str:
        return self._tail
