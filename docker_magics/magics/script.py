"""`%%container` bodies: a pasted shell block of docker commands, one verb per logical line.

Pure text handling, no IPython: continuations (a trailing backslash), comments, blank lines, and
the `docker ` prefix a tutorial's commands carry (`docker image history` and `docker container
commit` are verbs of the shared parser, cli/management.py).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

__all__ = ["Command", "split_commands", "BodyError"]

PREFIXES = ("docker", "docker-magics", "%container", "$")


class BodyError(ValueError):
    """A line of the body cannot be split into words (e.g. an unclosed quote)."""


@dataclass(frozen=True)
class Command:
    line: int  # 1-based line of the body where the command starts
    text: str  # the logical line as written (continuations joined)
    argv: list[str]  # CLI words, prefixes stripped


def _logical_lines(body: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for n, raw in enumerate(body.splitlines(), 1):
        if not buf:
            start = n
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            buf.append(stripped[:-1])
            continue
        buf.append(stripped)
        out.append((start, " ".join(part.strip() for part in buf)))
        buf = []
    if buf:
        out.append((start, " ".join(part.strip() for part in buf)))
    return out


def normalize(argv: list[str]) -> list[str]:
    """Strip a leading `docker` (and friends): the rest is a verb of the shared parser."""
    while argv and argv[0] in PREFIXES:
        argv = argv[1:]
    return argv


def split_commands(body: str) -> list[Command]:
    commands = []
    for line, text in _logical_lines(body):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        try:
            words = shlex.split(text, comments=True)
        except ValueError as exc:
            raise BodyError(f"line {line}: {exc}: {text.strip()}")
        argv = normalize(words)
        if argv:
            commands.append(Command(line, text.strip(), argv))
    return commands
