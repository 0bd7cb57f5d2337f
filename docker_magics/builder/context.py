"""The build context: which files a build may see, how COPY selects them, and their checksum.

A file's description for the cache is ``"<type> <mode> <link target> <content digest>"``:
content and names, never mtime or owner (owners differ between machines and checkouts; BuildKit
resets them to 0 as well). A file's content digest may be reused from an earlier build only if
its size, mtime, ctime and inode are all unchanged: ctime moves on every write and cannot be set
back by ``touch``, so an edit that keeps size and mtime still rehashes (the stale-hit bug of
buildkit#2592 and friends).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import DockerfileError
from ..store.atomic import atomic_write_bytes
from .patterns import IgnoreRules, PatternError, glob_regex, has_magic, parse_ignore

__all__ = ["BuildContext", "Selected", "load_ignore", "describe_stat"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Selected:
    """One source matched by a COPY/ADD: its context-relative path ("" for the root)."""

    rel: str
    host: str
    is_dir: bool
    wildcard: bool


def load_ignore(context_dir: str, dockerfile: str | None) -> IgnoreRules:
    """``<Dockerfile>.dockerignore`` next to the Dockerfile wins over the context's own file."""
    candidates = []
    if dockerfile:
        candidates.append(dockerfile + ".dockerignore")
    candidates.append(os.path.join(context_dir, ".dockerignore"))
    for path in candidates:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (FileNotFoundError, NotADirectoryError):
            continue
        try:
            return parse_ignore(text)
        except PatternError as exc:
            raise DockerfileError(str(exc), filename=path)
    return parse_ignore("")


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def describe_stat(st: os.stat_result, link: str, content: str) -> str:
    return f"{_kind(st.st_mode)} {stat.S_IMODE(st.st_mode):04o} {link or '-'} {content or '-'}"


class BuildContext:
    """A directory on the host seen through its ``.dockerignore``."""

    def __init__(self, root: str, ignore: IgnoreRules, memo_path: str | None = None) -> None:
        self.root = os.path.abspath(root)
        self.real_root = os.path.realpath(self.root)
        self.ignore = ignore
        self._memo_path = memo_path
        self._memo: dict[str, list] = {}
        self._memo_dirty = False
        if memo_path:
            try:
                with open(memo_path) as fh:
                    self._memo = json.load(fh)
            except (OSError, ValueError):
                self._memo = {}

    # -- visibility ---------------------------------------------------------------------------
    def included(self, rel: str) -> bool:
        return not rel or not self.ignore.ignored(rel)

    def _listdir(self, rel: str) -> list[str]:
        host = os.path.join(self.root, rel) if rel else self.root
        try:
            return sorted(os.listdir(host))
        except OSError:
            return []

    def walk(self, rel: str) -> Iterator[tuple[str, str, os.stat_result]]:
        """Every visible entry at and under ``rel`` (sorted, parents first)."""
        host = os.path.join(self.root, rel) if rel else self.root
        st = os.lstat(host)
        if self.included(rel):
            yield rel, host, st
        elif not stat.S_ISDIR(st.st_mode) or not self.ignore.has_exclusions:
            return  # an ignored dir with no "!" rule below it: nothing under it is visible
        if stat.S_ISDIR(st.st_mode):
            for name in self._listdir(rel):
                yield from self.walk(f"{rel}/{name}" if rel else name)

    # -- selection ----------------------------------------------------------------------------
    def _clean(self, source: str, error: DockerfileError) -> str:
        stripped = source.lstrip("/")
        norm = posixpath.normpath(stripped) if stripped else "."
        if norm == ".." or norm.startswith("../"):
            raise error
        return "" if norm == "." else norm

    def _check_inside(self, host: str, rel: str, error: DockerfileError) -> None:
        real = os.path.realpath(host)
        if real != self.real_root and not real.startswith(self.real_root + os.sep):
            raise error

    def _glob(self, pattern: str) -> list[str]:
        matches = [""]
        for part in pattern.split("/"):
            nxt = []
            for base in matches:
                if not has_magic(part):
                    cand = f"{base}/{part}" if base else part
                    if os.path.lexists(os.path.join(self.root, cand)):
                        nxt.append(cand)
                    continue
                rx = re.compile(glob_regex(part), re.DOTALL)
                for name in self._listdir(base):
                    if rx.fullmatch(name):
                        nxt.append(f"{base}/{name}" if base else name)
            matches = nxt
        return sorted(m for m in matches if self.included(m))

    def select(self, source: str, where: DockerfileError) -> list[Selected]:
        """The context entries one COPY source names; ``where`` locates errors in the Dockerfile."""

        def err(message: str) -> DockerfileError:
            return DockerfileError(
                message,
                filename=where.filename,
                line=where.line,
                end_line=where.end_line,
                source=where.source,
            )

        # Named for the instruction the user wrote (ADD, or a RUN's bind mount), not always COPY.
        words = [w.upper() for w in (where.source or "COPY").split(None, 2)]
        what = words[1] if words[0] == "ONBUILD" and len(words) > 1 else words[0]
        what = "RUN --mount" if what == "RUN" else what
        outside = err(f"{what} source {source!r} is outside the build context")
        rel = self._clean(source, outside)
        wildcard = has_magic(rel)
        try:
            names = self._glob(rel) if wildcard else [rel]
        except PatternError as exc:
            raise err(f"invalid source pattern {source!r}: {exc}")
        out = []
        for name in names:
            host = os.path.join(self.root, name) if name else self.root
            if not os.path.lexists(host) or not self.included(name):
                raise err(f"{what} source {source!r} not found in the build context")
            self._check_inside(host, name, outside)
            out.append(Selected(name, host, os.path.isdir(host), wildcard))
        return out

    # -- checksums ----------------------------------------------------------------------------
    def _content_digest(self, host: str, st: os.stat_result) -> str:
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        memo = self._memo.get(host)
        if memo is not None and memo[:4] == stamp:
            return str(memo[4])
        h = hashlib.sha256()
        with open(host, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
        digest = "sha256:" + h.hexdigest()
        self._memo[host] = [*stamp, digest]
        self._memo_dirty = True
        return digest

    def describe(self, host: str, st: os.stat_result) -> str:
        link = os.readlink(host) if stat.S_ISLNK(st.st_mode) else ""
        content = self._content_digest(host, st) if stat.S_ISREG(st.st_mode) else ""
        return describe_stat(st, link, content)

    def files(self, selected: list[Selected]) -> dict[str, str]:
        """``{context path: description}`` for everything the selection copies.

        A top-level symlink source is followed (COPY copies what it points at), so it is
        described by its target's content under its own name.
        """
        out: dict[str, str] = {}
        for sel in selected:
            if not sel.is_dir:
                out[sel.rel] = self.describe(os.path.realpath(sel.host), os.stat(sel.host))
                continue
            for rel, host, st in self.walk(sel.rel):
                out[rel or "."] = self.describe(host, st)
        return out

    def save_memo(self) -> None:
        if self._memo_path and self._memo_dirty:
            os.makedirs(os.path.dirname(self._memo_path), exist_ok=True)
            atomic_write_bytes(self._memo_path, json.dumps(self._memo).encode())
            self._memo_dirty = False
