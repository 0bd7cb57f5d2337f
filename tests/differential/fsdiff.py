"""Root filesystems and configs of two images, as plain data, and their differences.

Both sides are read the same way: layer tars applied in order in memory (OCI whiteouts and
opaque markers honoured), one record per path: type, mode, owner, content digest, link target.
Times are never recorded. ``expected-differences`` files name what a case may differ in
because buildah differs from BuildKit by design.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import io
import itertools
import json
import posixpath
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

Record = dict[str, Any]

# Which inode a regular file is (per layer member that carried the data): not compared per
# path, but grouped into hard-link sets.
INODE = "_inode"
SIZE_TOLERANCE = 0.01
_INODES = itertools.count(1)

# Files a runtime puts into every container; not the builder's doing.
RUNTIME_PATHS = ("etc/hosts", "etc/hostname", "etc/resolv.conf")

CONFIG_FIELDS = (
    "Env",
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "ExposedPorts",
    "Volumes",
    "Labels",
    "StopSignal",
    "Healthcheck",
    "OnBuild",
    "Shell",
)

_TYPES = {
    tarfile.REGTYPE: "file",
    tarfile.AREGTYPE: "file",
    tarfile.DIRTYPE: "dir",
    tarfile.SYMTYPE: "symlink",
    tarfile.CHRTYPE: "char",
    tarfile.BLKTYPE: "block",
    tarfile.FIFOTYPE: "fifo",
}


def _open_layer(fh: IO[bytes]) -> tarfile.TarFile:
    head = fh.read(2)
    fh.seek(0)
    if head == b"\x1f\x8b":
        return tarfile.open(fileobj=io.BytesIO(gzip.decompress(fh.read())))
    return tarfile.open(fileobj=fh)


def _clean(name: str) -> str:
    name = posixpath.normpath("/" + name).lstrip("/")
    return "" if name == "." else name


def _drop(fs: dict[str, Record], path: str) -> None:
    fs.pop(path, None)
    prefix = path + "/"
    for key in [k for k in fs if k.startswith(prefix)]:
        del fs[key]


def apply_layer(fs: dict[str, Record], tar: tarfile.TarFile) -> int:
    """Apply one layer; returns its unpacked size as Docker counts it (regular files' bytes,
    symlink targets' lengths, each hard-linked inode once, directories nothing)."""
    members = list(tar)
    size = 0
    for m in members:  # whiteouts act on the layers below, whatever their order in the tar
        name = _clean(m.name)
        parent, base = posixpath.split(name)
        if base == ".wh..wh..opq":
            for key in [k for k in fs if k.startswith(parent + "/" if parent else "")]:
                if key != parent:
                    del fs[key]
        elif base.startswith(".wh."):
            _drop(fs, posixpath.join(parent, base[4:]))
    for m in members:
        name = _clean(m.name)
        base = posixpath.basename(name)
        if not name or base.startswith(".wh."):
            continue
        rec: Record = {"mode": f"{m.mode & 0o7777:04o}", "owner": f"{m.uid}:{m.gid}"}
        if m.islnk():
            target = fs.get(_clean(m.linkname)) or {}
            rec.update(type="file", sha256=target.get("sha256"), size=target.get("size"))
            rec[INODE] = target.get(INODE)
        else:
            rec["type"] = _TYPES.get(m.type, f"type-{m.type!r}")
        if m.isreg():
            data = tar.extractfile(m)
            rec["sha256"] = hashlib.sha256(data.read() if data else b"").hexdigest()
            rec["size"], rec[INODE] = m.size, next(_INODES)
            size += m.size
        elif m.issym():
            rec["link"] = m.linkname
            size += len(m.linkname.encode("utf-8", "surrogateescape"))
        elif m.ischr() or m.isblk():
            rec["dev"] = f"{m.devmajor}:{m.devminor}"
        old = fs.get(name)
        if old is not None and (old["type"] == "dir") != (rec["type"] == "dir"):
            _drop(fs, name)
        fs[name] = rec
    return size


def rootfs(layers: Iterable[IO[bytes]]) -> dict[str, Record]:
    """The merged tree; ``fs[""]`` holds the image size (the layers' unpacked sizes summed,
    as ``docker image ls`` counts: a file replaced in a later layer counts twice)."""
    fs: dict[str, Record] = {}
    total = 0
    for fh in layers:
        with _open_layer(fh) as tar:
            total += apply_layer(fs, tar)
    fs[""] = {"type": "image", "size": total}
    return fs


def link_groups(fs: dict[str, Record]) -> set[frozenset[str]]:
    """Paths that are one inode (hard links), as sets of two or more."""
    groups: dict[str, set[str]] = {}
    for path, rec in fs.items():
        if rec.get(INODE):
            groups.setdefault(rec[INODE], set()).add(path)
    return {frozenset(g) for g in groups.values() if len(g) > 1}


def _size_problem(ours: dict[str, Record], theirs: dict[str, Record]) -> str | None:
    a, b = ours[""]["size"], theirs[""]["size"]
    if abs(a - b) <= SIZE_TOLERANCE * max(a, b, 1):
        return None
    return f"image size (unpacked): ours {a} bytes vs buildah {b} bytes (over 1% apart)"


def _links_problem(ours: dict[str, Record], theirs: dict[str, Record]) -> str | None:
    a, b = link_groups(ours), link_groups(theirs)
    if a == b:
        return None
    only = sorted(sorted(g) for g in a - b), sorted(sorted(g) for g in b - a)
    return f"hard-link groups: only ours {only[0]}, only buildah {only[1]}"


def _none_if_empty(value: Any) -> Any:
    return value if value not in ("", [], {}, None) else None


def normal_config(cfg: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name in CONFIG_FIELDS:
        value = _none_if_empty(cfg.get(name))
        if name == "Labels" and value:
            value = _none_if_empty({k: v for k, v in value.items() if k != "io.buildah.version"})
        if name == "Healthcheck" and value:
            value = {k: v for k, v in value.items() if v not in (0, None, "", [])}
        out[name] = value
    return out


@dataclass
class Expected:
    """A case's ``expected-differences``: ``path GLOB [ATTR,...]``, ``config FIELD``, ``size``,
    ``links``, ``buildah-dockerfile NAME`` (buildah builds that equivalent file instead, for
    syntax it refuses but means the same), ``min-buildah X.Y``; ``#`` starts a comment (the
    reason, which every line should give)."""

    paths: list[tuple[str, set[str] | None]] = field(default_factory=list)
    config: set[str] = field(default_factory=set)
    min_buildah: tuple[int, ...] | None = None
    size: bool = False  # the image sizes may differ by more than 1%
    links: bool = False  # the hard-link groups may differ
    buildah_dockerfile: str | None = None  # an equivalent Dockerfile for what buildah refuses
    reasons: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Expected:
        exp = cls()
        for raw in text.splitlines():
            line, _, comment = raw.partition("#")
            words = line.split()
            if not words:
                continue
            exp.reasons.append(raw.strip())
            kind = words[0]
            if kind == "path":
                attrs = set(words[2].split(",")) if len(words) > 2 else None
                exp.paths.append((words[1], attrs))
            elif kind == "config":
                exp.config.add(words[1])
            elif kind in ("size", "links"):
                setattr(exp, kind, True)
            elif kind == "buildah-dockerfile":
                exp.buildah_dockerfile = words[1]
            elif kind == "min-buildah":
                exp.min_buildah = tuple(int(x) for x in words[1].split("."))
            else:
                raise ValueError(f"unknown expected-differences line: {raw!r}")
        return exp

    def ignored(self, path: str) -> set[str] | None:
        """Attributes of ``path`` not compared (None: compare all; empty set never returned)."""
        out: set[str] = set()
        for pattern, attrs in self.paths:
            if fnmatch.fnmatchcase(path, pattern):
                if attrs is None:
                    return {"*"}
                out |= attrs
        return out or None


@dataclass
class Built:
    """One builder's image: its tree records and its config."""

    fs: dict[str, Record]
    cfg: dict[str, Any]


def compare(ours: Built, theirs: Built, expected: Expected) -> list[str]:
    ours_fs, theirs_fs = ours.fs, theirs.fs
    problems = []
    if not expected.size and (problem := _size_problem(ours_fs, theirs_fs)):
        problems.append(problem)
    if not expected.links and (problem := _links_problem(ours_fs, theirs_fs)):
        problems.append(problem)
    for path in sorted(set(ours_fs) | set(theirs_fs)):
        if path in RUNTIME_PATHS or not path:
            continue
        skip = expected.ignored(path) or set()
        if "*" in skip:
            continue
        a, b = ours_fs.get(path), theirs_fs.get(path)
        if a is None or b is None:
            problems.append(f"{path}: only in {'buildah' if a is None else 'ours'}: {a or b}")
            continue
        keys = {k for k in set(a) | set(b) if k not in skip and k != INODE}
        diff = {k: (a.get(k), b.get(k)) for k in keys}
        diff = {k: v for k, v in diff.items() if v[0] != v[1]}
        if diff:
            problems.append(f"{path}: ours vs buildah: {diff}")
    a_cfg, b_cfg = normal_config(ours.cfg), normal_config(theirs.cfg)
    for name in CONFIG_FIELDS:
        if name in expected.config:
            continue
        if a_cfg[name] != b_cfg[name]:
            ours, theirs = json.dumps(a_cfg[name]), json.dumps(b_cfg[name])
            problems.append(f"config {name}: ours {ours} vs buildah {theirs}")
    return problems


def unused(ours: Built, theirs: Built, expected: Expected) -> list[str]:
    """Expected differences that are not there (stale lines hide nothing and mislead)."""
    ours_fs, theirs_fs = ours.fs, theirs.fs
    out = []
    if expected.size and _size_problem(ours_fs, theirs_fs) is None:
        out.append("size")
    if expected.links and _links_problem(ours_fs, theirs_fs) is None:
        out.append("links")
    paths = sorted(p for p in set(ours_fs) | set(theirs_fs) if p)
    for pattern, attrs in expected.paths:
        hit = False
        for path in (p for p in paths if fnmatch.fnmatchcase(p, pattern)):
            a, b = ours_fs.get(path), theirs_fs.get(path)
            if a is None or b is None:
                hit = True
            else:
                keys = ((set(a) | set(b)) if attrs is None else attrs) - {INODE}
                hit = hit or any(a.get(k) != b.get(k) for k in keys)
        if not hit:
            out.append(f"path {pattern} {','.join(sorted(attrs or []))}".strip())
    a_cfg, b_cfg = normal_config(ours.cfg), normal_config(theirs.cfg)
    out += [f"config {name}" for name in sorted(expected.config) if a_cfg[name] == b_cfg[name]]
    return out
