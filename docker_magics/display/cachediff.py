"""Two builds side by side: which steps were reused, the first miss and why, and its cascade.

``diff_builds`` is a pure function of two build records (``<store>/builds/*.json``). The two
builds are aligned by instruction, stage by stage, with a sequence alignment (``difflib``, as
``diff`` aligns lines): a step that stayed is paired with itself wherever it now is, an edited
line with the line it replaced, and a line that moved shows as moved, not as one instruction
"changed" into another. The view teaches one lesson at a glance: everything after the first
miss is rebuilt, so put what changes often (COPY . /src) after what is slow and stable (COPY
package.json, RUN npm install).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..builder.reasons import summary_of
from ..errors import NotFoundError
from ._base import CODE, FONT, INK, View, esc, short
from .cachealign import align_steps

if TYPE_CHECKING:
    from ..api import Engine

__all__ = [
    "DiffRow",
    "CacheDiffData",
    "CacheDiff",
    "diff_builds",
    "reason_details",
    "reason_text",
    "parent_reason",
]

STATUS = {
    # status: (label, background, border/text colour)
    "reused": ("CACHED", "#e8f5e9", "#2e7d32"),
    "first-miss": ("MISS", "#ffebee", "#c62828"),
    "miss": ("MISS", "#ffebee", "#c62828"),
    "cascade": ("REBUILT", "#fff4e0", "#b26a00"),
    "added": ("NEW", "#e3f2fd", "#1565c0"),
    "moved": ("MOVED", "#f3e5f5", "#6a1b9a"),
    "removed": ("GONE", "#f5f5f5", "#777777"),
    "config": ("CONFIG", "#fafafa", "#607d8b"),  # ENV, CMD, ...: no layer, nothing cached
}
_BUILT = ("reused", "first-miss", "miss", "cascade", "added", "moved")
_MAX_DETAILS = 20


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
    old_line: int | None = None  # for a moved step, where it was
    first: bool = False  # the stage's first step that was not reused: what the rest follows


@dataclass
class CacheDiffData:
    old_id: str
    new_id: str
    rows: list[DiffRow]

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.rows if r.status in statuses)


def reason_text(reason: Mapping[str, Any] | None, instruction: str = "") -> str:
    """A miss's reason in words, made again from its changes so that records written by older
    versions (whose summaries held Python reprs) read the same as new ones."""
    reason = reason or {}
    changes = reason.get("changes") or []
    if changes:
        try:
            return summary_of(instruction, changes)
        except (KeyError, TypeError, AttributeError):  # a record from another version
            pass
    return str(reason.get("summary", ""))


def reason_details(reason: Mapping[str, Any] | None) -> list[str]:
    """The lines below a miss's reason: every file that changed (the reason names five)."""
    out: list[str] = []
    changes = (reason or {}).get("changes") or []
    if any(ch.get("field") == "paths" for ch in changes):
        return []  # new sources: "COPY now takes ..." says it; every old file removed does not
    for ch in changes:
        files = ch.get("files") if ch.get("field") == "mount" else ch
        if ch.get("field") not in ("files", "mount") or not isinstance(files, Mapping):
            continue
        out += [
            f"~ {c['path']} ({', '.join(c.get('attributes') or [])})"
            for c in files.get("changed") or []
        ]
        out += [f"+ {p} (added)" for p in files.get("added") or []]
        out += [f"- {p} (removed)" for p in files.get("removed") or []]
    return out if len(out) > 1 else []


def parent_reason(reason: Mapping[str, Any]) -> str:
    """A cascade's reason, short: which earlier line it builds on ("line 4: RUN ..." -> 4)."""
    for ch in reason.get("changes") or []:
        where = str(ch.get("parent_step") or "")
        if ch.get("field") == "parent" and where.startswith("line "):
            return f"builds on line {where[5:].split(':')[0]}, which was rebuilt"
    return "builds on a step that was rebuilt"


def _by_stage(steps: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for s in steps:
        out.setdefault(str(s.get("stage", "")), []).append(s)
    return out


def _status(step: Mapping[str, Any], before: Any, moved: bool, stage_missed: bool) -> str:
    reason = step.get("reason") or {}
    if step.get("meta"):
        return "config"
    if step.get("cached"):
        return "reused"
    if moved:
        return "moved"
    if before is None:
        return "added"
    if reason.get("kind") == "parent changed" and stage_missed:
        return "cascade"
    return "miss" if stage_missed else "first-miss"


def _row(step: Mapping[str, Any], before: Any, status: str) -> DiffRow:
    reason = step.get("reason") or {}
    text = str(step.get("instruction", ""))
    why = ""
    if status == "cascade":
        why = parent_reason(reason)
    elif status in ("first-miss", "miss", "moved") and reason.get("kind") != "new step":
        why = reason_text(reason, text)
    elif status == "added":
        why = "a new step"
    if status == "moved" and before is not None:
        why = f"moved from line {before.get('line')}" + (f"; {why}" if why else "")
    return DiffRow(
        stage=str(step.get("stage", "")),
        line=step.get("line"),
        old=before.get("instruction") if before else None,
        new=step.get("instruction"),
        status=status,
        reason=why,
        details=reason_details(reason) if status in ("first-miss", "miss") else [],
        duration_s=step.get("duration_s"),
        old_line=before.get("line") if before else None,
    )


def diff_builds(old: Mapping[str, Any], new: Mapping[str, Any]) -> CacheDiffData:
    old_stages = _by_stage(old.get("steps") or [])
    rows: list[DiffRow] = []
    for stage, steps in _by_stage(new.get("steps") or []).items():
        pairs, moves = align_steps(old_stages.pop(stage, []), steps)
        missed = False
        for before, step in pairs:
            if step is None:
                if before is not None and not any(before is m for m in moves.values()):
                    rows.append(
                        DiffRow(
                            stage,
                            before.get("line"),
                            before.get("instruction"),
                            None,
                            "removed",
                            old_line=before.get("line"),
                        )
                    )
                continue
            moved = moves.get(id(step))
            status = _status(step, moved or before, moved is not None, missed)
            rows.append(_row(step, moved or before, status))
            if status in ("first-miss", "miss", "cascade", "added", "moved"):
                rows[-1].first, missed = not missed, True
    for stage, steps in old_stages.items():  # a stage this build no longer has
        rows += [
            DiffRow(stage, s.get("line"), s.get("instruction"), None, "removed") for s in steps
        ]
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
        first = next((r for r in d.rows if r.first), None)
        text = f"{reused} of {d.count(*_BUILT)} steps reused"
        if first:
            text += f"; first miss at line {first.line}: {first.reason or 'changed'}"
            cascade = d.count("cascade")
            if cascade:
                text += f"; {cascade} later step{'s' * (cascade != 1)} rebuilt because of it"
        moved = d.count("moved")
        if moved:
            text += f"; {moved} step{'s' * (moved != 1)} moved"
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
            note = ""
            if r.status in ("cascade", "moved", "added"):
                note = f"  ({r.reason})"
            if r.first:
                note += "  <- first miss"
            line = r.line if r.line is not None else ""
            lines.append(
                f"{line:>4}  {short(r.old or '-', w):<{w}}  {short(r.new or '-', w):<{w}}  "
                f"{label}{note}"
            )
            if r.status in ("first-miss", "miss"):
                lines.append(f"{'':6}why: {r.reason}")
                lines += [f"{'':8}{x}" for x in r.details[:_MAX_DETAILS]]
        lines.append(self.headline())
        return "\n".join(lines)

    def _row(self, r: DiffRow) -> str:
        _, bg, color = STATUS[r.status]
        strong = r.first
        style = f"background:{bg};{INK};" + (f"border-left:4px solid {color};" if strong else "")
        same = r.old == r.new
        old = esc(r.old or "—") if not same else f'<span style="color:#888">{esc(r.old)}</span>'
        new = esc(r.new or "—")
        if not same and r.old and r.new:
            old, new = f"<del>{old}</del>", f"<ins>{new}</ins>"
        why = ""
        if r.reason:
            why = f'<div style="color:{color}">{"<b>why:</b> " if strong else ""}{esc(r.reason)}'
            if r.details:
                why += (
                    '<pre style="margin:2px 0 0 0;white-space:pre-wrap;background:none;padding:0;'
                    f'border:none;{INK}">' + esc("\n".join(r.details[:_MAX_DETAILS])) + "</pre>"
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
