"""A miss's changes (``explain.py``) as sentences a learner can read.

Values are printed as text, never as Python reprs: lists joined with spaces or commas, an unset
value said in words, digests shortened to what a person compares by eye. The first sentence is
the change the user made (an instruction, a build argument, a file); what follows from it (a
parent step, an argv that the edited instruction implies) is left out or comes last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["summary_of", "change_sentence", "files_text", "value_text"]

_MAX_FILES = 5
_MAX_SENTENCES = 3
# Changes that come from outside the instruction's text: still worth saying when it was edited.
_INPUTS = ("env", "files", "mount", "stage")
_NAMES = {
    "user": "the user",
    "workdir": "the working directory",
    "network": "the network mode (--network)",
    "security": "the security mode (--security)",
    "platform": "the platform",
    "owner": "the owner (--chown)",
    "chmod": "the mode (--chmod)",
    "dest": "the destination",
    "link": "--link",
    "keep_git_dir": "--keep-git-dir",
    "checksum_flag": "--checksum",
    "exclude": "--exclude",
    "parents": "--parents",
    "url": "the URL",
}


def value_text(value: Any) -> str:
    """A component value as a person writes it: lists space-separated, mappings as k=v."""
    if value is None:
        return "(not set)"
    if isinstance(value, str):
        if value.startswith("sha256:") and len(value) == 71:
            return value[7:19]
        return value if value else "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return " ".join(f"{k}={value_text(v)}" for k, v in value.items()) or "(none)"
    if isinstance(value, Sequence):
        return " ".join(value_text(v) for v in value) or "(none)"
    return str(value)


def files_text(change: Mapping[str, Any]) -> str:
    """``a.txt (content), b.txt (added), c.txt (removed)``, at most five, then a count."""
    bits = [f"{c['path']} ({', '.join(c['attributes'])})" for c in change.get("changed") or []]
    bits += [f"{p} (added)" for p in change.get("added") or []]
    bits += [f"{p} (removed)" for p in change.get("removed") or []]
    shown = ", ".join(bits[:_MAX_FILES])
    return shown + (f" and {len(bits) - _MAX_FILES} more" if len(bits) > _MAX_FILES else "")


def _files(change: Mapping[str, Any]) -> str:
    shown = files_text(change)
    paths = list(change.get("added") or []) + list(change.get("removed") or [])
    paths += [c["path"] for c in change.get("changed") or []]
    if change.get("stage"):
        where = f"files from stage {change['stage']} changed"
    elif paths and all("://" in p for p in paths):
        where = "remote files changed"
    elif paths and all(p.startswith("/") for p in paths):
        where = "--from source files changed"  # image paths (stagefiles.py); context's are relative
    else:
        where = "context files changed"
    return f"{where}: {shown}" if shown else "source files changed"


def _sources(paths: Any) -> str:
    words = [p for p in (paths or []) if isinstance(p, str)]
    if words in (["."], ["./"], ["/"]):
        return f"the whole context ({words[0]})"
    return ", ".join(words) or "nothing"


def _env(change: Mapping[str, Any]) -> str:
    what = "build argument" if change.get("arg") else "environment variable"
    name, old, new = change["name"], change.get("old"), change.get("new")
    if old is None:
        return f"{what} {name} is now set: {value_text(new)}"
    if new is None:
        return f"{what} {name} is no longer set (was {value_text(old)})"
    return f"{what} {name} changed: {value_text(old)} -> {value_text(new)}"


def _mount(change: Mapping[str, Any]) -> str:
    old, new, target = change.get("old"), change.get("new"), change["target"]
    if old is None:
        return f"new mount at {target} ({value_text(new)})"
    if new is None:
        return f"the mount at {target} is gone ({value_text(old)})"
    parts = []
    if change.get("stage"):
        cause = change.get("cause") or {}
        at = f" at {_at(cause['step'])}" if cause.get("step") else ""
        parts.append(
            f"files mounted at {target} from stage {change['stage']} changed{at}"
            + _cause_text(cause)
        )
    if change.get("files") is not None:
        parts.append(f"files mounted at {target} changed: {files_text(change['files'])}")
    elif change.get("content"):
        source = new.get("source") or "."
        parts.append(f"files mounted at {target} changed: {_sources([source])} (content)")
    for key in change.get("options") or []:
        parts.append(
            f"mount at {target}: {key} {value_text(old.get(key))} -> {value_text(new.get(key))}"
        )
    return "; ".join(parts) or f"the mount at {target} changed"


def _cause_text(cause: Mapping[str, Any] | None) -> str:
    return f": {cause['summary']}" if cause and cause.get("summary") else ""


def _parent(change: Mapping[str, Any]) -> str:
    where = change.get("parent_step")
    text = f"parent step changed ({where})" if where else "parent step changed"
    cause = change.get("cause")
    if cause and cause.get("step") and cause["step"] != where:
        text += f", after {cause['step']}"
    return text + _cause_text(cause)


def _image(change: Mapping[str, Any]) -> str:
    """``base image changed: busybox -> busybox:other (now 1a2b3c4d5e6f, was 9f8e7d6c5b4a)``;
    the same name with new content is a pull or a rebuild of that tag."""
    new, old = value_text(change["new"]), value_text(change["old"])
    a, b = change.get("old_ref"), change.get("new_ref")
    names = f": {a} -> {b}" if a and b and a != b else f": {b}" if b else ""
    return f"base image changed{names} (now {new}, was {old})"


def _at(label: str) -> str:
    """ "line 3: COPY . /src" -> "line 3 (COPY . /src)", to read inside a sentence."""
    head, sep, rest = label.partition(": ")
    return f"{head} ({rest})" if sep and head.startswith("line ") else label


def _stage(change: Mapping[str, Any], op: str) -> str:
    cause = change.get("cause")
    at = (cause or {}).get("step") or change.get("step")
    text = f"stage {change['stage']} changed" + (f" at {_at(at)}" if at else "")
    text += _cause_text(cause)
    return f"--from source changed: {text}" if op in ("copy", "add") else f"base {text}"


def change_sentence(change: Mapping[str, Any], instruction: str = "") -> str:
    kind = change["field"]
    op = str(change.get("op") or "")
    verb = instruction.split(" ", 1)[0].upper() or op.upper()
    if kind == "parent":
        return _parent(change)
    if kind == "stage":
        return _stage(change, op)
    if kind == "image":
        return _image(change)
    if kind == "env":
        return _env(change)
    if kind == "files":
        return _files(change)
    if kind == "mount":
        return _mount(change)
    if kind == "paths":
        return f"{verb} now takes {_sources(change['new'])} instead of {_sources(change['old'])}"
    if kind == "instruction":
        return f"instruction changed, was: {change['old']}"
    if kind == "argv":
        return f"the command changed: {value_text(change['old'])} -> {value_text(change['new'])}"
    name = _NAMES.get(kind, kind)
    return f"{name} changed: {value_text(change.get('old'))} -> {value_text(change.get('new'))}"


def summary_of(instruction: str, changes: Sequence[Mapping[str, Any]]) -> str:
    """Up to three sentences, the user's own change first.

    An edited instruction leads, said once: what its text implies (the argv of a RUN, the
    destination of a COPY) is not repeated, and a COPY whose sources changed says so in words
    instead of listing every old file as removed. Inputs from outside the text (build
    arguments, files, mounts, stages, the base image) follow. The parent comes only when
    nothing else changed.
    """
    fields = {c["field"] for c in changes}
    own = [c for c in changes if c["field"] != "parent"]
    if "instruction" in fields:
        # a COPY's sources and a FROM's image say in words what the edit did
        lead = [c for c in own if c["field"] in ("paths", "image")] or [
            c for c in own if c["field"] == "instruction"
        ]
        inputs = [c for c in own if c["field"] in _INPUTS]
        if "paths" in fields:
            inputs = [c for c in inputs if c["field"] != "files"]
        own = lead + inputs
    chosen = own or list(changes)
    sentences = dict.fromkeys(change_sentence(c, instruction) for c in chosen)  # each once
    return "; ".join(list(sentences)[:_MAX_SENTENCES])
