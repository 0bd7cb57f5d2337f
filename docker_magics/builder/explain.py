"""Why did a step miss? Compare its key components with a previous build's, field by field.

Pure functions over the dicts that ``cachekey`` produces and build records store. A reason is
data (``{"kind": ..., "changes": [...], "summary": "..."}``); ``summary`` is the sentence the
plain progress output and the views print, made by ``reasons.py``: words a learner can read
("build argument X changed: 1 -> 2", "COPY now takes package.json instead of the whole context
(.)"), never a Python repr or a raw chain key.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .reasons import summary_of

__all__ = [
    "env_changes_of",
    "NO_PREVIOUS",
    "NO_CACHE",
    "Context",
    "explain_miss",
    "diff_files",
    "find_previous_step",
]

NO_PREVIOUS = {"kind": "no previous build", "changes": [], "summary": "no previous build"}
NO_CACHE = {"kind": "--no-cache", "changes": [], "summary": "--no-cache"}

# Files from an image (COPY --from, a bind from a stage) also carry their owner.
_FILE_ATTRS = ("type", "mode", "link", "content", "owner")


@dataclass
class Context:
    """What this build knows around a step, for sentences that name things, not digests.

    ``parent_step`` names the step whose output this one builds on ("line 3: COPY . /src");
    ``cause`` is the first miss that parent descends from in this build (``{"step",
    "summary"}``). ``stage`` names the stage a ``FROM stage`` or ``COPY --from`` reads, with
    ``stage_cause`` the first miss in it. ``args`` are the build arguments declared in the
    stage so far, so an environment change can say "build argument X".
    """

    parent_step: str | None = None
    cause: Mapping[str, str] | None = None
    stage: str | None = None
    stage_step: str | None = None
    stage_cause: Mapping[str, str] | None = None
    args: frozenset[str] = field(default_factory=frozenset)
    # (name, old, new) of environment changes an earlier step on this chain already reported
    explained_env: frozenset[tuple[str, Any, Any]] = field(default_factory=frozenset)
    # ``RUN --mount=from=STAGE``: the stage named by each mount's ``from=``, in mount order,
    # and the first miss behind each chain key of this build (to say what changed in it)
    mount_stages: tuple[str | None, ...] = ()
    causes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _split_file(desc: str) -> dict[str, str]:
    parts = desc.split(" ", 4)
    parts += [""] * (5 - len(parts))
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


def _env_changes(old: Sequence[str], new: Sequence[str], ctx: Context) -> list[dict]:
    a = dict(item.partition("=")[::2] for item in old)
    b = dict(item.partition("=")[::2] for item in new)
    out = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name) and (name, a.get(name), b.get(name)) not in ctx.explained_env:
            change: dict[str, Any] = {
                "field": "env",
                "name": name,
                "old": a.get(name),
                "new": b.get(name),
            }
            if name in ctx.args:
                change["arg"] = True
            out.append(change)
    # Build arguments first: they are what the user changed; ENV values derived from them follow.
    out.sort(key=lambda c: not c.get("arg"))
    return out


def _mount_changes(
    old: Sequence[Mapping[str, Any]],
    new: Sequence[Mapping[str, Any]],
    old_notes: Mapping[str, Any],
    new_notes: Mapping[str, Any],
    ctx: Context,
) -> list[dict[str, Any]]:
    """One change per mount target that differs: added, removed, or what changed in it (for
    a bind of context files, which files, when the records list them)."""
    a = {str(m.get("target")): m for m in old}
    b = {str(m.get("target")): m for m in new}
    stages = {str(m.get("target")): name for m, name in zip(new, ctx.mount_stages)}
    out: list[dict[str, Any]] = []
    for target in sorted(set(a) | set(b)):
        ma, mb = a.get(target), b.get(target)
        if ma == mb:
            continue
        change: dict[str, Any] = {"field": "mount", "target": target, "old": ma, "new": mb}
        if ma and mb:
            change["options"] = sorted(
                k for k in set(ma) | set(mb) if ma.get(k) != mb.get(k) and k != "checksum"
            )
            if ma.get("from") != mb.get("from") and stages.get(target):
                change["options"].remove("from")
                change["stage"] = stages[target]
                cause = ctx.causes.get(str(mb.get("from")))
                if cause:
                    change["cause"] = dict(cause)
            if ma.get("checksum") != mb.get("checksum"):
                files_a = (old_notes.get("mounts") or {}).get(target)
                files_b = (new_notes.get("mounts") or {}).get(target)
                if files_a is not None and files_b is not None:
                    change["files"] = diff_files(files_a, files_b)
                else:
                    change["content"] = True
        out.append(change)
    return out


def _compare(
    previous: Mapping[str, Any],
    instruction: str,
    components: Mapping[str, Any],
    notes: Mapping[str, Any],
    ctx: Context,
) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    if previous.get("instruction") != instruction:
        changes.append(
            {"field": "instruction", "old": previous.get("instruction"), "new": instruction}
        )
    old = previous.get("components") or {}
    old_notes = previous.get("notes") or {}
    if old.get("op") != components.get("op"):
        # Another kind of step in that place: only the instruction text compares sensibly.
        old = {"op": components.get("op"), "parent": old.get("parent")}
        components = {"op": components.get("op"), "parent": components.get("parent")}
    for name in sorted(set(old) | set(components)):
        a, b = old.get(name), components.get(name)
        if a == b:
            continue
        if name == "env":
            changes += _env_changes(a or [], b or [], ctx)
        elif name == "mounts":
            changes += _mount_changes(a or [], b or [], old_notes, notes, ctx)
        elif name == "checksum":
            files = diff_files(old_notes.get("files") or {}, notes.get("files") or {})
            changes.append({"field": "files", "op": components.get("op"), **files})
            if ctx.stage and components.get("op") in ("copy", "add"):
                changes[-1]["stage"] = ctx.stage
        elif name == "parent":
            change: dict[str, Any] = {"field": "parent", "parent_step": ctx.parent_step}
            if ctx.cause:
                change["cause"] = dict(ctx.cause)
            changes.append(change)
        elif name in ("source", "chain") and ctx.stage:
            change = {
                "field": "stage",
                "op": components.get("op"),
                "stage": ctx.stage,
                "step": ctx.stage_step,
            }
            if ctx.stage_cause:
                change["cause"] = dict(ctx.stage_cause)
            changes.append(change)
        elif name == "image":
            refs = {"old_ref": old_notes.get("ref"), "new_ref": notes.get("ref")}
            changes.append({"field": "image", "old": a, "new": b, **refs})
        else:
            changes.append({"field": name, "op": components.get("op"), "old": a, "new": b})
    return changes


def explain_miss(
    instruction: str,
    components: Mapping[str, Any],
    notes: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    ctx: Context | None = None,
    **names: Any,
) -> dict[str, Any]:
    """The reason a step missed, against ``previous`` (a step object of an earlier record).

    ``ctx`` (or its fields as keyword arguments) names what the sentences refer to; with a
    ``cause``, the summary says what changed at the root (``parent step changed (line 3: COPY .
    /src): context files changed: index.js (content)``).
    """
    if previous is None:
        return dict(NO_PREVIOUS)
    ctx = ctx or Context(**names)
    changes = _compare(previous, instruction, components, notes, ctx)
    # Say the most specific thing first: a changed instruction or input, then the parent.
    changes.sort(key=lambda c: c["field"] == "parent")
    if not changes:
        if previous.get("error"):
            summary = "this step failed in the previous build; running it again"
            return {"kind": "failed before", "changes": [], "summary": summary}
        summary = "cache entry not found (pruned or made by another store)"
        return {"kind": "cache entry missing", "changes": [], "summary": summary}
    kind = "parent changed" if all(c["field"] == "parent" for c in changes) else "changed"
    reason: dict[str, Any] = {
        "kind": kind,
        "changes": changes,
        "summary": summary_of(instruction, changes),
    }
    if kind == "parent changed" and ctx.cause:
        reason["cause"] = dict(ctx.cause)
    return reason


def _closest(candidates: list[Mapping[str, Any]], index: int) -> Mapping[str, Any] | None:
    if not candidates:
        return None
    return min(candidates, key=lambda s: abs(int(s.get("index") or 0) - index))


def find_previous_step(
    steps: Sequence[Mapping[str, Any]],
    stage: str,
    index: int,
    components: Mapping[str, Any],
    instruction: str | None = None,
    taken: Collection[int] = (),
    kept: Collection[str] = (),
) -> Mapping[str, Any] | None:
    """The closest step of a previous build to compare with.

    The same instruction in the same stage comes first (after the same parent state if there
    are several): instructions that only edit the config share their parent state, so the
    parent alone cannot tell an ``ARG`` from the ``ENV`` after it. Then a step of the same
    operation on the same parent (an edited instruction), then the same operation nearest
    the same position (an edited line with lines added or removed before it); never a step
    of another kind. Steps in
    ``taken`` (ids already compared with an earlier step of this build) are passed over, and
    so are, for an edited step, those whose text is in ``kept`` (this build's own lines).
    """
    same_stage = [s for s in steps if s.get("stage") == stage and s.get("id") not in taken]
    parent = components.get("parent")
    op = components.get("op")
    if instruction is not None:
        same_text = [s for s in same_stage if s.get("instruction") == instruction]
        same_parent = [s for s in same_text if (s.get("components") or {}).get("parent") == parent]
        found = _closest(same_parent or same_text, index)
        if found is not None:
            return found
    # A step whose exact text this build still has is kept for that step (it moved).
    same_stage = [s for s in same_stage if s.get("instruction") not in kept]
    for s in same_stage:
        comp = s.get("components") or {}
        if parent is not None and op != "meta" and comp.get("parent") == parent:
            if comp.get("op") == op:
                return s
    # an edited line after inserted or removed ones: the same operation nearest its place
    # Another kind of step in its place is not this step's old self: it is a new step.
    same_op = [s for s in same_stage if (s.get("components") or {}).get("op") == op]
    return _closest(same_op, index) if op != "meta" else None


def env_changes_of(reason: Mapping[str, Any] | None) -> frozenset[tuple[str, Any, Any]]:
    """The environment changes a reason reports, to pass on down its chain (``Context``)."""
    return frozenset(
        (c["name"], c.get("old"), c.get("new"))
        for c in (reason or {}).get("changes") or []
        if c.get("field") == "env"
    )
