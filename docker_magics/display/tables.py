"""Tables (images, ps, history): the rows the CLI prints, as an HTML table and aligned text."""

from __future__ import annotations

from collections.abc import Sequence

from ._base import FONT, View, esc

__all__ = ["Table", "text_table"]

_TD = "text-align:left;padding:2px 12px 2px 0"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Docker's layout: columns padded to the widest cell, three spaces apart."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in [list(headers), *rows]:
        lines.append("   ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


class Table(View):
    def __init__(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str = ""
    ) -> None:
        self.headers = list(headers)
        self.rows = [list(r) for r in rows]
        self.caption = caption

    def to_text(self) -> str:
        return text_table(self.headers, self.rows)

    def to_html(self) -> str:
        th = "".join(
            f'<th style="text-align:left;padding:2px 12px 2px 0">{esc(h)}</th>'
            for h in self.headers
        )
        body = []
        for row in self.rows:
            cells = "".join(f'<td style="{_TD};white-space:nowrap">{esc(c)}</td>' for c in row)
            body.append(f"<tr>{cells}</tr>")
        if not self.rows:
            body.append(f'<tr><td colspan="{len(self.headers)}"><i>(none)</i></td></tr>')
        caption = f"<caption>{esc(self.caption)}</caption>" if self.caption else ""
        return (
            f'<table class="docker-magics-table" style="{FONT};border-collapse:collapse">'
            f"{caption}<thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
