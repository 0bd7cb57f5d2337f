"""Go's ``filepath.Match`` and Docker's ``.dockerignore`` pattern rules, as regexes. No I/O.

``filepath.Match``: ``*`` is any run of non-``/`` characters, ``?`` one non-``/`` character,
``[...]``/``[^...]`` a class (never matching ``/``), ``\\`` escapes the next character. Docker's
patternmatcher (moby/patternmatcher) adds ``**``: any number of directories, including none.

``.dockerignore`` (shared/notes/cache-and-dockerfile-semantics.md, section 10): lines trimmed,
``#`` at column 1 a comment, a leading ``/`` dropped and the rest cleaned, ``!`` re-includes, the
last matching line wins, patterns anchored at the context root, and a pattern matching a parent
directory matches everything below it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

__all__ = ["PatternError", "go_match", "glob_regex", "has_magic", "IgnoreRules", "parse_ignore"]


class PatternError(ValueError):
    """A malformed pattern (``filepath.ErrBadPattern``)."""


def has_magic(text: str) -> bool:
    return any(ch in text for ch in "*?[\\")


def _class(pattern: str, i: int) -> tuple[str, int]:
    """Translate ``[...]`` starting at ``pattern[i] == "["``; returns (regex, next index)."""
    j = i + 1
    negate = j < len(pattern) and pattern[j] == "^"
    if negate:
        j += 1
    parts: list[str] = []
    first = True
    while True:
        if j >= len(pattern):
            raise PatternError(f"unterminated character class in {pattern!r}")
        ch = pattern[j]
        if ch == "]" and not first:
            j += 1
            break
        first = False
        if ch == "\\":
            j += 1
            if j >= len(pattern):
                raise PatternError(f"trailing backslash in {pattern!r}")
            ch = pattern[j]
        lo = ch
        j += 1
        if j + 1 < len(pattern) and pattern[j] == "-" and pattern[j + 1] != "]":
            hi = pattern[j + 1]
            if hi == "\\":
                j += 1
                if j + 1 >= len(pattern):
                    raise PatternError(f"trailing backslash in {pattern!r}")
                hi = pattern[j + 1]
            if hi < lo:
                raise PatternError(f"bad range {lo}-{hi} in {pattern!r}")
            parts.append(f"{re.escape(lo)}-{re.escape(hi)}")
            j += 2
        else:
            parts.append(re.escape(lo))
    body = "".join(parts)
    return (f"(?!/)[^{body}]" if negate else f"(?!/)[{body}]"), j


def glob_regex(pattern: str, *, double_star: bool = False) -> str:
    """The regex (without anchors) for a Go pattern; ``double_star`` adds Docker's ``**``."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if double_star and pattern.startswith("**", i):
                i += 2
                if pattern.startswith("/", i):  # "**/" : zero or more directories
                    out.append("(?:.*/)?")
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            regex, i = _class(pattern, i)
            out.append(regex)
            continue
        elif ch == "\\":
            i += 1
            if i >= len(pattern):
                raise PatternError(f"trailing backslash in {pattern!r}")
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def go_match(pattern: str, name: str) -> bool:
    """``filepath.Match(pattern, name)`` on slash-separated names."""
    return re.fullmatch(glob_regex(pattern), name, re.DOTALL) is not None


@dataclass(frozen=True)
class _Rule:
    text: str
    exclusion: bool  # a "!pattern" line: matching re-includes
    regex: re.Pattern[str]
    depth: int  # number of path components in the pattern


class IgnoreRules:
    """Compiled ``.dockerignore`` lines; ``ignored(path)`` for slash-separated relative paths."""

    def __init__(self, rules: list[_Rule]) -> None:
        self.rules = rules
        self.has_exclusions = any(r.exclusion for r in rules)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def ignored(self, path: str) -> bool:
        parts = path.split("/")
        matched = False
        for rule in self.rules:
            hit = rule.regex.fullmatch(path) is not None
            if not hit and len(parts) > 1 and rule.depth <= len(parts) - 1:
                # Like patternmatcher: a pattern matching a parent directory matches the path.
                hit = rule.regex.fullmatch("/".join(parts[: rule.depth])) is not None
            if hit:
                matched = not rule.exclusion
        return matched


def parse_ignore(text: str) -> IgnoreRules:
    rules = []
    for raw in text.splitlines():
        if raw.startswith("#"):
            continue
        line = raw.strip()
        if not line:
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        line = posixpath.normpath(line.lstrip("/")) if line.lstrip("/") else "."
        if line == ".":
            continue  # Docker ignores patterns that clean to the root
        try:
            regex = re.compile(glob_regex(line, double_star=True), re.DOTALL)
        except (PatternError, re.error) as exc:
            raise PatternError(f"invalid .dockerignore pattern {raw.strip()!r}: {exc}") from None
        rules.append(_Rule(line, exclusion, regex, line.count("/") + 1))
    return IgnoreRules(rules)
