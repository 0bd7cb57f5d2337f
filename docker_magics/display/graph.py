"""The layer history graph of a store: images as chains of shared layers.

Three separate pieces, as in xflr6/graphviz: ``collect_graph`` reads the store through the Engine
and returns plain data; ``to_dot`` / ``text_tree`` / ``html_tree`` are pure functions of that data;
``render_svg`` is the one place that runs the ``dot`` binary and translates its failures.

Nodes are keyed by chain ID (the identity of a stacked filesystem), so a base layer shared by
several images appears once, and two images built from the same steps share their whole chain.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DockerMagicsError
from ..oci.digest import chain_ids
from ..oci.reference import parse_reference
from ._base import FONT, INK, View, clean_instruction, esc, human_size, short

if TYPE_CHECKING:
    from ..api import Engine

__all__ = [
    "GraphData",
    "LayerNode",
    "ImageNode",
    "ContainerNode",
    "LayerGraph",
    "DotError",
    "collect_graph",
    "to_dot",
    "render_svg",
    "text_tree",
    "html_tree",
]

LABEL_WIDTH = 46
# How the history of a stand-in's layers begins (engine/bootstrap.py writes it).
MADE_HERE = "made locally by docker-magics"
DOT = "dot"  # the graphviz program; tests point it elsewhere


class DotError(DockerMagicsError):
    """The graphviz `dot` program is missing or failed; callers fall back to a tree."""


@dataclass
class LayerNode:
    key: str  # chain ID
    parent: str | None  # chain ID of the layer below, None for a base layer
    diff_id: str
    digest: str
    size: int
    instruction: str
    mark: str = ""  # "cached" or "built" in the last build, else ""
    made_here: bool = False  # a layer of a stand-in `bootstrap` made (not pulled)


@dataclass
class ImageNode:
    id: str
    tags: list[str]
    size: int
    top: str | None  # chain ID of the image's last layer
    trailing: list[str] = field(default_factory=list)  # config-only steps after the last layer

    @property
    def label(self) -> str:
        return ", ".join(self.tags) if self.tags else f"<none> {self.id.split(':')[-1][:12]}"


@dataclass
class ContainerNode:
    id: str
    name: str
    state: str
    image: str  # image ID
    network: str = ""  # a user network (a compose project's), drawn as a box around its members
    ports: str = ""  # published ports, as `ps` shows them


@dataclass
class GraphData:
    layers: dict[str, LayerNode] = field(default_factory=dict)
    images: list[ImageNode] = field(default_factory=list)
    containers: list[ContainerNode] = field(default_factory=list)


def _familiar(ref: str) -> str:
    try:
        return parse_reference(ref).familiar
    except ValueError:
        return ref


# The comment a Dockerfile build writes into history (BuildKit's, and ours).
_BUILD_COMMENT = "buildkit.dockerfile.v0"


def _layer_label(h: Mapping[str, Any]) -> str:
    """A layer's words: its instruction, or for a `commit -m MESSAGE` layer the message, which
    says what the layer is better than the shell command the container happened to run."""
    comment = str(h.get("comment") or "").strip()
    created_by = str(h.get("created_by", ""))
    if comment and comment != _BUILD_COMMENT and not created_by.startswith("Imported from"):
        if not comment.startswith("made locally by"):  # a bootstrapped stand-in says so itself
            return f"commit: {comment}"
    return clean_instruction(created_by)


def _add_image(data: GraphData, image: Any, marks: Mapping[str, str]) -> None:
    diff_ids = image.diff_ids
    chains = chain_ids(diff_ids)
    layers = image.layers
    steps = [h for h in image.config.get("history", [])]
    made = [_layer_label(h) for h in steps if not h.get("empty_layer")]
    here = [
        str(h.get("comment", "")).startswith(MADE_HERE) for h in steps if not h.get("empty_layer")
    ]
    trailing: list[str] = []
    for h in reversed(steps):
        if not h.get("empty_layer"):
            break
        trailing.insert(0, clean_instruction(h.get("created_by", "")))
    for i, key in enumerate(chains):
        if key in data.layers:
            continue
        desc = layers[i] if i < len(layers) else {}
        digest = desc.get("digest", "")
        mark = marks.get(diff_ids[i]) or marks.get(digest) or marks.get(key) or ""
        data.layers[key] = LayerNode(
            key=key,
            parent=chains[i - 1] if i else None,
            diff_id=diff_ids[i],
            digest=digest,
            size=int(desc.get("size", 0)),
            instruction=made[i] if i < len(made) else "(no history)",
            mark=mark,
            made_here=here[i] if i < len(here) else False,
        )
    tags = sorted(_familiar(r) for r in image.refs)
    data.images.append(
        ImageNode(image.id, tags, image.size, chains[-1] if chains else None, trailing)
    )


def collect_graph(
    engine: Engine, names: Iterable[str] = (), marks: Mapping[str, str] | None = None
) -> GraphData:
    """Every image (or the named ones) and the containers made from them.

    ``marks`` maps a layer's diff ID, blob digest or chain ID to "cached" or "built" (from the
    last build record); nodes carry the mark so the picture shows what the last build reused.
    """
    wanted = list(names)
    images = [engine.image(n) for n in wanted] if wanted else list(reversed(engine.images()))
    data = GraphData()
    seen: set[str] = set()
    for image in images:
        if image.id not in seen:
            seen.add(image.id)
            _add_image(data, image, marks or {})
    for c in engine.ps(all=True):
        if c.image in seen:
            ports = ", ".join(
                f"{h['HostPort']}->{key}"
                for key, hosts in (c.config.get("PortBindings") or {}).items()
                for h in hosts
            )
            data.containers.append(
                ContainerNode(c.id, c.name, c.state, c.image, c.config.get("Network") or "", ports)
            )
    return data


# -- DOT text (pure) ---------------------------------------------------------------------------

_COLORS = {
    "cached": ("#e3f4e1", "#2e7d32", "CACHED in last build"),
    "built": ("#fff1d0", "#c77700", "BUILT in last build"),
    "": ("#eef3fb", "#6d86b0", ""),
}
# A base layer made here by `bootstrap`, not pulled: its own colour and a dashed outline.
_MADE_HERE = ("#f4ecfa", "#7b3fa0", "made here")


def _style(layer: LayerNode) -> tuple[str, str, str, str]:
    """Fill, line, note and DOT style of a layer node."""
    if layer.made_here and not layer.mark:
        return (*_MADE_HERE, "rounded,filled,dashed")
    return (*_COLORS.get(layer.mark, _COLORS[""]), "rounded,filled")


def _hl(text: str) -> str:
    """Escape for a graphviz HTML-like label."""
    return esc(text).replace("&#x27;", "'")


def _q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def graph_prefix(data: GraphData) -> str:
    """A stable prefix for SVG element ids, so several graphs on one page do not clash."""
    h = hashlib.sha256(" ".join([*data.layers, *(i.id for i in data.images)]).encode())
    return "dm" + h.hexdigest()[:8]


def to_dot(data: GraphData, prefix: str | None = None) -> str:
    prefix = prefix or graph_prefix(data)
    ids: dict[str, str] = {}
    out = [
        "digraph layers {",
        f'  graph [id="{prefix}", rankdir=TB, nodesep=0.25, ranksep=0.3, bgcolor="transparent",'
        ' fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10,'
        ' margin="0.12,0.05", penwidth=1.2];',
        '  edge [color="#8a94a6", arrowsize=0.6];',
    ]
    for n, layer in enumerate(data.layers.values()):
        ids[layer.key] = f"L{n}"
        fill, line, note, style = _style(layer)
        meta = f"{human_size(layer.size)} · {layer.diff_id.split(':')[-1][:12]}"
        label = f"<b>{_hl(short(layer.instruction, LABEL_WIDTH))}</b>"
        label += f'<br/><font point-size="8" color="#555555">{_hl(meta)}</font>'
        if note:
            label += f'<br/><font point-size="8" color="{line}"><b>{_hl(note)}</b></font>'
        out.append(
            f'  L{n} [id="{prefix}_L{n}", label=<{label}>, fillcolor="{fill}", color="{line}",'
            f' style="{style}",'
            f" tooltip={_q(layer.instruction or '(no history)')}];"
        )
    for layer in data.layers.values():
        if layer.parent in ids:
            out.append(f"  {ids[layer.parent]} -> {ids[layer.key]};")
    for n, image in enumerate(data.images):
        ids[image.id] = f"I{n}"
        meta = f"image {image.id.split(':')[-1][:12]} · {human_size(image.size)}"
        label = f'<b>{_hl(image.label)}</b><br/><font point-size="8">{_hl(meta)}</font>'
        tip = "; ".join(image.trailing) or image.label
        out.append(
            f'  I{n} [id="{prefix}_I{n}", label=<{label}>, shape=box, style="filled,bold",'
            f' fillcolor="#1f4e96", color="#163a70", fontcolor="white", tooltip={_q(tip)}];'
        )
        if image.top in ids:
            out.append(f'  {ids[image.top]} -> I{n} [color="#1f4e96", penwidth=1.5];')
    networks = sorted({c.network for c in data.containers if c.network})
    for n, c in enumerate(data.containers):
        meta = f"container · {c.state}" + (f" · {c.ports}" if c.ports else "")
        label = f'<b>{_hl(c.name)}</b><br/><font point-size="8">{_hl(meta)}</font>'
        node = (
            f'  C{n} [id="{prefix}_C{n}", label=<{label}>, style="rounded,dashed,filled",'
            f' fillcolor="#f7f7f7", color="#777777", tooltip={_q(c.id)}];'
        )
        if c.network:  # one cluster per network: its containers find each other by name
            k = networks.index(c.network)
            node = (
                f"  subgraph cluster_net{k} {{ label=<network <b>{_hl(c.network)}</b>>;"
                f' style="dashed"; color="#2da44e"; fontsize=9;\n  {node}\n  }}'
            )
        out.append(node)
        if c.image in ids:
            out.append(
                f'  {ids[c.image]} -> C{n} [style=dashed, color="#777777", label=" runs",'
                ' fontsize=8, fontname="Helvetica"];'
            )
    out.append("}")
    return "\n".join(out) + "\n"


# -- running dot (the only I/O) -----------------------------------------------------------------

_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)


def render_svg(dot_text: str, *, dot: str | None = None, timeout: float = 30.0) -> str:
    """SVG text from DOT text; every failure becomes one DotError with a hint."""
    dot = dot or DOT
    try:
        proc = subprocess.run(
            [dot, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=timeout
        )
    except FileNotFoundError:
        raise DotError(
            f"graphviz is not installed ({dot!r} not found): apt-get install graphviz "
            "(on Binder: add `graphviz` to apt.txt)"
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DotError(f"graphviz failed: {exc}")
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise DotError(f"graphviz failed: {msg[-1] if msg else f'exit code {proc.returncode}'}")
    return _PROLOG.sub("", proc.stdout.decode(errors="replace"), count=1)


# -- trees (the fallback when dot is missing, and the terminal view) -------------------------------


def _children(data: GraphData) -> tuple[dict[str | None, list[LayerNode]], dict[str, list]]:
    kids: dict[str | None, list[LayerNode]] = {}
    for layer in data.layers.values():
        kids.setdefault(layer.parent, []).append(layer)
    on_top: dict[str, list] = {}
    for image in data.images:
        on_top.setdefault(image.top or "", []).append(image)
    return kids, on_top


def _layer_text(layer: LayerNode) -> str:
    mark = (
        f"  [{layer.mark.upper()}]" if layer.mark else ("  [made here]" if layer.made_here else "")
    )
    return f"{human_size(layer.size):>7}  {short(layer.instruction, 60)}{mark}"


def _image_text(image: ImageNode, data: GraphData) -> list[str]:
    line = f"image {image.label} ({image.id.split(':')[-1][:12]}, {human_size(image.size)})"
    runs = [f"{c.name} ({c.state})" for c in data.containers if c.image == image.id]
    return [line] + [f"  container {r}" for r in runs]


def text_tree(data: GraphData) -> str:
    if not data.images:
        return "(no images)"
    kids, on_top = _children(data)
    lines: list[str] = []

    def walk(key: str | None, indent: str) -> None:
        entries: list[tuple[str, Any]] = [("layer", k) for k in kids.get(key, [])]
        if key is not None:
            entries = [("image", i) for i in on_top.get(key, [])] + entries
        for n, (kind, obj) in enumerate(entries):
            last = n == len(entries) - 1
            branch, cont = ("└─ ", "   ") if last else ("├─ ", "│  ")
            if kind == "image":
                first, *rest = _image_text(obj, data)
                lines.append(indent + branch + "▣ " + first)
                lines.extend(indent + cont + r for r in rest)
            else:
                lines.append(indent + branch + _layer_text(obj))
                walk(obj.key, indent + cont)

    for image in on_top.get("", []):
        lines.extend(_image_text(image, data))
    walk(None, "")
    return "\n".join(lines)


def html_tree(data: GraphData) -> str:
    kids, on_top = _children(data)

    def image_li(image: ImageNode) -> str:
        runs = "".join(
            f"<li>container <b>{esc(c.name)}</b> ({esc(c.state)})</li>"
            for c in data.containers
            if c.image == image.id
        )
        return (
            f'<li><b style="color:#1f4e96">▣ {esc(image.label)}</b> '
            f"<code>{esc(image.id.split(':')[-1][:12])}</code> {human_size(image.size)}"
            + (f"<ul>{runs}</ul>" if runs else "")
            + "</li>"
        )

    def walk(key: str | None) -> str:
        items = [image_li(i) for i in on_top.get(key, [])] if key is not None else []
        for layer in kids.get(key, []):
            fill, line, note, _s = _style(layer)
            tag = f' <b style="color:{line}">{esc(note)}</b>' if note else ""
            items.append(
                f'<li><span title="{esc(layer.instruction)}"><code>'
                f"{esc(short(layer.instruction, 70))}</code></span> {human_size(layer.size)}{tag}"
                f"{walk(layer.key)}</li>"
            )
        return f'<ul style="margin:0;padding-left:18px">{"".join(items)}</ul>' if items else ""

    empty = "".join(image_li(i) for i in on_top.get("", []))
    return (walk(None) + (f"<ul>{empty}</ul>" if empty else "")) or "<i>(no images)</i>"


# -- the view ------------------------------------------------------------------------------------

_SVG_WIDTH = re.compile(r'<svg width="([0-9.]+)pt"')
MIN_SCALE = 0.75  # below this the 10pt labels are too small to read; the box scrolls instead


def _readable(svg: str) -> str:
    """Notebook CSS shrinks an inline SVG to the output's width, so a graph of many images
    became unreadable; shrink at most to MIN_SCALE and let the box scroll sideways past that."""
    m = _SVG_WIDTH.search(svg)
    if m is None:
        return svg
    least = float(m.group(1)) * 4 / 3 * MIN_SCALE  # pt -> CSS px
    style = f'style="max-width:max(100%, {least:.0f}px);height:auto" '
    return svg[: m.start()] + "<svg " + style + svg[m.start() + len("<svg ") :]


class LayerGraph(View):
    """Inline SVG when `dot` works; an HTML tree and a one-line hint when it does not."""

    def __init__(self, data: GraphData) -> None:
        self.data = data
        self.dot = to_dot(data)
        self._svg: str | None = None
        self.error: str | None = None
        self._tried = False

    def svg(self) -> str | None:
        if not self._tried:
            self._tried = True
            try:
                self._svg = render_svg(self.dot)
            except DotError as exc:
                self.error = str(exc)
        return self._svg

    def to_text(self) -> str:
        return text_tree(self.data)

    def _legend(self) -> str:
        n = len(self.data.images)
        counts = f"{n} image{'s' * (n != 1)}, {len(self.data.layers)} distinct layers"
        return (
            f'<div style="{FONT};opacity:0.85;margin-bottom:4px">Layer graph: {counts}. '
            f'<span style="background:#e3f4e1;{INK};border:1px solid #2e7d32;padding:0 4px">'
            "CACHED</span> reused by the last build, "
            f'<span style="background:#fff1d0;{INK};border:1px solid #c77700;padding:0 4px">'
            "BUILT</span> made by it; hover a layer for its full instruction.</div>"
        )

    def to_html(self) -> str:
        svg = self.svg()
        if svg is not None:
            body = f'<div style="overflow:auto;max-width:100%">{_readable(svg)}</div>'
        else:
            body = (
                f'<div style="{FONT};color:#8a5a00">{esc(self.error or "")}; '
                "showing a tree instead.</div>"
                + f'<div style="{FONT}">{html_tree(self.data)}</div>'
            )
        return f'<div class="docker-magics-graph">{self._legend()}{body}</div>'

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        bundle: dict[str, Any] = {"text/html": self.to_html(), "text/plain": self.to_text()}
        meta: dict[str, Any] = {}
        svg = self.svg()
        if svg is not None:
            bundle["image/svg+xml"] = svg
            meta["image/svg+xml"] = {"isolated": True}
        return bundle, meta

    def save(self, path: str) -> None:
        """Write DOT (`.dot`/`.gv`) or SVG (anything else); SVG needs `dot`."""
        if path.endswith((".dot", ".gv")):
            text = self.dot
        else:
            svg = self.svg()
            if svg is None:
                raise DotError(self.error or "graphviz failed")
            text = svg
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def last_build_marks(engine: Engine) -> dict[str, str]:
    """Layer digest -> "cached" or "built", from the newest successful build record."""
    from ..builder.record import list_records

    records = [r for r in list_records(engine.store) if r.get("status") == "ok"]
    if not records:
        return {}
    marks: dict[str, str] = {}
    for step in records[-1].get("steps") or []:
        layer = step.get("layer") or {}
        if layer.get("digest"):
            marks[layer["digest"]] = "cached" if step.get("cached") else "built"
    return marks
