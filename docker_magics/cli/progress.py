"""Transfer progress (pull, push, bootstrap) as a hook any verb can use: ``out.transfer(title)``.

On a terminal (``LineProgress``) it is Docker's lines on stdout, one per layer state change, and
notes ("made here by bootstrap ...") as indented lines: progress is not an error, so stderr stays
for errors and warnings. In a notebook the magics' Output returns a live view instead (the same
interface, drawn through a display handle). Callbacks come from worker threads: serialised here.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from ..display.transfer import line_for

__all__ = ["LineProgress"]


class LineProgress:
    def __init__(self, out: Any, title: str, quiet: bool = False) -> None:
        self.out = out
        self.title = title
        self.quiet = quiet
        self.lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        """A ``registry.progress.Progress`` event, or a note (a str, or an event of action
        "note" with a message)."""
        if self.quiet:
            return
        if isinstance(event, str) or getattr(event, "action", "") == "note":
            self.note(getattr(event, "message", event))
            return
        line = line_for(event)
        if line is not None:
            with self.lock:
                self.out.line(line)

    def note(self, text: str) -> None:
        if not self.quiet:
            with self.lock:
                self.out.line(f"  {text}")

    def done(self, outcome: str) -> None:
        """The verb printed its own summary lines: nothing to add on a terminal."""

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None
