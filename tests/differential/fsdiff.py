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
import json
import posixpath
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

Record = dict[str, Any]

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


def apply_layer(fs: dict[str, Record], tar: tarfile.TarFile) -> None:
    members = list(tar)
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
            target = fs.get(_clean(m.linkname))
            rec.update(type="file", sha256=(target or {}).get("sha256"))
        else:
            rec["type"] = _TYPES.get(m.type, f"type-{m.type!r}")
        if m.isreg():
            data = tar.extractfile(m)
            rec["sha256"] = hashlib.sha256(data.read() if data else b"").hexdigest()
        elif m.issym():
            rec["link"] = m.linkname
        elif m.ischr() or m.isblk():
            rec["dev"] = f"{m.devmajor}:{m.devminor}"
        old = fs.get(name)
        if old is not None and (old["type"] == "dir") != (rec["type"] == "dir"):
            _drop(fs, name)
        fs[name] = rec


def rootfs(layers: Iterable[IO[bytes]]) -> dict[str, Record]:
    fs: dict[str, Record] = {}
    for fh in layers:
        with _open_layer(fh) as tar:
            apply_layer(fs, tar)
    fs.pop("", None)
    return fs


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
    """A case's ``expected-differences``: ``path GLOB [ATTR,...]``, ``config FIELD``,
    ``min-buildah X.Y``; ``#`` starts a comment (the reason, which every line should give)."""

    paths: list[tuple[str, set[str] | None]] = field(default_factory=list)
    config: set[str] = field(default_factory=set)
    min_buildah: tuple[int, ...] | None = None
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


def compare(
    ours_fs: dict[str, Record],
    theirs_fs: dict[str, Record],
    ours_cfg: dict[str, Any],
    theirs_cfg: dict[str, Any],
    expected: Expected,
) -> list[str]:
    problems = []
    for path in sorted(set(ours_fs) | set(theirs_fs)):
        if path in RUNTIME_PATHS:
            continue
        skip = expected.ignored(path) or set()
        if "*" in skip:
            continue
        a, b = ours_fs.get(path), theirs_fs.get(path)
        if a is None or b is None:
            problems.append(f"{path}: only in {'buildah' if a is None else 'ours'}: {a or b}")
            continue
        diff = {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if k not in skip}
        diff = {k: v for k, v in diff.items() if v[0] != v[1]}
        if diff:
            problems.append(f"{path}: ours vs buildah: {diff}")
    a_cfg, b_cfg = normal_config(ours_cfg), normal_config(theirs_cfg)
    for name in CONFIG_FIELDS:
        if name in expected.config:
            continue
        if a_cfg[name] != b_cfg[name]:
            ours, theirs = json.dumps(a_cfg[name]), json.dumps(b_cfg[name])
            problems.append(f"config {name}: ours {ours} vs buildah {theirs}")
    return problems


def unused(
    ours_fs: dict[str, Record],
    theirs_fs: dict[str, Record],
    ours_cfg: dict[str, Any],
    theirs_cfg: dict[str, Any],
    expected: Expected,
) -> list[str]:
    """Expected differences that are not there (stale lines hide nothing and mislead)."""
    out = []
    paths = sorted(set(ours_fs) | set(theirs_fs))
    for pattern, attrs in expected.paths:
        hit = False
        for path in (p for p in paths if fnmatch.fnmatchcase(p, pattern)):
            a, b = ours_fs.get(path), theirs_fs.get(path)
            if a is None or b is None:
                hit = True
            else:
                keys = (set(a) | set(b)) if attrs is None else attrs
                hit = hit or any(a.get(k) != b.get(k) for k in keys)
        if not hit:
            out.append(f"path {pattern} {','.join(sorted(attrs or []))}".strip())
    a_cfg, b_cfg = normal_config(ours_cfg), normal_config(theirs_cfg)
    out += [f"config {name}" for name in sorted(expected.config) if a_cfg[name] == b_cfg[name]]
    return out
