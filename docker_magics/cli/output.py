"""Where a CLI handler writes; the magics point the same interface at a notebook cell."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO, TextIO

__all__ = ["Output"]


class Output:
    """Where a handler writes: text lines and raw container output."""

    def __init__(
        self,
        text: TextIO,
        raw_out: Callable[[bytes], None],
        raw_err: Callable[[bytes], None],
        binary: BinaryIO | None = None,
    ) -> None:
        self.text = text
        self.raw_out = raw_out
        self.raw_err = raw_err
        # The process's own stdout and stdin as bytes (`save` without -o, `load` without -i);
        # None where there is no such stream (a notebook cell).
        self.binary = binary
        self.binary_in: BinaryIO | None = None

    def line(self, s: str = "") -> None:
        self.text.write(s + "\n")
        self.text.flush()

    def show(self, view: Any) -> None:
        """A rich result (a display/ view or table): its text here; the notebook displays it."""
        self.line(view.to_text())

    def build_progress(self, text: str) -> None:
        """Build progress text: on stderr in a terminal, as `docker build` does (stdout is for
        the image ID); the notebook's Output prints it plainly instead."""
        self.raw_err(text.encode())

    def transfer(self, title: str, *, quiet: bool = False) -> Any:
        """A progress sink for a pull, push or bootstrap (``cli/progress.py``): call it with
        events or notes, ``done(outcome)`` at the end; use it as a context manager."""
        from .progress import LineProgress

        return LineProgress(self, title, quiet)
