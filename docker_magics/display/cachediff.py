"""Two builds side by side: which steps were reused, the first miss and why, and its cascade.

``diff_builds`` is a pure function of two build records (``<store>/builds/*.json``); a step of the
newer build is matched with the older build's step at the same place in the same stage. The view
teaches one lesson at a glance: everything after the first miss is rebuilt, so put what changes
often (COPY . /src) after what is slow and stable (COPY package.json, RUN npm install).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from ._base import CODE, FONT, INK, View, esc, short

if TYPE_CHECKING:
    from ..api import Engine

__all__ = [
    "DiffRow",
    "CacheDiffData",
    "CacheDiff",
    "diff_builds",
    "reason_details",
    "parent_reason",
]

STATUS = {
    # status: (label, background, border/text colour)
    "reused": ("CACHED", "#e8f5e9", "#2e7d32"),
    "first-miss": ("MISS", "#ffebee", "#c62828"),
    "miss": ("MISS", "#ffebee", "#c62828"),
    "cascade": ("REBUILT", "#fff4e0", "#b26a00"),
    "added": ("NEW", "#e3f2fd", "#1565c0"),
    "removed": ("GONE", "#f5f5f5", "#777777"),
}


@dataclass
class DiffRow:
    stage: str
    line: int | None
    old: str | None
    new: str | None
    status: str
    reason: str = ""
    details: list[str] = field(default_factory=list)
    duration_s: float | None = None


@dataclass
class CacheDiffData:
    old_id: str
    new_id: str
    rows: list[DiffRow]

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.rows if r.status in statuses)


def reason_details(reason: Mapping[str, Any] | None) -> list[str]:
    """One line per concrete change: the instruction diff, ENV/ARG values, context files."""
    out: list[str] = []
    for ch in (reason or {}).get("changes") or []:
        kind = ch.get("field")
        if kind == "instruction":
            out += [f"- {ch.get('old')}", f"+ {ch.get('new')}"]
        elif kind == "env":
            out.append(f"{ch.get('name')}: {ch.get('old')!r} -> {ch.get('new')!r}")
        elif kind == "files":
            out += [f"+ {p} (added)" for p in ch.get("added") or []]
            out += [f"- {p} (removed)" for p in ch.get("removed") or []]
            out += [
                f"~ {c['path']} ({', '.join(c.get('attributes') or [])})"
                for c in ch.get("changed") or []
            ]
        elif kind == "parent":
            out.append(f"builds on a changed step ({ch.get('parent_step') or 'parent'})")
        elif kind == "image":
            out.append(f"base image: {ch.get('old')} -> {ch.get('new')}")
        else:
            out.append(f"{kind}: {ch.get('old')!r} -> {ch.get('new')!r}")
    return out


def parent_reason(reason: Mapping[str, Any]) -> str:
    """A cascade's reason, short: which earlier line it builds on ("line 4: RUN ..." -> 4)."""
    for ch in reason.get("changes") or []:
        where = str(ch.get("parent_step") or "")
        if ch.get("field") == "parent" and where.startswith("line "):
            return f"builds on line {where[5:].split(':')[0]}, which was rebuilt"
    return "builds on a step that was rebuilt"


def _key(step: Mapping[str, Any], n: int) -> tuple[str, Any]:
    return (str(step.get("stage", "")), step.get("index", n))


def _reason_text(status: str, reason: Mapping[str, Any]) -> str:
    if status == "cascade":
        return parent_reason(reason)
    if status in ("reused", "added"):
        return ""
    return str(reason.get("summary", ""))


def diff_builds(old: Mapping[str, Any], new: Mapping[str, Any]) -> CacheDiffData:
    old_steps = {_key(s, n): s for n, s in enumerate(old.get("steps") or [])}
    rows: list[DiffRow] = []
    missed_stages: set[str] = set()
    seen = set()
    for n, step in enumerate(new.get("steps") or []):
        key = _key(step, n)
        seen.add(key)
        before = old_steps.get(key)
        stage = key[0]
        reason = step.get("reason") or {}
        if step.get("cached"):
            status = "reused"
        elif before is None:
            status = "added"
        elif reason.get("kind") == "parent changed" and stage in missed_stages:
            status = "cascade"
        else:
            status = "miss" if stage in missed_stages else "first-miss"
        if not step.get("cached"):
            missed_stages.add(stage)
        rows.append(
            DiffRow(
                stage=stage,
                line=step.get("line"),
                old=before.get("instruction") if before else None,
                new=step.get("instruction"),
                status=status,
                reason=_reason_text(status, reason),
                details=reason_details(reason) if status in ("first-miss", "miss") else [],
                duration_s=step.get("duration_s"),
            )
        )
    for key, before in old_steps.items():
        if key not in seen:
            rows.append(
                DiffRow(key[0], before.get("line"), before.get("instruction"), None, "removed")
            )
    return CacheDiffData(str(old.get("id", "")), str(new.get("id", "")), rows)


# -- reading records through the store (the only I/O) ------------------------------------------


def _find(engine: Engine, name: str, records: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    for r in records:
        if r.get("id") == name:
            return r
    image = engine.image(name)
    for r in reversed(records):
        if r.get("image_id") == image.id:
            return r
    raise NotFoundError(f"no build record for {name!r}")


def collect_cachediff(engine: Engine, old: str | None, new: str | None) -> CacheDiffData:
    """`cachediff` (latest build vs its previous), `cachediff X` (X's build vs its previous),
    `cachediff OLD NEW` (two builds or images)."""
    from ..builder.record import list_records

    records = [r for r in list_records(engine.store) if r.get("steps")]
    if not records:
        raise NotFoundError("no build records yet: build something with %%dockerfile first")
    by_id = {r.get("id"): r for r in records}
    if old and new:
        a, b = _find(engine, old, records), _find(engine, new, records)
    else:
        b = _find(engine, old, records) if old else records[-1]
        prev = by_id.get(b.get("previous"))
        if prev is None:
            raise NotFoundError(f"build {b.get('id')} has no earlier build to compare with")
        a = prev
    return diff_builds(a, b)


# -- the view (pure) ---------------------------------------------------------------------------


_INSTRUCTION_CHANGE = re.compile(r"instruction changed: .*? -> .*?(?=; |$)")


def _why(reason: str, details: Sequence[str]) -> str:
    """The reason once: repeated parts dropped, and the instruction's old and new text left to
    the -/+ lines below when they are shown (a learner reads them there, aligned)."""
    parts = list(dict.fromkeys(reason.split("; ")))
    if any(d.startswith("- ") for d in details):
        parts = list(
            dict.fromkeys(_INSTRUCTION_CHANGE.sub("instruction changed", p) for p in parts)
        )
    return "; ".join(parts)


def _new_details(r: DiffRow) -> list[str]:
    """Detail lines that add to the reason: an ENV line ("NAME: 'a' -> 'b'") that the reason
    already says ("NAME changed: 'a' -> 'b'") is left out, and so is a repeated line."""
    return [d for d in dict.fromkeys(r.details) if d.replace(": ", " changed: ", 1) not in r.reason]


def _badge(status: str) -> str:
    label, _, color = STATUS[status]
    return (
        f'<span style="display:inline-block;min-width:62px;text-align:center;border:1px solid '
        f'{color};color:{color};border-radius:3px;font-weight:bold;font-size:11px">{label}</span>'
    )


class CacheDiff(View):
    def __init__(self, data: CacheDiffData) -> None:
        self.data = data

    def headline(self) -> str:
        d = self.data
        reused = d.count("reused")
        first = next((r for r in d.rows if r.status == "first-miss"), None)
        text = f"{reused} of {len([r for r in d.rows if r.new])} steps reused"
        if first:
            reason = "; ".join(dict.fromkeys(first.reason.split("; ")))
            text += f"; first miss at line {first.line}: {reason or 'changed'}"
            cascade = d.count("cascade")
            if cascade:
                text += f"; {cascade} later step{'s' * (cascade != 1)} rebuilt because of it"
        return text

    def to_text(self) -> str:
        d = self.data
        w = 38
        lines = [
            f"cache diff: {d.old_id} -> {d.new_id}",
            f"{'LINE':>4}  {'PREVIOUS BUILD':<{w}}  {'THIS BUILD':<{w}}  RESULT",
        ]
        for r in d.rows:
            label = STATUS[r.status][0]
            note = {"first-miss": "  <- first miss", "cascade": f"  ({r.reason})"}.get(r.status, "")
            lines.append(
                f"{r.line if r.line is not None else '':>4}  {short(r.old or '-', w):<{w}}  "
                f"{short(r.new or '-', w):<{w}}  {label}{note}"
            )
            if r.status in ("first-miss", "miss"):
                details = _new_details(r)[:12]
                lines.append(f"{'':6}why: {_why(r.reason, details)}")
                lines += [f"{'':8}{x}" for x in details]
        lines.append(self.headline())
        return "\n".join(lines)

    def _row(self, r: DiffRow) -> str:
        _, bg, color = STATUS[r.status]
        strong = r.status == "first-miss"
        style = f"background:{bg};{INK};" + (f"border-left:4px solid {color};" if strong else "")
        same = r.old == r.new
        old = esc(r.old or "—") if not same else f'<span style="color:#888">{esc(r.old)}</span>'
        new = esc(r.new or "—")
        if not same and r.old and r.new:
            old, new = f"<del>{old}</del>", f"<ins>{new}</ins>"
        why = ""
        if r.status in ("first-miss", "miss", "cascade") and r.reason:
            details = _new_details(r)[:20]
            reason = _why(r.reason, details)
            why = f'<div style="color:{color}">{"<b>why:</b> " if strong else ""}{esc(reason)}'
            if details:
                why += (
                    '<pre style="margin:2px 0 0 0;white-space:pre-wrap;background:none;padding:0;'
                    f'border:none;{INK}">' + esc("\n".join(details)) + "</pre>"
                )
            why += "</div>"
        td = 'style="text-align:left;padding:3px 8px;vertical-align:top"'
        return (
            f'<tr style="{style}"><td {td}>{r.line if r.line is not None else ""}</td>'
            f'<td {td}><code style="{CODE}">{old}</code></td>'
            f'<td {td}><code style="{CODE}">{new}</code>{why}</td>'
            f"<td {td}>{_badge(r.status)}</td></tr>"
        )

    def to_html(self) -> str:
        d = self.data
        th = 'style="text-align:left;padding:3px 8px;border-bottom:1px solid #ccc"'
        head = (
            f"<tr><th {th}>line</th><th {th}>previous build <code>{esc(d.old_id)}</code></th>"
            f"<th {th}>this build <code>{esc(d.new_id)}</code></th><th {th}>result</th></tr>"
        )
        rows = "".join(self._row(r) for r in d.rows)
        return (
            f'<div class="docker-magics-cachediff" style="{FONT}">'
            f"<div><b>Cache:</b> {esc(self.headline())}</div>"
            f'<table style="border-collapse:collapse;{FONT}"><thead>{head}</thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )
