"""How the magics report failure. The reason for hiding tracebacks is written down here, once.

A failed `RUN` line or a missing image is the user's cell talking, not a bug in this package: an
internal stack of 40 frames would bury the one line that matters. So a failure is shown as a short
rendered error (display/errors.py) and then the cell stops with ``CellFailed``, whose
``_render_traceback_`` is a single line (IPython asks exceptions for that hook before formatting a
traceback). Stopping matters: "Run All" must not carry on after a failed build.

Argument mistakes raise IPython's own ``UsageError`` -- the exact class, since IPython prints
subclasses with a full traceback (ipython/ipython#14024). With ``%config DockerMagics.debug =
True`` the original exception propagates with its traceback.
"""

from __future__ import annotations

__all__ = ["CellFailed", "CellInterrupted"]

HINT = "(%config DockerMagics.debug = True shows the traceback)"


class CellFailed(Exception):
    """The cell's command failed; its error has already been displayed."""

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[31m{self}\x1b[0m"]


class CellInterrupted(KeyboardInterrupt):
    """The user interrupted the cell (the stop button): one line saying what stopped, where.

    Still a KeyboardInterrupt, so the kernel reports the cell as interrupted and "Run All"
    stops; but no stack: the interrupt is the user's act, not a failure of this package.
    """

    def _render_traceback_(self) -> list[str]:
        return [str(self)]
