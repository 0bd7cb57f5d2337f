"""The layer explorer (like `dive`): what each layer added, changed and deleted, and the waste.

``collect_layers`` reads only the tar headers of each layer blob in the store; ``analyze`` is a
pure function from those headers to per-layer changes, wasted bytes and an efficiency score; the
``LayerExplorer`` view renders static HTML with ``<details>`` elements (no JavaScript, so it works
in exported HTML) and plain text. The magics add an ipywidgets front end on top of the same data.

Wasted space is what dive calls it: bytes of a file version that a later layer overwrote or
deleted, so the image ships them but no container can see them. Efficiency is
``1 - wasted / (bytes of every file version in every layer)``.
"""

from __future__ import annotations

import posixpath
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..layer.extract import iter_members
from ._base import FONT, View, clean_instruction, esc, human_size, short

if TYPE_CHECKING:
    from ..api import Engine

__all__ = [
    "Member",
    "Change",
    "LayerReport",
    "Waste",
    "ImageReport",
    "LayerExplorer",
    "analyze",
    "collect_layers",
    "layer_tree_html",
]

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
KIND_STYLE = {"A": "#2e7d32", "C": "#b26a00", "D": "#c62828"}
_TD = "text-align:left;padding-right:12px"
TREE_BUDGET = 400  # entries rendered per layer before folders collapse to one summary line


@dataclass(frozen=True)
class Member:
    path: str  # relative, no leading "./" or "/", no trailing "/"
    type: str  # file, dir, symlink, hardlink, other
    size: int


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # A, C or D
    type: str
    size: int


@dataclass
class LayerReport:
    index: int
    digest: str
    size: int  # blob size as stored
    instruction: str
    changes: list[Change] = field(default_factory=list)
    content_size: int = 0  # bytes of file content in the layer tar

    def counts(self) -> dict[str, int]:
        out = {"A": 0, "C": 0, "D": 0}
        for ch in self.changes:
            out[ch.kind] += 1
        return out


@dataclass(frozen=True)
class Waste:
    path: str
    versions: int  # how many layers wrote it
    bytes: int  # bytes no container can see


@dataclass
class ImageReport:
    name: str
    id: str
    layers: list[LayerReport]
    total_bytes: int
    wasted_bytes: int
    waste: list[Waste]

    @property
    def efficiency(self) -> float:
        return 1.0 if not self.total_bytes else 1.0 - self.wasted_bytes / self.total_bytes


def _norm(name: str) -> str:
    name = name.strip("/")
    while name.startswith("./"):
        name = name[2:]
    return "" if name == "." else posixpath.normpath(name) if name else ""


def member_from_tarinfo(m: tarfile.TarInfo) -> Member:
    kind = (
        "dir"
        if m.isdir()
        else "symlink"
        if m.issym()
        else "hardlink"
        if m.islnk()
        else "file"
        if m.isfile()
        else "other"
    )
    return Member(_norm(m.name), kind, m.size if m.isfile() else 0)


def _under(path: str, parent: str) -> bool:
    return not parent or path.startswith(parent + "/")


def analyze(
    layers: Sequence[Sequence[Member]],
) -> tuple[list[list[Change]], list[Waste], int, int]:
    """Per-layer changes, the waste list (largest first), total and wasted bytes."""
    live: dict[str, Member] = {}
    versions: dict[str, int] = {}
    wasted: dict[str, int] = {}
    total = 0
    result: list[list[Change]] = []

    def drop(path: str, changes: list[Change]) -> None:
        gone = [p for p in live if p == path or _under(p, path)]
        size = sum(live[p].size for p in gone)
        if path in live:
            changes.append(Change(path, "D", live[path].type, size))
        for p in gone:
            wasted[p] = wasted.get(p, 0) + live[p].size
            del live[p]

    for members in layers:
        changes: list[Change] = []
        written: set[str] = set()
        for m in members:
            if not m.path:
                continue
            parent, base = posixpath.split(m.path)
            if base == OPAQUE:
                for p in [p for p in live if _under(p, parent) and p not in written]:
                    if posixpath.dirname(p) == parent:
                        drop(p, changes)
                continue
            if base.startswith(WHITEOUT):
                drop(posixpath.join(parent, base[len(WHITEOUT) :]), changes)
                continue
            total += m.size
            written.add(m.path)
            versions[m.path] = versions.get(m.path, 0) + 1
            old = live.get(m.path)
            if old is None:
                changes.append(Change(m.path, "A", m.type, m.size))
            elif not (old.type == "dir" and m.type == "dir"):
                wasted[m.path] = wasted.get(m.path, 0) + old.size
                changes.append(Change(m.path, "C", m.type, m.size))
            live[m.path] = m
        result.append(changes)
    waste = sorted(
        (Waste(p, versions.get(p, 1), b) for p, b in wasted.items() if b),
        key=lambda w: (-w.bytes, w.path),
    )
    return result, waste, total, sum(wasted.values())


def collect_layers(engine: Engine, name: str) -> ImageReport:
    """Read the tar headers of every layer of an image (no file content is extracted)."""
    image = engine.image(name)
    made = [
        clean_instruction(h.get("created_by", ""))
        for h in image.config.get("history", [])
        if not h.get("empty_layer")
    ]
    members: list[list[Member]] = []
    for desc in image.layers:
        with engine.store.blobs.open(desc["digest"]) as fh:
            members.append([member_from_tarinfo(m) for m in iter_members(fh)])
    changes, waste, total, wasted = analyze(members)
    reports = []
    for i, desc in enumerate(image.layers):
        reports.append(
            LayerReport(
                index=i + 1,
                digest=desc["digest"],
                size=int(desc.get("size", 0)),
                instruction=made[i] if i < len(made) else "(no history)",
                changes=changes[i],
                content_size=sum(m.size for m in members[i]),
            )
        )
    return ImageReport(name, image.id, reports, total, wasted, waste)


# -- rendering (pure) ----------------------------------------------------------------------------


@dataclass
class _Dir:
    name: str
    dirs: dict[str, _Dir] = field(default_factory=dict)
    files: list[tuple[str, Change]] = field(default_factory=list)
    own: Change | None = None  # the directory entry itself, when it changed

    def size(self) -> int:
        """Bytes added or changed under this folder (deleted bytes are not in the layer)."""
        own = sum(c.size for _, c in self.files if c.kind != "D")
        return own + sum(d.size() for d in self.dirs.values())

    def count(self) -> int:
        return len(self.files) + sum(d.count() + 1 for d in self.dirs.values())


def _tree(changes: Sequence[Change]) -> _Dir:
    root = _Dir("/")
    for ch in changes:
        node = root
        *parents, base = ch.path.split("/")
        for p in parents:
            node = node.dirs.setdefault(p, _Dir(p))
        if ch.type == "dir" and ch.kind != "D":
            node.dirs.setdefault(base, _Dir(base)).own = ch
        else:
            node.files.append((base, ch))
    return root


def _kind(kind: str) -> str:
    return f'<b style="color:{KIND_STYLE[kind]}">{kind}</b>'


def layer_tree_html(changes: Sequence[Change], budget: int = TREE_BUDGET) -> str:
    """Nested ``<details>`` folders; each entry: A/C/D, name, size. Big trees collapse."""
    left = [budget]
    small = len(changes) <= 40

    def render(d: _Dir, depth: int) -> str:
        items = []
        for name in sorted(d.dirs):
            sub = d.dirs[name]
            kind = _kind(sub.own.kind) + " " if sub.own else ""
            n = sub.count()
            head = f"{kind}<b>{esc(name)}/</b> <span style='color:#777'>{human_size(sub.size())}"
            head += f", {n} entr{'y' if n == 1 else 'ies'}</span>"
            left[0] -= 1
            if left[0] <= 0:
                items.append(f"<li>{head}</li>")
                continue
            # A small tree opens whole (a deleted file deep down is seen without clicking);
            # a big one opens its top folders only when they are small.
            opened = " open" if small or (depth < 1 and n <= 40) else ""
            items.append(
                f"<li><details{opened}><summary>{head}</summary>{render(sub, depth + 1)}"
                "</details></li>"
            )
        for name, ch in sorted(d.files):
            left[0] -= 1
            if left[0] <= 0:
                more = len(d.files)
                items.append(f"<li><i>… {more} entries in this folder not shown</i></li>")
                break
            size = f" <span style='color:#777'>{human_size(ch.size)}</span>" if ch.size else ""
            style = " style='text-decoration:line-through'" if ch.kind == "D" else ""
            items.append(f"<li>{_kind(ch.kind)} <span{style}>{esc(name)}</span>{size}</li>")
        # line-height: the widget's HTML box inherits ipywidgets' 28px row height otherwise.
        ul = '<ul style="list-style:none;margin:0;padding-left:16px;line-height:1.5">'
        return ul + "".join(items) + "</ul>"

    return render(_tree(changes), 0) if changes else "<i>(no file changes)</i>"


def _counts_text(layer: LayerReport) -> str:
    c = layer.counts()
    return f"A {c['A']}  C {c['C']}  D {c['D']}"


class LayerExplorer(View):
    def __init__(self, report: ImageReport, text_limit: int = 15) -> None:
        self.report = report
        self.text_limit = text_limit  # changed files listed per layer in text; 0: all

    def _score(self) -> str:
        r = self.report
        return (
            f"efficiency {r.efficiency:.1%}, wasted {human_size(r.wasted_bytes)} "
            f"of {human_size(r.total_bytes)}"
        )

    def summary_html(self) -> str:
        r = self.report
        good = r.efficiency >= 0.95
        color = "#2e7d32" if good else "#c62828" if r.efficiency < 0.8 else "#b26a00"
        return (
            f"<div><b>{esc(r.name)}</b> <code>{esc(r.id.split(':')[-1][:12])}</code> · "
            f"{len(r.layers)} layers · "
            f'<b style="color:{color}">{esc(self._score())}</b></div>'
        )

    def waste_html(self, limit: int = 10) -> str:
        if not self.report.waste:
            return "<div>No wasted space: no layer overwrites or deletes an earlier file.</div>"
        rows = "".join(
            f"<tr><td style='{_TD}'>{human_size(w.bytes)}</td>"
            f"<td style='{_TD}'>{w.versions}</td><td style='{_TD}'>/{esc(w.path)}</td></tr>"
            for w in self.report.waste[:limit]
        )
        return (
            "<details open><summary><b>Wasted space</b> (files overwritten or deleted later)"
            f"</summary><table style='{FONT}'><thead><tr><th style='{_TD}'>wasted</th>"
            f"<th style='{_TD}'>versions</th><th style='{_TD}'>path</th>"
            f"</tr></thead><tbody>{rows}</tbody></table></details>"
        )

    def layer_summary_html(self, layer: LayerReport) -> str:
        c = layer.counts()
        return (
            f"<b>#{layer.index}</b> <span style='display:inline-block;min-width:60px;"
            f"text-align:right'>{human_size(layer.size)}</span> "
            f'<code title="{esc(layer.instruction)}">{esc(short(layer.instruction, 80))}</code> '
            f"<span style='color:#777'>({_kind('A')} {c['A']} {_kind('C')} {c['C']} "
            f"{_kind('D')} {c['D']})</span>"
        )

    def to_html(self) -> str:
        parts = [self.summary_html()]
        for layer in self.report.layers:
            parts.append(
                f"<details><summary>{self.layer_summary_html(layer)}</summary>"
                f"{layer_tree_html(layer.changes)}</details>"
            )
        parts.append(self.waste_html())
        return f'<div class="docker-magics-layers" style="{FONT}">' + "".join(parts) + "</div>"

    def to_text(self, *, limit: int | None = None) -> str:
        limit = self.text_limit if limit is None else limit
        r = self.report
        lines = [f"{r.name} ({r.id.split(':')[-1][:12]}): {len(r.layers)} layers, {self._score()}"]
        for layer in r.layers:
            lines.append(
                f"#{layer.index:<3}{human_size(layer.size):>8}  "
                f"{short(layer.instruction, 56)}  [{_counts_text(layer)}]"
            )
            shown = layer.changes if limit <= 0 else layer.changes[:limit]
            for ch in shown:
                size = f"  {human_size(ch.size)}" if ch.size else ""
                suffix = "/" if ch.type == "dir" else ""
                lines.append(f"      {ch.kind} /{ch.path}{suffix}{size}")
            if len(shown) < len(layer.changes):
                lines.append(f"      … {len(layer.changes) - len(shown)} more")
        if r.waste:
            lines.append("Wasted space:")
            lines += [f"  {human_size(w.bytes):>8}  /{w.path}" for w in r.waste[:10]]
        return "\n".join(lines)
