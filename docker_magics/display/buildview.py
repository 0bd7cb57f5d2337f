"""The build as it happens (``BuildProgress``, fed with the builder's events) and after
(``BuildSummary``, made from the build result).

The live view is meant for a display handle: the magic calls ``feed(event)`` and re-renders the
same output in place, so an executed notebook keeps only the final state. Steps are listed from
the Dockerfile before they run (waiting), then running with elapsed time, CACHED, done, failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._base import FONT, INK, View, esc, human_size, short
from .cachediff import CacheDiff, parent_reason, reason_text

__all__ = ["BuildProgress", "BuildSummary", "StepView"]

LOG_KEEP = 200  # lines kept per step
LOG_LIVE = 12  # lines shown for the running step
# chars kept of one line: a RUN printing without newlines must not grow the kernel's memory
LINE_MAX = 2000

STATE_STYLE = {
    # state: (label, colour)
    "waiting": ("waiting", "#9e9e9e"),
    "running": ("running", "#1565c0"),
    "cached": ("CACHED", "#2e7d32"),
    "done": ("done", "#607d8b"),  # mid grey-blue: readable on light and dark themes
    "failed": ("FAILED", "#c62828"),
    "interrupted": ("INTERRUPTED", "#b26a00"),
    "skipped": ("skipped", "#bdbdbd"),
    "config": ("config", "#9e9e9e"),  # ENV, CMD, ...: edits the image config, nothing to run
}


@dataclass
class StepView:
    line: int | None
    instruction: str
    stage: str = ""
    id: int | None = None
    pos: str = ""
    state: str = "waiting"
    started: float | None = None
    duration: float | None = None
    reason: str = ""
    log: list[str] = field(default_factory=list)
    partial: str = ""
    partial_is_state: bool = False  # the builder's idle line: replaced, not continued

    def add_log(self, data: str, partial: bool = False) -> None:
        """``partial``: ``data`` is the current state of an unfinished line (the builder sends
        it when a process pauses mid-line); whole lines that follow replace it."""
        if partial:
            self.partial, self.partial_is_state = data[: LINE_MAX + 1], True
            return
        text = ("" if self.partial_is_state else self.partial) + data
        self.partial_is_state = False
        lines = text.split("\n")
        self.partial = lines.pop()[: LINE_MAX + 1]  # one more char marks a cut line
        cut = [s if len(s) <= LINE_MAX else s[:LINE_MAX] + "…" for s in lines[-LOG_KEEP:]]
        self.log = (self.log + cut)[-LOG_KEEP:]

    def log_lines(self) -> list[str]:
        partial = self.partial if len(self.partial) <= LINE_MAX else self.partial[:LINE_MAX] + "…"
        return self.log + ([partial] if partial else [])


def _plan(text: str | None) -> list[StepView]:
    if not text:
        return []
    from ..builder.steplog import is_build_step
    from ..dockerfile import parse_stages

    try:
        df = parse_stages(text, "Dockerfile")
    except Exception:  # the builder reports the error itself, with its line
        return []
    steps = []
    for stage in df.stages:
        name = stage.name or str(stage.index)
        for item in (stage.from_, *stage.instructions):
            view = StepView(item.line, item.original.strip(), name)
            if not is_build_step(stage, item):
                view.state = "config"
            steps.append(view)
    return steps


def _reason(reason: Mapping[str, Any] | None, instruction: str = "") -> str:
    """A miss's one-line reason; none for a first build, where every step is new anyway."""
    reason = reason or {}
    if reason.get("kind") == "no previous build":
        return ""
    if reason.get("kind") == "parent changed":
        return parent_reason(reason)
    return reason_text(reason, instruction)


def _badge(state: str) -> str:
    label, color = STATE_STYLE[state]
    weight = "bold" if state in ("cached", "failed", "running", "interrupted") else "normal"
    return (
        f'<span style="display:inline-block;min-width:58px;color:{color};font-weight:{weight}">'
        f"{label}</span>"
    )


class BuildProgress(View):
    def __init__(
        self, dockerfile_text: str | None = None, clock: Callable[[], float] = time.monotonic
    ):
        self.clock = clock
        self.steps = _plan(dockerfile_text)
        self.started = clock()
        self.finished: float | None = None
        self.image: str | None = None
        self.error: str | None = None
        self.interrupted: str | None = None  # "build interrupted at line N (...)"

    def _by_id(self, sid: Any) -> StepView | None:
        for s in self.steps:
            if s.id == sid:
                return s
        return None

    def feed(self, ev: Mapping[str, Any]) -> bool:
        """Apply one builder event; True when a step changed state (worth a redraw now)."""
        kind = ev.get("event")
        if kind == "step":
            step = next(
                (
                    s
                    for s in self.steps
                    if s.id is None
                    and s.state in ("waiting", "config")
                    and s.line == ev.get("line")
                ),
                None,
            )
            if step is None:
                step = StepView(ev.get("line"), str(ev.get("instruction", "")))
                self.steps.append(step)
            step.id, step.pos = ev.get("id"), str(ev.get("pos", ""))
            step.state = "config" if ev.get("meta") else "running"
            step.stage = str(ev.get("stage", step.stage))
            step.started = self.clock()
            return True
        step = self._by_id(ev.get("id"))
        if kind == "result":
            self.image = ev.get("image")
            self._close()
            return True
        if kind == "interrupted":
            self.interrupted = str(ev.get("message") or "build interrupted")
            self.interrupted = self.interrupted.removeprefix("Interrupted: ")
            if step is not None:
                step.state = "interrupted"
            self._close()
            return True
        if kind == "error":
            self.error = str(ev.get("message", ""))
            if step is not None:
                step.state = "failed"
            self._close()
            return True
        if step is None:
            return False
        if kind == "miss":
            step.reason = _reason(ev.get("reason"), step.instruction)
            return True
        if kind == "log":
            step.add_log(str(ev.get("data", "")), bool(ev.get("partial")))
            return False
        if kind == "done" and step.state != "config":
            step.state = "cached" if ev.get("cached") else "done"
            step.duration = ev.get("duration_s")
            return True
        return False

    def _close(self) -> None:
        self.finished = self.clock()
        for s in self.steps:
            if s.state == "waiting":
                s.state = "skipped"
            elif s.state == "running":
                s.state = "interrupted" if self.interrupted else "failed" if self.error else "done"

    def elapsed(self) -> float:
        return (self.finished or self.clock()) - self.started

    def headline(self) -> str:
        ran = [s for s in self.steps if s.state in ("cached", "done")]
        cached = sum(1 for s in ran if s.state == "cached")
        counted = [s for s in self.steps if s.state not in ("skipped", "config")]
        if self.interrupted:
            what = self.interrupted[:1].upper() + self.interrupted[1:]
            return f"{what}, after {self.elapsed():.1f}s; finished steps stay cached"
        if self.error:
            return f"Build failed after {self.elapsed():.1f}s: {self.error.splitlines()[0]}"
        if self.finished is not None:
            # The summary below the log says how long the build took: one time, said once.
            return f"Build log: {len(ran)} steps, {cached} cached"
        return f"Building… {len(ran)}/{len(counted)} steps ({cached} cached), {self.elapsed():.1f}s"

    def _time(self, s: StepView) -> str:
        if s.state == "running" and s.started is not None:
            return f"{self.clock() - s.started:.1f}s"
        return f"{s.duration:.1f}s" if s.duration is not None and s.state == "done" else ""

    def _row(self, s: StepView) -> str:
        td = 'style="text-align:left;padding:1px 8px 1px 0;vertical-align:top;white-space:nowrap"'
        bar = ' <progress style="width:70px;height:8px"></progress>' if s.state == "running" else ""
        extra = ""
        if s.reason and s.state != "cached":
            extra += f'<div style="color:#b26a00">cache miss: {esc(s.reason)}</div>'
        lines = s.log_lines()
        if lines:
            live = s.state in ("running", "failed", "interrupted")
            shown = lines[-LOG_LIVE:] if s.state == "running" else lines
            extra += (
                f"<details{' open' if live else ''}><summary style='color:#777'>output "
                f"({len(lines)} lines)</summary><pre style='margin:0;max-height:16em;"
                f"overflow:auto;background:#f6f6f6;{INK};white-space:pre-wrap'>"
                f"{esc(chr(10).join(shown))}</pre></details>"
            )
        line = f"{s.line}" if s.line is not None else ""
        pos = f"[{esc(s.pos)}]" if s.pos else ""  # BuildKit's "[2/4]", apart from the line
        return (
            f"<tr><td {td}>{_badge(s.state)}{bar}</td><td {td}>{pos}</td>"
            f"<td {td}><span style='color:#777' title='Dockerfile line'>{line}</span></td>"
            "<td style='text-align:left;padding:1px 8px 1px 0'>"
            f'<code title="{esc(s.instruction)}">{esc(short(s.instruction, 90))}</code>{extra}</td>'
            f"<td {td}>{self._time(s)}</td></tr>"
        )

    def to_html(self) -> str:
        """While building: the step list. Once built: folded into a closed "build log", since
        the summary the magic returns shows the result; a failure stays open."""
        color = (
            STATE_STYLE["interrupted"][1]
            if self.interrupted
            else "#c62828"
            if self.error
            else "#2e7d32"
            if self.finished
            else "#1565c0"
        )
        head = f'<span style="color:{color};font-weight:bold">{esc(self.headline())}</span>'
        table = (
            f"<table style='border-collapse:collapse;{FONT}'>"
            + "".join(self._row(s) for s in self.steps)
            + "</table>"
        )
        if self.finished is not None and not self.error and not self.interrupted:
            body = f"<details><summary>{head}</summary>{table}</details>"
        else:
            body = f"<div>{head}</div>{table}"
        return f'<div class="docker-magics-build" style="{FONT}">{body}</div>'

    def to_text(self) -> str:
        lines = [self.headline()]
        for s in self.steps:
            label = STATE_STYLE[s.state][0]
            t = self._time(s)
            lines.append(f"  {label:<8} {s.pos:<6} {short(s.instruction, 70)} {t}".rstrip())
            if s.reason and s.state != "cached":
                lines.append(f"{'':11}cache miss: {s.reason}")
        return "\n".join(lines)


class BuildSummary(View):
    """The result of `%%dockerfile`: steps, cache hits, why each miss, layer sizes, image ID.

    Attribute access falls through to the builder's result, so ``_.image``, ``_.id``,
    ``_.steps`` and ``_.record`` work on what the magic returns.
    """

    def __init__(self, result: Any, cachediff: CacheDiff | None = None) -> None:
        self.result = result
        self.cachediff = cachediff

    def __getattr__(self, name: str) -> Any:
        if name in ("result", "cachediff"):
            raise AttributeError(name)
        return getattr(self.result, name)

    @property
    def tags(self) -> list[str]:
        return list(self.result.record.get("tags") or [])

    def headline(self) -> str:
        steps = [s for s in self.result.steps if not s.get("meta")]  # build steps only
        cached = sum(1 for s in steps if s.get("cached"))
        record = self.result.record
        if record.get("finished") and record.get("started"):
            total = float(record["finished"]) - float(record["started"])  # the wall clock
        else:
            total = sum(float(s.get("duration_s") or 0) for s in steps)
        name = ", ".join(self.tags) or "(untagged)"
        return (
            f"Built {name}: image {self.result.image.id.split(':')[-1][:12]}; "
            f"{len(steps)} steps, {cached} cached, {len(steps) - cached} built, {total:.1f}s"
        )

    def _rows(self) -> list[tuple[str, str, str, str, str, str]]:
        rows = []
        for s in self.result.steps:
            layer = s.get("layer") or {}
            reason = "" if s.get("cached") else _reason(s.get("reason"), s.get("instruction", ""))
            rows.append(
                (
                    str(s.get("line", "")),
                    str(s.get("instruction", "")),
                    "config" if s.get("meta") else "CACHED" if s.get("cached") else "built",
                    "" if s.get("meta") else f"{float(s.get('duration_s') or 0):.1f}s",
                    human_size(layer["size"]) if layer.get("size") is not None else "",
                    reason,
                )
            )
        return rows

    def to_text(self) -> str:
        lines = [self.headline()]
        for line, instr, state, dur, size, reason in self._rows():
            lines.append(f"{line:>4}  {state:<6} {dur:>6} {size:>8}  {short(instr, 60)}")
            if reason:
                lines.append(f"{'':6}miss: {reason}")
        if self.cachediff is not None:
            lines += ["", self.cachediff.to_text()]
        return "\n".join(lines)

    def to_html(self) -> str:
        th = "style='text-align:left;padding:2px 10px 2px 0;border-bottom:1px solid #ccc'"
        td = "style='text-align:left;padding:2px 10px 2px 0;vertical-align:top'"
        head = "".join(
            f"<th {th}>{h}</th>" for h in ("line", "result", "time", "layer", "instruction")
        )
        body = []
        for line, instr, state, dur, size, reason in self._rows():
            color = "#2e7d32" if state == "CACHED" else "#607d8b"
            why = f"<div style='color:#b26a00'>miss: {esc(reason)}</div>" if reason else ""
            body.append(
                f"<tr><td {td}>{line}</td><td {td}><b style='color:{color}'>{state}</b></td>"
                f"<td {td}>{dur}</td><td {td}>{size}</td>"
                f"<td {td}><code title='{esc(instr)}'>{esc(short(instr, 90))}</code>{why}</td></tr>"
            )
        table = (
            f"<table style='border-collapse:collapse;{FONT}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )
        if self.cachediff is not None:
            # A rebuild: the side-by-side comparison is the picture; times and sizes fold away.
            table = (
                f"{self.cachediff.to_html()}<details><summary>steps: times and layer sizes"
                f"</summary>{table}</details>"
            )
        return (
            f'<div class="docker-magics-build-summary" style="{FONT}">'
            f'<div style="color:#2e7d32;font-weight:bold">✓ {esc(self.headline())}</div>'
            f"{table}</div>"
        )
