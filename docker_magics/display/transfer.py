"""Pull (and push, and bootstrap) progress as one view: a bar per layer while it runs, a plain
summary when it is done.

Fed with ``registry.progress.Progress`` events (from the worker threads; the caller serialises)
and with notes (a line of text: where the image came from, what a bootstrap is doing). The
notebook shows it through a display handle updated in place, so an executed notebook keeps only
the final summary; the terminal prints ``line_for`` of each event instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._base import FONT, View, esc, human_size

__all__ = ["TransferProgress", "line_for", "LABELS"]

# Docker's words for each state of a blob.
LABELS = {
    "exists": "Already exists",
    "downloading": "Downloading",
    "downloaded": "Pull complete",
    "compressing": "Compressing",
    "uploading": "Pushing",
    "mounted": "Mounted from another repository",
    "pushed": "Pushed",
}
DONE = {"exists", "downloaded", "mounted", "pushed"}


def line_for(event: Any) -> str | None:
    """The terminal's line for a state change (none for byte counts and manifests)."""
    label = LABELS.get(event.action)
    if label is None or event.action in ("downloading", "uploading") or event.kind == "manifest":
        return None
    return f"{event.digest.split(':')[-1][:12]}: {label}"


@dataclass
class _Blob:
    digest: str
    kind: str
    action: str
    current: int
    total: int | None


class TransferProgress(View):
    def __init__(self, title: str) -> None:
        self.title = title  # "Pulling busybox:latest"
        self.blobs: dict[str, _Blob] = {}
        self.notes: list[str] = []
        self.outcome: str | None = None  # None while running; then the summary's first line

    def feed(self, event: Any) -> bool:
        """Apply one event; True when a blob changed state (worth a redraw now)."""
        if isinstance(event, str) or getattr(event, "action", "") == "note":
            self.notes.append(getattr(event, "message", event))
            return True
        if event.kind == "manifest":
            return False
        blob = self.blobs.get(event.digest)
        if blob is None:
            blob = self.blobs[event.digest] = _Blob(event.digest, event.kind, "", 0, None)
        changed = blob.action != event.action
        blob.action, blob.current, blob.total = event.action, event.current, event.total
        return changed

    def finish(self, outcome: str) -> None:
        self.outcome = outcome

    def _layers(self) -> list[_Blob]:
        return [b for b in self.blobs.values() if b.kind == "layer"]

    def headline(self) -> str:
        layers = self._layers()
        if self.outcome is not None and not layers:
            return self.outcome  # nothing was transferred (a stand-in): no "0 layers, 0B"
        done = [b for b in layers if b.action in DONE]
        here = sum(1 for b in layers if b.action == "exists")
        moved = sum(
            (b.total or b.current) if b.action in DONE else b.current
            for b in layers
            if b.action != "exists"
        )
        counts = (
            f"{len(done)}/{len(layers)} layers" if self.outcome is None else f"{len(layers)} layers"
        )
        text = f"{counts}, {human_size(moved)} transferred"
        if here:
            text += f", {here} already here"
        return f"{self.outcome or self.title + '…'} ({text})"

    def to_text(self) -> str:
        lines = [self.headline(), *(f"  {n}" for n in self.notes)]
        if self.outcome is None:
            for b in self._layers():
                size = f"{human_size(b.current)}/{human_size(b.total)}" if b.total else ""
                lines.append(
                    f"  {b.digest.split(':')[-1][:12]}  {LABELS.get(b.action, b.action)} {size}"
                )
        return "\n".join(line.rstrip() for line in lines)

    def _row(self, b: _Blob) -> str:
        td = "style='text-align:left;padding:1px 8px 1px 0;white-space:nowrap'"
        total = b.total or 0
        value = total if b.action in DONE else min(b.current, total)
        bar = (
            f"<progress value='{value}' max='{max(total, 1)}' "
            "style='width:160px;height:8px'></progress>"
        )
        size = f"{human_size(value)} / {human_size(total)}" if total else ""
        return (
            f"<tr><td {td}><code>{esc(b.digest.split(':')[-1][:12])}</code></td><td {td}>{bar}</td>"
            f"<td {td}>{esc(LABELS.get(b.action, b.action))}</td><td {td}>{size}</td></tr>"
        )

    def to_html(self) -> str:
        color = "#1565c0" if self.outcome is None else "#2e7d32"
        if self.outcome is not None and self.outcome.startswith("Interrupted"):
            color = "#b26a00"
        head = f"<div style='color:{color};font-weight:bold'>{esc(self.headline())}</div>"
        notes = "".join(f"<div>{esc(n)}</div>" for n in self.notes)
        rows = "" if self.outcome is not None else "".join(self._row(b) for b in self._layers())
        table = f"<table style='border-collapse:collapse'>{rows}</table>" if rows else ""
        return f'<div class="docker-magics-transfer" style="{FONT}">{head}{notes}{table}</div>'
