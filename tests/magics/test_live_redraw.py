"""The live build view reaches the screen even when events stop: a RUN that prints one line and
then works silently must show that line while it works (found by tests/browser)."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("IPython")

from docker_magics.display.buildview import BuildProgress  # noqa: E402
from docker_magics.magics.live import REDRAW_S, TICK_S  # noqa: E402
from docker_magics.magics.live import LiveView as _Live  # noqa: E402


class Handle:
    """Stands for the cell's display handle: keeps what each redraw would have shown."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def update(self, view) -> None:
        self.shown.append(view.to_html())


def test_held_back_output_is_drawn_without_a_further_event():
    view = BuildProgress("FROM busybox\nRUN echo hi && sleep 3\n")
    handle = Handle()
    live = _Live(view, handle)
    try:
        live({"event": "step", "id": 1, "line": 2, "pos": "1/1", "instruction": "RUN ..."})
        live({"event": "log", "id": 1, "data": "hi from the step\n"})  # within REDRAW_S
        assert REDRAW_S < TICK_S
        assert "hi from the step" not in handle.shown[-1]  # held back: the throttle works
        time.sleep(TICK_S * 3)
        assert "hi from the step" in handle.shown[-1]
    finally:
        live.stop()
    n = len(handle.shown)
    time.sleep(TICK_S * 2)
    assert len(handle.shown) == n  # a stopped view is never drawn again
