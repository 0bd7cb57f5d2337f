"""What a cell magic's implementation needs from the `DockerMagics` object that hosts it.

``magics/dockerfile.py`` (and any later cell magic of its own module) takes this protocol, so it
does not import ``core`` while ``core`` imports it.
"""

from __future__ import annotations

from typing import Any, Protocol

from .errors import CellFailed

__all__ = ["MagicsHost"]


class MagicsHost(Protocol):
    shell: Any
    progress: str
    debug: bool

    def engine(self, root: str | None = None, runtime: str | None = None) -> Any: ...

    def fail(
        self, exc: BaseException, *, command: str = "", output_tail: str = ""
    ) -> CellFailed: ...
