"""Why did a step miss? Compare its key components with a previous build's, field by field.

Pure functions over the dicts that ``cachekey`` produces and build records store. A reason is
data (``{"kind": ..., "changes": [...], "summary": "..."}``); ``summary`` is the one line the
plain progress output prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["NO_PREVIOUS", "NO_CACHE", "explain_miss", "diff_files", "find_previous_step"]

NO_PREVIOUS = {"kind": "no previous build", "changes": [], "summary": "no previous build"}
NO_CACHE = {"kind": "--no-cache", "changes": [], "summary": "--no-cache"}

_FILE_ATTRS = ("type", "mode", "link", "content")


def _split_file(desc: str) -> dict[str, str]:
    parts = desc.split(" ", 3)
    parts += [""] * (4 - len(parts))
    return dict(zip(_FILE_ATTRS, parts))


def diff_files(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, Any]:
    """Added, removed and changed paths; for a change, which attributes differ."""
    changed = []
    for path in sorted(set(old) & set(new)):
        if old[path] != new[path]:
            a, b = _split_file(old[path]), _split_file(new[path])
            changed.append({"path": path, "attributes": [k for k in _FILE_ATTRS if a[k] != b[k]]})
    return {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": changed,
    }


def _env_changes(old: Sequence[str], new: Sequence[str]) -> list[dict[str, Any]]:
    a = dict(item.partition("=")[::2] for item in old)
    b = dict(item.partition("=")[::2] for item in new)
    out = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            out.append({"field": "env", "name": name, "old": a.get(name), "new": b.get(name)})
    return out


def _files_summary(change: Mapping[str, Any]) -> str:
    bits = [f"+{p}" for p in change["added"]] + [f"-{p}" for p in change["removed"]]
    bits += [f"{c['path']} ({', '.join(c['attributes'])})" for c in change["changed"]]
    shown = ", ".join(bits[:5]) + (f" and {len(bits) - 5} more" if len(bits) > 5 else "")
    paths = change["added"] + change["removed"] + [c["path"] for c in change["changed"]]
    where = "remote files" if paths and all("://" in p for p in paths) else "context files"
    return f"{where} changed: {shown}" if shown else "source files changed"


def _summary(change: Mapping[str, Any]) -> str:
    kind = change["field"]
    if kind == "parent":
        where = change.get("parent_step")
        text = f"parent step changed ({where})" if where else "parent step changed"
        cause = change.get("cause")
        if cause and cause.get("summary"):
            if cause.get("step") and cause["step"] != where:
                text += f", after {cause['step']}"
            text += f": {cause['summary']}"
        return text
    if kind == "source" and change.get("source_step"):
        return f"--from source changed ({change['source_step']})"
    if kind == "image":
        return f"base image changed ({change['old']} -> {change['new']})"
    if kind == "env":
        return f"{change['name']} changed: {change['old']!r} -> {change['new']!r}"
    if kind == "files":
        return _files_summary(change)
    if kind == "instruction":
        return f"instruction changed: {change['old']!r} -> {change['new']!r}"
    return f"{kind} changed: {change.get('old')!r} -> {change.get('new')!r}"


def explain_miss(
    instruction: str,
    components: Mapping[str, Any],
    notes: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    *,
    parent_step: str | None = None,
    source_step: str | None = None,
    cause: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The reason a step missed, against ``previous`` (a step object of an earlier record).

    ``parent_step`` names the step whose output this one builds on ("line 3: COPY . /src"), for
    the summary when the parent is what changed; ``source_step`` likewise names the last step
    of the stage a ``COPY --from`` reads. ``cause`` is the first miss the parent descends from
    in this build (``{"step": ..., "summary": ...}``): the summary then says what changed at
    the root (``parent step changed (line 3: COPY . /src): context files changed: index.js``).
    """
    if previous is None:
        return dict(NO_PREVIOUS)
    changes: list[dict[str, Any]] = []
    if previous.get("instruction") != instruction:
        changes.append(
            {"field": "instruction", "old": previous.get("instruction"), "new": instruction}
        )
    old = previous.get("components") or {}
    if old.get("op") != components.get("op"):
        # Another kind of step in that place: only the instruction text compares sensibly.
        old = {"op": components.get("op"), "parent": old.get("parent")}
        components = {"op": components.get("op"), "parent": components.get("parent")}
    for name in sorted(set(old) | set(components)):
        a, b = old.get(name), components.get(name)
        if a == b:
            continue
        if name == "env":
            changes += _env_changes(a or [], b or [])
        elif name == "checksum":
            files = diff_files(
                (previous.get("notes") or {}).get("files") or {}, notes.get("files") or {}
            )
            changes.append({"field": "files", **files})
        elif name == "parent":
            change: dict[str, Any] = {"field": "parent", "parent_step": parent_step}
            if cause:
                change["cause"] = dict(cause)
            changes.append(change)
        elif name == "source" and source_step:
            changes.append({"field": "source", "old": a, "new": b, "source_step": source_step})
        else:
            changes.append({"field": name, "old": a, "new": b})
    # Say the most specific thing first: a changed instruction or input, then the parent.
    changes.sort(key=lambda c: c["field"] == "parent")
    if not changes:
        summary = "cache entry not found (pruned or made by another store)"
        return {"kind": "cache entry missing", "changes": [], "summary": summary}
    own = [c for c in changes if c["field"] not in ("parent", "instruction")] or changes
    summary = "; ".join(_summary(c) for c in own[:3])
    kind = "parent changed" if all(c["field"] == "parent" for c in changes) else "changed"
    reason: dict[str, Any] = {"kind": kind, "changes": changes, "summary": summary}
    if kind == "parent changed" and cause:
        reason["cause"] = dict(cause)
    return reason


def find_previous_step(
    steps: Sequence[Mapping[str, Any]], stage: str, index: int, components: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The closest step of a previous build to compare with.

    Prefer a step of the same stage with the same operation and the same parent (it followed
    the same state, so whatever differs is this step's own doing); else the step at the same
    position in the same stage; else none.
    """
    same_stage = [s for s in steps if s.get("stage") == stage]
    parent = components.get("parent")
    op = components.get("op")
    for s in same_stage:
        comp = s.get("components") or {}
        if parent is not None and comp.get("parent") == parent and comp.get("op") == op:
            return s
    for s in same_stage:
        if s.get("index") == index:
            return s
    return None
