"""Cache keys: pure functions over canonical JSON of a step plus the digests of its inputs.

BuildKit's model (shared/notes/cache-and-dockerfile-semantics.md, section 2), not the classic
chain of images: only operations that produce filesystem content have keys (FROM, RUN, COPY/ADD,
WORKDIR). Metadata instructions edit the image config and take part in a key only through what a
later operation reads (ENV/ARG as RUN environment, USER, WORKDIR as cwd, SHELL as argv).

Every key keeps its components as a dict so that a miss can be explained field by field by
comparing two builds' components (``explain.py``). ``notes`` hold data that explains a key but
is already summarised by a component (the per-file list behind a context checksum): they are
never hashed.

Nothing here does I/O; the executor gathers the inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CacheKey",
    "PROXY_ARGS",
    "canonical",
    "key_of",
    "from_key",
    "run_key",
    "copy_key",
    "workdir_key",
    "files_checksum",
    "key_env",
]

# Predefined build args (Docker's reference, "Predefined ARGs"): they reach RUN's environment
# but stay out of the key and the history unless the Dockerfile declares them with ARG.
PROXY_ARGS = frozenset(
    {
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "FTP_PROXY",
        "ftp_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
    }
)

_VERSION = 1  # bump when the meaning of a component changes: old cache entries then miss


def canonical(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same value always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class CacheKey:
    """A step's cache key: ``digest`` (what the cache is indexed by) and what it was made of."""

    digest: str
    components: dict[str, Any]
    notes: dict[str, Any] = field(default_factory=dict)


def key_of(components: Mapping[str, Any], notes: Mapping[str, Any] | None = None) -> CacheKey:
    body = {"v": _VERSION, **components}
    digest = "sha256:" + hashlib.sha256(canonical(body)).hexdigest()
    return CacheKey(digest, dict(components), dict(notes or {}))


def key_env(env: Iterable[str], declared_args: Iterable[str] = ()) -> list[str]:
    """The environment as it enters a key: proxy args dropped unless declared, sorted by name.

    Order does not change what a process sees for distinct names, so it does not change the key.
    """
    declared = set(declared_args)
    out: dict[str, str] = {}
    for item in env:
        name, _, value = item.partition("=")
        if name in PROXY_ARGS and name not in declared:
            continue
        out[name] = value
    return [f"{k}={out[k]}" for k in sorted(out)]


def from_key(manifest_digest: str | None, platform: str, *, ref: str = "") -> CacheKey:
    """FROM: the resolved manifest digest (``None`` for ``scratch``), never the tag text."""
    return key_of(
        {"op": "from", "image": manifest_digest or "scratch", "platform": platform},
        {"ref": ref},
    )


def _mount_component(mount: Mapping[str, Any]) -> dict[str, Any]:
    # A cache mount's *contents* never enter the key, only its definition; a bind's per-file
    # list ("files") is summarised by its checksum and kept in the notes.
    return {k: v for k, v in sorted(mount.items()) if k not in ("contents", "files")}


def run_key(
    parent: str,
    *,
    argv: Sequence[str],
    env: Sequence[str],
    user: str,
    workdir: str,
    platform: str,
    mounts: Sequence[Mapping[str, Any]] = (),
    network: str = "default",
    security: str = "sandbox",
) -> CacheKey:
    """RUN: parent chain key, argv (the SHELL prefix included), env, user, cwd, mounts, network."""
    return key_of(
        {
            "op": "run",
            "parent": parent,
            "argv": list(argv),
            "env": list(env),
            "user": user,
            "workdir": workdir,
            "mounts": [_mount_component(m) for m in mounts],
            "network": network,
            "security": security,
            "platform": platform,
        },
        {"mounts": {m["target"]: m["files"] for m in mounts if "files" in m}},
    )


def files_checksum(files: Mapping[str, str]) -> str:
    """One digest over ``{relative path: "type mode link content-digest"}``, names included."""
    return "sha256:" + hashlib.sha256(canonical(dict(sorted(files.items())))).hexdigest()


def copy_key(
    parent: str,
    *,
    op: str,
    source: str,
    paths: Sequence[str],
    files: Mapping[str, str],
    dest: str,
    owner: tuple[int, int] | None,
    chmod: str | None,
    extra: Mapping[str, Any] | None = None,
) -> CacheKey:
    """COPY/ADD: action (dest, owner, mode, ...) plus a content checksum of the selected sources.

    ``source`` names where the files come from: ``context``, or the chain key of a stage, or an
    image's manifest digest. ``files`` is the per-path description the checksum is made of; it
    is kept in ``notes`` so a miss can say which file changed and how.
    """
    return key_of(
        {
            "op": op,
            "parent": parent,
            "source": source,
            "paths": list(paths),
            "checksum": files_checksum(files),
            "dest": dest,
            "owner": list(owner) if owner is not None else None,
            "chmod": chmod,
            **dict(extra or {}),
        },
        {"files": dict(files)},
    )


def workdir_key(parent: str, *, path: str, owner: tuple[int, int]) -> CacheKey:
    """WORKDIR: a mkdir of the path, with parents, owned by the current USER."""
    return key_of({"op": "workdir", "parent": parent, "path": path, "owner": list(owner)})
