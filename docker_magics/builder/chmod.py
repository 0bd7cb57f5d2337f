"""``--chmod`` values: octal (``0755``) or symbolic (``u=rwX,go=rX``, ``+x``), as chmod(1)."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import DockerfileError

__all__ = ["parse_chmod"]

_SYMBOLIC = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*)$")
_WHO = {"u": 0o4700, "g": 0o2070, "o": 0o1007}
_PERM = {"r": 0o444, "w": 0o222, "x": 0o111, "s": 0o6000, "t": 0o1000}


def _error(where: DockerfileError, text: str) -> DockerfileError:
    return DockerfileError(
        f"invalid chmod parameter {text!r}: it should be octal string and between 0 and 07777, "
        "or a symbolic mode such as u=rwX,go=rX",
        filename=where.filename,
        line=where.line,
        end_line=where.end_line,
        source=where.source,
    )


def parse_chmod(text: str, where: DockerfileError) -> Callable[[int, bool], int]:
    """A function (old mode, is_dir) -> new mode; raises a located DockerfileError."""
    if re.fullmatch(r"[0-7]+", text):
        value = int(text, 8)
        if value > 0o7777:
            raise _error(where, text)
        return lambda _mode, _is_dir: value
    clauses = []
    for clause in text.split(","):
        m = _SYMBOLIC.match(clause)
        if not m:
            raise _error(where, text)
        clauses.append(m.groups())

    def apply(mode: int, is_dir: bool) -> int:
        for who, op, perms in clauses:
            mask = 0
            for w in who or "a":
                mask |= 0o7777 if w == "a" else _WHO[w]
            bits = 0
            for p in perms:
                if p == "X":
                    if is_dir or mode & 0o111:
                        bits |= 0o111
                else:
                    bits |= _PERM[p]
            bits &= mask
            if op == "+":
                mode |= bits
            elif op == "-":
                mode &= ~bits
            else:
                mode = (mode & ~(mask & 0o7777)) | bits
        return mode & 0o7777

    return apply
