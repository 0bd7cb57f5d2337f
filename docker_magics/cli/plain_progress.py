"""BuildKit's plain progress (``docker build --progress=plain``) from the builder's events.

What BuildKit's printer does (``util/progress/progressui/printer.go``), and so do we:
- Only build steps are vertices: FROM, RUN, COPY, ADD, WORKDIR. ENV, ARG, EXPOSE, CMD and the
  other metadata instructions only edit the image config, so they print nothing.
- Vertices are numbered in the order they first print (``#1``, ``#2``, ...), a blank line
  between two vertices' blocks, and each block ends in ``CACHED``, ``DONE 1.2s`` or ``ERROR``.
- When another vertex's lines come before a block is finished, the block is left with
  ``#N ...`` and its header printed again when it resumes.
- Output is printed by lines; an unfinished line (a prompt, a process pausing mid-line) is
  printed without its newline and completed in place when the rest arrives.

Ours adds one line per miss: ``#5 CACHE MISS: <why>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["PlainPrinter"]


class PlainPrinter:
    """``write_line(text)`` prints one line; ``write_raw(text)`` prints text as is (without it,
    unfinished lines wait for their end)."""

    def __init__(
        self, write_line: Callable[[str], None], write_raw: Callable[[str], None] | None = None
    ) -> None:
        self._line = write_line
        self._raw = write_raw
        self._headers: dict[Any, str] = {}  # builder step id -> "[2/4] RUN make"
        self._numbers: dict[Any, int] = {}  # builder step id -> vertex number, once printed
        self._meta: set[Any] = set()
        self._current: Any = None  # the vertex whose block is open
        self._open: tuple[Any, str] | None = None  # (step id, text) of an unfinished line
        self._printed = False

    def __call__(self, ev: dict[str, Any]) -> None:
        kind = ev.get("event")
        sid = ev.get("id")
        if kind == "step":
            if ev.get("meta"):
                self._meta.add(sid)
            pos = f"[{ev['pos']}] " if ev.get("pos") else ""
            self._headers[sid] = f"{pos}{ev.get('instruction', '')}"
            if not ev.get("meta"):
                self._enter(sid)
        elif kind == "log" and sid not in self._meta:
            self._log(sid, str(ev.get("data", "")), bool(ev.get("partial")))
        elif kind == "miss" and sid not in self._meta:
            self._say(sid, f"CACHE MISS: {(ev.get('reason') or {}).get('summary', '')}")
        elif kind == "done" and sid not in self._meta:
            done = "CACHED" if ev.get("cached") else f"DONE {float(ev.get('duration_s') or 0):.1f}s"
            self._say(sid, done)
            self._current = None
        elif kind == "error":
            message = str(ev.get("message", "")).splitlines()[0]
            if sid in self._headers:
                self._say(sid, f"ERROR: {message}")
            else:
                self._end_open()
                self._line(f"ERROR: {message}")
            self._current = None
        elif kind == "interrupted":
            if sid in self._headers:
                self._say(sid, "INTERRUPTED")
            self._current = None
        elif kind == "result":
            self._end_open()
            self._current = None
            self._blank()
            n = len(self._numbers) + 1
            self._line(f"#{n} writing image {ev['image']} done")
            for tag in ev.get("tags") or []:
                self._line(f"#{n} naming to {tag} done")

    # -- blocks ---------------------------------------------------------------------------------
    def _blank(self) -> None:
        if self._printed:
            self._line("")
        self._printed = True

    def _enter(self, sid: Any) -> None:
        """Make ``sid`` the open block, leaving another open one with ``#N ...``."""
        if sid == self._current:
            return
        self._end_open()
        if self._current is not None:
            self._line(f"#{self._numbers[self._current]} ...")
        if sid not in self._numbers:
            self._numbers[sid] = len(self._numbers) + 1
        self._blank()
        self._line(f"#{self._numbers[sid]} {self._headers.get(sid, '')}".rstrip())
        self._current = sid

    def _say(self, sid: Any, text: str) -> None:
        self._enter(sid)
        self._end_open()
        self._line(f"#{self._numbers[sid]} {text}")

    def _end_open(self) -> None:
        if self._open is not None and self._raw is not None:
            self._raw("\n")
        self._open = None

    def _log(self, sid: Any, data: str, partial: bool) -> None:
        self._enter(sid)
        if partial:
            if self._raw is None:
                return
            shown = self._open[1] if self._open and self._open[0] == sid else None
            if shown is not None and data.startswith(shown):
                self._raw(data[len(shown) :])
            else:
                self._end_open()
                self._raw(f"#{self._numbers[sid]} {data}")
            self._open = (sid, data)
            return
        for line in data.split("\n")[: -1 if data.endswith("\n") else None]:
            shown = self._open[1] if self._open and self._open[0] == sid else None
            if shown is not None and line.startswith(shown) and self._raw is not None:
                self._raw(line[len(shown) :] + "\n")
                self._open = None
                continue
            self._end_open()
            self._line(f"#{self._numbers[sid]} {line}")
