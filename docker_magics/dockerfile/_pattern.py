"""Shell glob patterns for ``${V#p}``, ``${V%p}`` and ``${V/p/r}``.

BuildKit turns the pattern into a regular expression (``*`` and ``?`` only, no bracket
expressions) and leans on the regexp engine for matching. Python's ``re`` has the same
leftmost-first semantics for these simple expressions, so we do the same. Two Go quirks are
kept on purpose because they are observable: replace-all skips an empty match that abuts the
previous match, and its replacement text is a Go regexp template (``$0`` is the whole match).
"""

from __future__ import annotations

import re

__all__ = ["PatternError", "replace", "trim_prefix", "trim_suffix", "to_regex"]


class PatternError(ValueError):
    """An invalid pattern; the caller adds the Dockerfile location."""


# Names in a Go regexp template: $name or ${name}, made of letters, digits and underscores.
_TEMPLATE_REF = re.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")


def to_regex(pattern: str, *, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """Compile a shell pattern; ``greedy`` picks the longest ``*`` match instead of the shortest."""
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            # "\}" and "\/" were needed to get the character into ${...}; they mean the
            # character itself, which the next loop turn adds literally.
            nxt = pattern[i] if i < n else ""
            if nxt in ("}", "/"):
                continue
            if nxt not in ("*", "?", "\\"):
                raise PatternError(f"invalid escape '\\{nxt}'")
            out.append(re.escape(nxt))
            i += 1
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out))


def trim_prefix(pattern: str, value: str, *, greedy: bool) -> str:
    """``${V#p}`` (shortest) and ``${V##p}`` (longest)."""
    match = to_regex(pattern, greedy=greedy, anchored=True).match(value)
    return value[match.end() :] if match else value


def _reverse_pattern(pattern: str) -> str:
    # Reverse the pattern but keep each "\x" escape pair in its original order.
    tokens: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            tokens.append(pattern[i : i + 2])
            i += 2
        else:
            tokens.append(pattern[i])
            i += 1
    return "".join(reversed(tokens))


def trim_suffix(pattern: str, value: str, *, greedy: bool) -> str:
    """``${V%p}`` and ``${V%%p}``.

    A regexp cannot find the shortest match that ends at the end of the string, so both the
    pattern and the value are reversed and the job becomes a prefix trim.
    """
    trimmed = trim_prefix(_reverse_pattern(pattern), value[::-1], greedy=greedy)
    return trimmed[::-1]


def _expand_template(template: str, match: re.Match[str]) -> str:
    # Go's Regexp.Expand: $$ is "$", $0 is the whole match, any other (unknown) name is empty.
    def ref(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name is None:
            return "$"
        return match.group(0) if name.isascii() and name.isdigit() and int(name) == 0 else ""

    return _TEMPLATE_REF.sub(ref, template)


def _replace_all(rx: re.Pattern[str], value: str, replacement: str) -> str:
    out: list[str] = []
    last_end = 0
    search = 0
    while search <= len(value):
        match = rx.search(value, search)
        if match is None:
            break
        start, end = match.span()
        out.append(value[last_end:start])
        # An empty match right after the previous match is not replaced (Go, unlike Python).
        if end > last_end or start == 0:
            out.append(_expand_template(replacement, match))
        last_end = end
        search = max(search + 1, end)
    out.append(value[last_end:])
    return "".join(out)


def replace(pattern: str, value: str, replacement: str, *, replace_all: bool) -> str:
    """``${V/p/r}`` (first match) and ``${V//p/r}`` (all matches); ``*`` is greedy here."""
    rx = to_regex(pattern, greedy=True, anchored=False)
    if replace_all:
        return _replace_all(rx, value, replacement)
    match = rx.search(value)
    if match is None:
        return value
    return value[: match.start()] + replacement + value[match.end() :]
