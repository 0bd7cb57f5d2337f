"""A RUN step's output as lines a person can read, not as the chunks the pipe happened to carry.

A process writes whenever it likes: ``printf abc; sleep 1; printf 'def\\n'`` arrives as two
chunks, and a progress bar (pip, npm, curl) redraws one line many times with carriage returns.
``LineBuffer`` turns chunks into whole lines: it cuts at ``\\n`` only, keeps the latest state of
a line that ``\\r`` redraws (as a terminal would show it), and when a process stops mid-line for a
moment (a prompt, "Downloading... "), passes on the unfinished line's current state, marked
partial, so that a viewer can show it and complete it in place once the rest arrives.

Events (``options.Event``): ``{"event": "log", "data": "one\\ntwo\\n"}`` carries complete lines;
``{"event": "log", "data": "abc", "partial": True}`` the current state of the unfinished line.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

__all__ = ["LineBuffer", "resolve_returns", "IDLE_FLUSH_S"]

IDLE_FLUSH_S = 0.5  # an unfinished line shown after this long without output
LINE_MAX = 8000  # chars kept of one line: output without newlines must not grow without bound

# "Erase in line" (ESC [ K, 0K, 2K): progress bars send it after \r to clear the old text.
_ERASE = re.compile(r"\x1b\[[02]?K")


def resolve_returns(text: str) -> str:
    """What a terminal shows for a line redrawn with ``\\r``: each segment overwrites the
    start of the one before; an erase-line sequence clears what was left of it."""
    shown = ""
    for seg in text.split("\r"):
        if _ERASE.search(seg):
            shown = _ERASE.sub("", seg)
        elif seg:
            shown = seg + shown[len(seg) :]
    return shown


class LineBuffer:
    """Feed chunks from any thread; ``emit(data, partial)`` gets whole lines (``partial`` False,
    ``data`` ending in newlines) or an idle unfinished line's state (``partial`` True)."""

    def __init__(self, emit: Callable[[str, bool], None], idle: float = IDLE_FLUSH_S) -> None:
        self._emit = emit
        self._idle = idle
        self._lock = threading.Lock()
        self._pending = ""  # the unfinished line, raw (carriage returns kept)
        self._shown = ""  # its state as last passed on, so the same state is not sent twice
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def feed(self, text: str) -> None:
        with self._lock:
            self._last = time.monotonic()
            head, sep, tail = (self._pending + text).rpartition("\n")
            if not sep:
                self._pending = tail[-LINE_MAX:]
                self._start_ticker()
                return
            self._pending, self._shown = tail[-LINE_MAX:], ""
            lines = [resolve_returns(line)[:LINE_MAX] for line in head.split("\n")]
            self._emit("".join(f"{line}\n" for line in lines), False)
            if self._pending:
                self._start_ticker()

    def _start_ticker(self) -> None:
        if self._ticker is None and self._idle > 0:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        step = min(0.1, self._idle / 2)
        while not self._stop.wait(step):
            with self._lock:
                if not self._pending or time.monotonic() - self._last < self._idle:
                    continue
                state = resolve_returns(self._pending)
                if state and state != self._shown:
                    self._shown = state
                    self._emit(state, True)

    def close(self) -> None:
        """The process ended: stop the ticker and pass on an unfinished last line as a line."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            if self._pending:
                line = resolve_returns(self._pending)
                self._pending = ""
                if line or self._shown:
                    self._emit(line + "\n", False)
