"""ADD of a git repository (BuildKit's git source), with the ``git`` binary.

``ADD https://host/repo.git#ref:subdir /dest`` (also ``git@host:repo``, ``git://``, ``ssh://``,
and the newer fragment form ``#ref=v1,subdir=docs``): the key is the commit the ref resolves
to (``git ls-remote``, a network round trip but no download), so a moved branch misses and an
unchanged one hits; the checkout happens only on a miss. As BuildKit: ``.git`` is dropped unless
``--keep-git-dir=true``; files are 0644, or 0755 when executable, directories 0755;
``--checksum`` is the expected commit (a prefix of it is enough).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass

from .remote import RemoteError

__all__ = ["GitRef", "parse_git_ref", "resolve_commit", "checkout"]

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_TIMEOUT = 600
# No prompt for credentials (a build is not interactive), no pager, no system askpass.
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true"}


@dataclass(frozen=True)
class GitRef:
    remote: str
    ref: str  # branch, tag or commit; "" for the remote's HEAD
    subdir: str


def parse_git_ref(src: str) -> GitRef:
    remote, _, fragment = src.partition("#")
    if "=" in fragment:  # Dockerfile 1.x "key=value,..." form
        fields = dict(part.partition("=")[::2] for part in fragment.split(",") if part)
        return GitRef(remote, fields.get("ref", ""), fields.get("subdir", "").strip("/"))
    ref, _, subdir = fragment.partition(":")
    return GitRef(remote, ref, subdir.strip("/"))


def _git(*args: str, cwd: str | None = None) -> str:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            env={**os.environ, **_ENV},
        )
    except FileNotFoundError:
        raise RemoteError("ADD of a git repository needs the git program on this machine")
    except subprocess.TimeoutExpired:
        raise RemoteError(f"git {args[0]} timed out after {_TIMEOUT}s")
    if proc.returncode != 0:
        raise RemoteError(f"git {args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def resolve_commit(ref: GitRef) -> str:
    """The commit ``ref`` names now: a commit as is, else the remote's answer."""
    if _SHA.fullmatch(ref.ref):
        return ref.ref
    wanted = ref.ref or "HEAD"
    try:
        # The peeled "^{}" line of an annotated tag only shows when asked for by name.
        out = _git("ls-remote", "--", ref.remote, wanted, wanted + "^{}")
    except RemoteError as exc:
        raise RemoteError(f"{ref.remote}: {exc}")
    found = {}
    for line in out.splitlines():
        sha, _, name = line.partition("\t")
        found[name] = sha
    # A tag's peeled commit before the tag object; a branch before a tag of the same name.
    for name in (f"refs/tags/{wanted}^{{}}", f"refs/heads/{wanted}", f"refs/tags/{wanted}"):
        if name in found:
            return found[name]
    if wanted in found:
        return found[wanted]
    raise RemoteError(f"{ref.remote}: no ref {wanted!r}")


def _normalise(root: str) -> None:
    """Modes as BuildKit's git source leaves them, whatever this process's umask was."""
    for dirpath, _dirs, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                os.chmod(path, 0o755 if st.st_mode & 0o100 else 0o644)


def checkout(ref: GitRef, commit: str, dest: str, keep_git_dir: bool) -> str:
    """Check ``commit`` out into ``dest``; returns the directory to copy (``subdir`` in it)."""
    _git("init", "-q", dest)
    try:
        # Shallow by commit first (smart servers); the dumb HTTP protocol supports neither,
        # so fetch the ref in full then.
        _git("fetch", "-q", "--depth=1", "--", ref.remote, commit, cwd=dest)
    except RemoteError:
        _git("fetch", "-q", "--", ref.remote, ref.ref or "HEAD", cwd=dest)
    _git("-c", "advice.detachedHead=false", "checkout", "-q", commit, cwd=dest)
    if _git("rev-parse", "HEAD", cwd=dest).strip() != commit:
        raise RemoteError(f"{ref.remote}: checked out another commit than {commit}")
    if not keep_git_dir:
        shutil.rmtree(os.path.join(dest, ".git"))
    _normalise(dest)
    top = os.path.realpath(dest)
    tree = os.path.realpath(os.path.join(top, ref.subdir))
    if not (tree == top or tree.startswith(top + os.sep)) or not os.path.isdir(tree):
        raise RemoteError(f"{ref.remote}: no directory {ref.subdir!r} at {commit}")
    return tree
