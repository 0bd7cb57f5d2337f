"""What every view shares: a mimebundle made of semantic HTML and a plain-text twin.

Views are built from data once and render without side effects, so the same object works live in a
kernel, in an nbconvert HTML export and in GitHub's static preview. GitHub strips ``<style>`` and
JavaScript, so views use inline ``style`` attributes only as decoration: the words and the letters
(A/C/D, CACHED, MISS) carry the meaning on their own.
"""

from __future__ import annotations

import html
from typing import Any

from ..textfmt import human_size

__all__ = ["View", "esc", "human_size", "short", "clean_instruction", "FONT", "INK", "CODE"]

FONT = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px"
# Text on a background we colour ourselves gets its colour from us too: the theme's text colour
# is near white in a dark theme, which vanishes on our light tints. CODE undoes JupyterLab's
# code chip (its own background and colour) inside such rows.
INK = "color:#1f2328"
CODE = "background:none;color:inherit;padding:0"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


_NOP = "/bin/sh -c #(nop) "
_BUILDKIT = "# buildkit"


def clean_instruction(created_by: str) -> str:
    """History's `created_by` as the instruction a reader wrote: `RUN ...`, `CMD ...`."""
    text = created_by.strip().removesuffix(_BUILDKIT).strip()
    if text.startswith("RUN /bin/sh -c "):  # BuildKit's form: "RUN /bin/sh -c make # buildkit"
        return "RUN " + text[len("RUN /bin/sh -c ") :]
    if text.startswith(_NOP):
        return text[len(_NOP) :].strip()
    if text.startswith("/bin/sh -c "):
        return "RUN " + text[len("/bin/sh -c ") :]
    return text


class View:
    """Base of every rich result: subclasses implement ``to_html`` and ``to_text``."""

    def to_html(self) -> str:
        raise NotImplementedError

    def to_text(self) -> str:
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> dict[str, Any] | tuple[dict[str, Any], dict[str, Any]]:
        return {"text/html": self.to_html(), "text/plain": self.to_text()}

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()
