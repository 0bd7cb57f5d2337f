"""An in-process IPython shell with the extension loaded, pointed at the test's store.

No kernel: ``InteractiveShell.run_cell`` runs magics exactly as a kernel would; ``capture_output``
collects stdout, stderr and every display (including display-handle updates) of a cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

pytest.importorskip("IPython")


@dataclass
class Cell:
    result: Any
    stdout: str
    stderr: str
    outputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def error(self) -> BaseException | None:
        return self.result.error_in_exec or self.result.error_before_exec

    def html(self) -> str:
        return "\n".join(o.get("text/html", "") for o in self.outputs)

    def text(self) -> str:
        return "\n".join(o.get("text/plain", "") for o in self.outputs)


@pytest.fixture(scope="session")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.history_manager.enabled = False
    ip.run_cell("%load_ext docker_magics")
    return ip


@pytest.fixture()
def ip(shell, engine):
    """The shell, configured for this test's store; ``ip.cell(src)`` runs one cell."""
    shell.run_cell(f"%config DockerMagics.root = {engine.store.root!r}")
    for name, value in (("debug", False), ("progress", "'auto'"), ("raise_on_error", True)):
        shell.run_cell(f"%config DockerMagics.{name} = {value}")

    def cell(source: str) -> Cell:
        from IPython.utils.capture import capture_output

        with capture_output() as cap:
            result = shell.run_cell(source)
        return Cell(result, cap.stdout, cap.stderr, [o.data for o in cap.outputs])

    shell.cell = cell
    yield shell
    shell.run_cell("%config DockerMagics.root = None")
