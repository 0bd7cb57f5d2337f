"""Parser directives: the ``# syntax=``, ``# escape=`` and ``# check=`` block at the top.

Directives are only honoured before anything else: the first line that is not a directive
(an ordinary comment, a blank line, an instruction, or an unknown ``# key=value``) ends the
block for good, so a later ``# escape=`` is just a comment. Keys are case-insensitive and each
may appear once.
"""

from __future__ import annotations

import re

from ._gostr import GO_SPACE

__all__ = ["DIRECTIVE_NAMES", "DirectiveError", "DirectiveScanner"]

DIRECTIVE_NAMES = frozenset({"syntax", "escape", "check"})

# "# key = value": the key starts with a letter; the value is trimmed. The whitespace class is
# Go's regexp \s (no vertical tab), spelled out because Python's \s also matches Unicode spaces.
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z")


class DirectiveError(ValueError):
    """A repeated directive or an invalid escape token; the parser adds the line."""


class DirectiveScanner:
    """Feed it lines in order; it records directives until the block ends."""

    def __init__(self) -> None:
        self.done = False
        self.values: dict[str, str] = {}
        self.escape = "\\"

    def feed(self, line: str) -> bool:
        """Look at one line (already stripped of its newline); True if it was a directive."""
        if self.done:
            return False
        if not line.startswith("#"):
            self.done = True
            return False
        match = _DIRECTIVE.match(line[1:].lstrip(GO_SPACE))
        key = match.group(1).lower() if match else ""
        if match is None or key not in DIRECTIVE_NAMES:
            self.done = True
            return False
        if key in self.values:
            raise DirectiveError(f"only one {key} parser directive can be used")
        value = match.group(2)
        if key == "escape":
            if value not in ("\\", "`"):
                raise DirectiveError(f"invalid escape token '{value}' does not match ` or \\")
            self.escape = value
        self.values[key] = value
        return True
