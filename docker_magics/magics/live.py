"""A view kept live in a notebook: fed with events, redrawn in place through a display handle.

Used by `%%dockerfile` (the step list) and by pulls, pushes and bootstraps (``LiveTransfer``, the
notebook's ``out.transfer``): the executed notebook keeps only the final drawing.
"""

from __future__ import annotations

import contextvars
import threading
import time
from types import TracebackType
from typing import Any

from IPython.display import display

__all__ = ["LiveView", "LiveTransfer", "REDRAW_S", "TICK_S"]

REDRAW_S = 0.25
TICK_S = 0.5


class LiveView:
    """Feeds events (builder, transfer) to a live view and redraws its display handle, throttled.

    RUN output arrives line by line, faster than a page should redraw, so an event within
    REDRAW_S of the last redraw only marks the view as changed. A ticker thread draws what was
    held back (and moves the running step's clock) every TICK_S until the build ends: without
    it, a step that printed a line and then worked silently showed nothing until it finished.
    """

    def __init__(self, view: Any, handle: Any) -> None:
        self.view = view
        self.handle = handle
        self.lock = threading.Lock()  # RUN output arrives on the engine's pump threads
        self.last = 0.0
        self.done = threading.Event()
        # The kernel sends a thread's output to the cell whose context the thread runs in.
        ticker = threading.Thread(target=contextvars.copy_context().run, args=(self._tick,))
        ticker.daemon = True
        ticker.start()

    def __call__(self, ev: dict[str, Any]) -> None:
        with self.lock:
            changed = self.view.feed(ev)
            if changed or time.monotonic() - self.last >= REDRAW_S:
                self._draw()

    def _draw(self) -> None:
        self.last = time.monotonic()
        self.handle.update(self.view)

    def _tick(self) -> None:
        while not self.done.wait(TICK_S):
            with self.lock:
                if not self.done.is_set() and time.monotonic() - self.last >= REDRAW_S:
                    self._draw()

    def stop(self) -> None:
        self.done.set()

    def redraw(self) -> None:
        """The final state: the ticker stops first, so nothing is drawn after it."""
        with self.lock:
            self.done.set()
            self._draw()


class LiveTransfer:
    """``out.transfer`` in a notebook: a ``TransferProgress`` with a bar per layer, redrawn in
    place; at the end its plain summary (or "Interrupted: ...") is what stays."""

    def __init__(self, title: str, quiet: bool = False) -> None:
        from ..display.transfer import TransferProgress

        self.view = TransferProgress(title)
        self.quiet = quiet
        self.live: LiveView | None = None
        if not quiet:
            self.live = LiveView(self.view, display(self.view, display_id=True))

    def __call__(self, event: Any) -> None:
        # Called on the pull's worker threads, which are not the cell's: they only change the
        # view, and the ticker (running in the cell's context) draws it.
        if self.live is not None:
            with self.live.lock:
                self.view.feed(event)

    def note(self, text: str) -> None:
        self(text)

    def done(self, outcome: str) -> None:
        self.view.finish(outcome)
        if self.live is not None:
            self.live.redraw()

    def __enter__(self) -> LiveTransfer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None and self.view.outcome is None:
            verb = self.view.title.split(" ", 1)
            what = f"{verb[0].lower().removesuffix('ing')} of {verb[-1]}"
            interrupted = isinstance(exc, KeyboardInterrupt)
            self.done(f"Interrupted: {what}" if interrupted else f"Failed: {what}")
        if self.live is not None:
            self.live.stop()
