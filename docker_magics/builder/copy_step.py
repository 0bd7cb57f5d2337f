"""COPY and ADD: select sources, key them by content, and write the layer directly (no container).

Semantics (shared/notes/cache-and-dockerfile-semantics.md, section 6): a directory source copies
its *contents*; a destination ending in ``/``, several sources or a wildcard make the destination a
directory (so does an existing directory in the image); relative destinations are relative to
WORKDIR; missing parents are created; files are owned 0:0 unless ``--chown``; ADD unpacks a local
archive recognised by content, never by name.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..dockerfile import expand
from ..dockerfile.instructions import Add, Copy
from ..errors import LayerError
from ..layer.extract import extract_layer, safe_rmtree
from ..layer.owner import owner_ops
from ..layer.stream import open_decompressed
from . import cachekey
from .chmod import parse_chmod
from .context import Selected, describe_stat
from .copy_plan import CopyPlan, apply_chmod
from .gitsource import checkout, parse_git_ref, resolve_commit
from .imagefs import ImageFS
from .layerwrite import TarItem, write_items
from .patterns import IgnoreRules, PatternError, parse_ignore
from .remote import (
    REMOTE_MODE,
    Download,
    RemoteError,
    fetch,
    file_name,
    is_git_ref,
    is_url,
    parse_checksum,
)
from .stagefiles import stage_files
from .state import StageState
from .step import Op, StepBuilder

__all__ = ["copy_op"]


@dataclass
class _Source:
    """One thing to copy: a host file or tree, and how to walk it."""

    name: str  # basename used when the destination is a directory
    host: str
    is_dir: bool
    walk: Callable[[], Any] = field(default=lambda: iter(()))  # yields (sub, host, lstat)
    archive: bool = False


def _excluded(rules: IgnoreRules | None, sub: str) -> bool:
    """``--exclude``: patterns match paths relative to each source directory (never the source
    itself), with ``.dockerignore`` rules (BuildKit's copier: fsutil ``copy`` with
    ``ExcludePatterns``, matched on the path below the source root)."""
    return rules is not None and bool(sub) and rules.ignored(sub)


def _walk_context(b: StepBuilder, sel: Selected, rules: IgnoreRules | None) -> Callable[[], Any]:
    def walk() -> Any:
        prefix = sel.rel
        for rel, host, st in b.context.walk(sel.rel):
            sub = rel[len(prefix) :].lstrip("/") if prefix else rel
            if not _excluded(rules, sub):
                yield sub, host, st

    return walk


def _walk_image(fs: ImageFS, rel: str, rules: IgnoreRules | None) -> Callable[[], Any]:
    def walk() -> Any:
        for entry in fs.walk(rel):
            sub = entry.path[len(rel) :].lstrip("/") if rel else entry.path
            if not _excluded(rules, sub):
                yield sub, entry.host, entry.st

    return walk


def _is_archive(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return False
            stream = open_decompressed(fh)
            head = stream.read(512)
    except (OSError, EOFError, LayerError, ValueError):
        return False
    if len(head) < 512:
        return False
    try:
        tarfile.TarInfo.frombuf(head, "utf-8", "surrogateescape")
    except tarfile.TarError:
        return False
    return True


def _from_sources(
    b: StepBuilder, state: StageState, ins: Copy, srcs: list[str], rules: IgnoreRules | None
) -> tuple[str, list[_Source], dict[str, str]]:
    """``COPY --from``: a stage's or an image's filesystem, keyed by the content of the paths
    it copies (BuildKit's content checksum of the selected paths), not by the whole stage."""
    assert ins.from_ is not None
    ref = expand(ins.from_, state.expansion_env())
    other = b.stage_for_copy(ref, ins)
    fs = ImageFS(b.store, other.image(b.store))
    out, files = [], {}
    for src in srcs:
        rel = fs.resolve(src)
        entry = fs.lstat_raw(rel)
        if entry is None:
            raise b.error(ins, f"COPY --from={ref}: {src} not found")
        is_dir = stat.S_ISDIR(entry.st.st_mode)
        walk = _walk_image(fs, rel, rules)
        out.append(_Source(posixpath.basename(rel), entry.host, is_dir, walk))
        files.update(stage_files(b, fs, rel, rules if is_dir else None))
    return "stage", out, files


def _heredoc_sources(
    b: StepBuilder, state: StageState, ins: Copy | Add, staging: str
) -> tuple[list[_Source], dict[str, str]]:
    out, files = [], {}
    for i, content in enumerate(ins.contents):
        data = expand(content.data, state.expansion_env()) if content.expand else content.data
        host = os.path.join(staging, f"heredoc-{i}")
        with open(host, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.chmod(host, 0o644)
        os.utime(host, (0, 0))
        digest = "sha256:" + hashlib.sha256(data.encode()).hexdigest()
        files[f"<<{content.path}"] = describe_stat(os.lstat(host), "", digest)
        out.append(_Source(content.path, host, False))
    return out, files


def _url_source(
    b: StepBuilder, ins: Add, url: str, staging: str, checksum: str | None, pending: list[Any]
) -> tuple[_Source, str, str | None]:
    """An http(s) source: (source, its file description for the key, its Last-Modified).

    With ``--checksum`` the key is the pinned digest and the download waits for a miss (added
    to ``pending``); without, it happens now, since the content is the key.
    """
    host = os.path.join(staging, f"remote-{len(os.listdir(staging))}")
    source = _Source(file_name(url), host, False)
    algorithm = parse_checksum(checksum)[0] if checksum else "sha256"

    def download() -> Download:
        try:
            got = fetch(url, host, algorithm)
        except RemoteError as exc:
            raise b.error(ins, str(exc))
        if checksum and got.digest != checksum:
            raise b.error(ins, f"digest mismatch for {url}: {got.digest} (expected: {checksum})")
        if ins.unpack is True and _is_archive(host):  # a remote archive unpacks only if asked
            unpacked = _extract_archive(b, source, staging)
            source.host, source.is_dir, source.walk = unpacked.host, True, unpacked.walk
            source.archive = True
        return got

    if checksum:
        pending.append(download)
        return source, f"file {REMOTE_MODE:04o} - {checksum}", None
    got = download()
    return source, f"file {REMOTE_MODE:04o} - {got.digest}", got.last_modified


def _git_source(
    b: StepBuilder, ins: Add, src: str, staging: str, checksum: str | None, pending: list[Any]
) -> tuple[_Source, str]:
    """A git repository: keyed by the commit its ref resolves to, checked out on a miss."""
    ref = parse_git_ref(src)
    try:
        commit = resolve_commit(ref)
    except RemoteError as exc:
        raise b.error(ins, str(exc))
    if checksum and not commit.startswith(checksum):
        raise b.error(ins, f"expected checksum to match {checksum}, got {commit} ({src})")
    host = os.path.join(staging, f"git-{len(os.listdir(staging))}")
    source = _Source(posixpath.basename(ref.subdir) or ".", host, True)

    def clone() -> None:
        try:
            tree = checkout(ref, commit, host, bool(ins.keep_git_dir))
        except RemoteError as exc:
            raise b.error(ins, str(exc))
        source.walk = lambda: _host_walk(tree)

    pending.append(clone)
    return source, f"dir 0755 - git:{commit}"


def _remote_refusal(ins: Copy | Add, src: str) -> str:
    kind = "a git ref" if is_git_ref(src) else "a URL"
    if isinstance(ins, Copy):
        return f"source can't be {kind} for COPY (use ADD)"  # BuildKit's wording
    return f"ADD supports http(s) URLs and git repositories only: {src}"


def _checksum(b: StepBuilder, ins: Copy | Add, srcs: list[str], env: Any) -> str | None:
    """``ADD --checksum``: one http(s) or git source only, and a well-formed digest."""
    if not isinstance(ins, Add) or not ins.checksum:
        return None
    checksum = expand(ins.checksum, env)
    if len(srcs) != 1 or ins.contents:
        raise b.error(ins, "checksum can't be specified for multiple sources")
    if is_git_ref(srcs[0]):
        return checksum  # a commit hash (prefix), checked by the git source
    if not is_url(srcs[0]):
        raise b.error(ins, "checksum can't be specified for local sources")
    try:
        parse_checksum(checksum)
    except ValueError as exc:
        raise b.error(ins, str(exc))
    return checksum


def _place_tree(
    plan: CopyPlan, src: _Source, target: str, chmod: Any, owner: tuple[int, int] | None
) -> None:
    """A directory's contents into ``target`` (created with the source dir's mode if missing).

    ``owner`` None keeps each entry's own owner (an unpacked archive without ``--chown``).
    """
    for sub, host, st in src.walk():
        item_owner = owner if owner is not None else plan.ops.get_owner(host, st)
        if sub:
            plan.add(f"{target}/{sub}" if target else sub, host, apply_chmod(st, chmod), item_owner)
        elif target and plan.fs.is_dir(target):
            plan.parent_dirs(target)
            plan.existing_dir(target)
        elif target:
            # The destination is made like its missing parents (BuildKit's copier creates it
            # with MkdirAll 0755 and the --chown owner before copying the contents into it):
            # neither the source directory's mode nor --chmod applies to it.
            plan.parent_dirs(target)
            plan.items[target] = TarItem(target, plan.new_dir, os.lstat(plan.new_dir), plan.owner)


def _host_walk(root: str) -> Any:
    st = os.lstat(root)
    yield "", root, st
    if stat.S_ISDIR(st.st_mode):
        for name in sorted(os.listdir(root)):
            for sub, host, sub_st in _host_walk(os.path.join(root, name)):
                yield (f"{name}/{sub}" if sub else name), host, sub_st


def _extract_archive(b: StepBuilder, src: _Source, staging: str) -> _Source:
    tree = os.path.join(staging, f"unpacked-{len(os.listdir(staging))}")
    os.makedirs(tree)
    with open(src.host, "rb") as fh:
        extract_layer(open_decompressed(fh), tree, overlay=False, ops=owner_ops())

    return _Source(src.name, tree, True, lambda: _host_walk(tree), archive=True)


def _produce(
    b: StepBuilder,
    state: StageState,
    sources: list[_Source],
    dest: str,
    dest_is_dir: bool,
    owner: tuple[int, int],
    chowned: bool,
    chmod: Any,
    staging: str,
) -> tuple[dict[str, Any] | None, str | None]:
    fs = ImageFS(b.store, state.image(b.store))
    plan = CopyPlan(fs, owner, staging)
    target = fs.resolve(dest)
    dest_is_dir = dest_is_dir or fs.is_dir(dest) or not target
    for plan.source, src in enumerate(sources):
        if src.archive or src.is_dir:
            keep = src.archive and not chowned
            _place_tree(plan, src, target, chmod, None if keep else owner)
        elif dest_is_dir:
            name = f"{target}/{src.name}" if target else src.name
            plan.add(name, src.host, apply_chmod(os.stat(src.host), chmod), owner)
        else:
            plan.add(target, src.host, apply_chmod(os.stat(src.host), chmod), owner)
    items = plan.sorted()
    if not items:
        return None, None
    return write_items(b.store, items)


def copy_op(b: StepBuilder, state: StageState, ins: Copy | Add) -> Op:
    env = state.expansion_env()
    srcs = [expand(s, env) for s in ins.sources]
    dest = expand(ins.dest, env)
    owner = b.chown_ids(state, expand(ins.chown, env), ins) if ins.chown else (0, 0)
    chmod_text = expand(ins.chmod, env) if ins.chmod else None
    chmod = parse_chmod(chmod_text, b.error(ins, "")) if chmod_text else None
    excludes = [expand(p, env) for p in ins.excludes]
    try:
        rules = parse_ignore("\n".join(excludes)) if excludes else None
    except PatternError as exc:
        raise b.error(ins, f"invalid --exclude pattern: {exc}")
    checksum = _checksum(b, ins, srcs, env)
    staging = b.store.tmp_path("copy")
    b.cleanup.append(staging)
    sources, files = _heredoc_sources(b, state, ins, staging)
    wildcard = False
    pending: list[Any] = []  # downloads that wait for a cache miss
    remote: dict[str, str | None] = {}  # URL -> Last-Modified, in the key as BuildKit has it
    if isinstance(ins, Copy) and ins.from_:
        source_id, more, more_files = _from_sources(b, state, ins, srcs, rules)
        sources += more
        files.update(more_files)
    else:
        source_id = "context"
        for src in srcs:
            if isinstance(ins, Add) and is_git_ref(src):
                source, files[src] = _git_source(b, ins, src, staging, checksum, pending)
                sources.append(source)
                continue
            if isinstance(ins, Add) and is_url(src):
                source, files[src], remote[src] = _url_source(
                    b, ins, src, staging, checksum, pending
                )
                sources.append(source)
                continue
            if "://" in src or is_git_ref(src):
                raise b.error(ins, _remote_refusal(ins, src))
            selected = b.context.select(src, b.error(ins, ""))
            wildcard = wildcard or any(s.wildcard for s in selected)
            for sel in selected:
                for rel, desc in b.context.files([sel]).items():
                    sub = rel[len(sel.rel) :].lstrip("/") if sel.rel else rel
                    if not sel.is_dir or not _excluded(rules, "" if sub == "." else sub):
                        files[rel] = desc
                name = posixpath.basename(sel.rel) or "."
                source = _Source(
                    name, os.path.realpath(sel.host) if not sel.is_dir else sel.host, sel.is_dir
                )
                if sel.is_dir:
                    source.walk = _walk_context(b, sel, rules)
                unpack = isinstance(ins, Add) and ins.unpack is not False
                if unpack and not sel.is_dir and _is_archive(source.host):
                    source = _extract_archive(b, source, staging)
                sources.append(source)
    dest_abs = posixpath.normpath(posixpath.join(state.workdir, dest))
    dest_is_dir = dest.endswith("/") or len(sources) > 1 or wildcard
    op = "add" if isinstance(ins, Add) else "copy"
    extra: dict[str, Any] = {"unpack": ins.unpack} if isinstance(ins, Add) else {}
    if isinstance(ins, Add) and ins.keep_git_dir:
        extra["keep_git_dir"] = True
    if excludes:
        extra["excludes"] = excludes
    if remote:
        extra["remote"] = remote
    key = cachekey.copy_key(
        state.chain,
        op=op,
        source=source_id,
        paths=srcs + [f"<<{c.path}" for c in ins.contents],
        files=files,
        dest=dest_abs + ("/" if dest_is_dir else ""),
        owner=owner if ins.chown else None,
        chmod=chmod_text,
        extra=extra,
    )
    flags = ""
    if ins.chown:
        flags += f"--chown={expand(ins.chown, env)} "
    if chmod_text:
        flags += f"--chmod={chmod_text} "
    shown = [*srcs, *(f"<<{c.path}" for c in ins.contents)]
    created_by = f"{op.upper()} {flags}{' '.join(shown)} {dest} # buildkit"

    def produce() -> tuple[dict[str, Any] | None, str | None]:
        try:
            for download in pending:
                download()
            return _produce(
                b, state, sources, dest_abs, dest_is_dir, owner, bool(ins.chown), chmod, staging
            )
        finally:
            safe_rmtree(staging)

    return Op(key, created_by, produce)
