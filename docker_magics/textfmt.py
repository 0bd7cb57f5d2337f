"""Docker-style text: aligned tables, human sizes and ages (shared by the CLI and the views)."""

from __future__ import annotations

import datetime as _dt
import re
import time

_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?")

__all__ = ["table", "human_size", "human_age", "truncate", "parse_time"]


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in [headers, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("   ".join(cells).rstrip())
    return "\n".join(lines)


def human_size(n: float) -> str:
    """Docker's decimal units with three significant digits: 4.1kB, 12.3MB, 0B."""
    units = ["B", "kB", "MB", "GB", "TB"]
    i = 0
    while n >= 1000 and i < len(units) - 1:
        n /= 1000.0
        i += 1
    return f"{n:.3g}{units[i]}"


def parse_time(text: str) -> float | None:
    """RFC 3339 (`...Z`, optional fraction of any length) to a Unix time; None if unreadable."""
    match = _RFC3339.match(text or "")
    if not match:
        return None
    base = _dt.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    frac = float("0" + (match.group(2) or ""))
    return base.replace(tzinfo=_dt.timezone.utc).timestamp() + frac


def human_age(when: float | None, now: float | None = None) -> str:
    if when is None:
        return "N/A"
    secs = max(0.0, (now or time.time()) - when)
    if secs < 1:
        return "Less than a second ago"
    if secs < 60:
        return f"{int(secs)} seconds ago"
    minutes = secs / 60
    if minutes < 2:
        return "About a minute ago"
    if minutes < 60:
        return f"{int(minutes)} minutes ago"
    hours = minutes / 60
    if hours < 2:
        return "About an hour ago"
    if hours < 48:
        return f"{int(hours)} hours ago"
    days = hours / 24
    if days < 14:
        return f"{int(days)} days ago"
    if days < 60:
        return f"{int(days / 7)} weeks ago"
    if days < 730:
        return f"{int(days / 30)} months ago"
    return f"{int(days / 365)} years ago"


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
