"""A failure, shown short: what failed, where (Dockerfile line), the exit code, the last output.

Why no traceback: the user's mistake (a typo in a RUN line, a missing image) is in their cell,
not in our code, and a 40-line internal stack hides the one line that matters. The magics show a
traceback only when ``%config DockerMagics.debug = True``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BuildError, DockerfileError, DockerMagicsError
from ._base import CODE, FONT, INK, View, esc

__all__ = ["ErrorView", "error_view"]

TAIL_LINES = 12
_TH = "text-align:left;padding-right:10px;vertical-align:top;font-weight:normal;color:#555"


@dataclass
class ErrorView(View):
    title: str
    command: str = ""
    exit_code: int | None = None
    line: int | None = None
    output_tail: str = ""

    def _tail(self) -> list[str]:
        lines = self.output_tail.rstrip("\n").splitlines()
        return lines[-TAIL_LINES:]

    def to_text(self) -> str:
        out = [f"Error: {self.title}"]
        if self.line is not None:
            out.append(f"  at Dockerfile line {self.line}")
        if self.command:
            out.append(f"  command: {self.command}")
        if self.exit_code is not None:
            out.append(f"  exit code: {self.exit_code}")
        tail = self._tail()
        if tail:
            out.append("  last output:")
            out += [f"    {t}" for t in tail]
        return "\n".join(out)

    def to_html(self) -> str:
        rows = []
        if self.line is not None:
            rows.append(("Dockerfile line", str(self.line)))
        if self.command:
            rows.append(("command", self.command))
        if self.exit_code is not None:
            rows.append(("exit code", str(self.exit_code)))
        facts = "".join(
            # Notebook CSS stripes rows white and gives them the theme's text colour (near white
            # in a dark theme): both unreadable or patchy on this light red card.
            f'<tr style="background:none;{INK}"><th style="{_TH}">{esc(k)}</th>'
            f'<td style="text-align:left"><code style="{CODE}">{esc(v)}</code></td></tr>'
            for k, v in rows
        )
        tail = self._tail()
        pre = ""
        if tail:
            pre = (
                '<div style="margin-top:4px">last output:</div>'
                '<pre style="margin:2px 0;padding:4px 6px;background:#f6f6f6;color:inherit;'
                f'white-space:pre-wrap">{esc(chr(10).join(tail))}</pre>'
            )
        return (
            f'<div class="docker-magics-error" style="{FONT};border-left:4px solid #c62828;'
            f'padding:4px 10px;background:#fff5f5;{INK}">'
            f'<div style="color:#b71c1c"><b>✗ Error:</b> {esc(self.title)}</div>'
            f'<table style="{FONT}">{facts}</table>{pre}</div>'
        )


def error_view(exc: BaseException, *, command: str = "", output_tail: str = "") -> ErrorView:
    """The short form of any error this package raises (or of an unexpected one)."""
    if isinstance(exc, BuildError):
        # A command's failure: line, command and exit code get rows of their own below.
        title = str(exc) if exc.exit_code is None else "a build step failed"
        return ErrorView(
            title=title,
            command=exc.instruction or command,
            exit_code=exc.exit_code,
            line=exc.line,
            output_tail=exc.output_tail or output_tail,
        )
    if isinstance(exc, DockerfileError):
        return ErrorView(title=exc.message, command=(exc.source or "").strip(), line=exc.line)
    if isinstance(exc, DockerMagicsError):
        return ErrorView(title=str(exc), command=command, output_tail=output_tail)
    return ErrorView(title=f"{type(exc).__name__}: {exc}", command=command, output_tail=output_tail)
