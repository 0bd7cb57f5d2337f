"""Heredoc detection: which words of a RUN/COPY/ADD line open a ``<<NAME`` body.

BuildKit finds them by shell-splitting the line (quotes and escapes kept) and matching each
word against ``[fd]<<[-]NAME``. The delimiter is then lexed twice, with and without quote
removal: if the quote counts differ, part of the delimiter was quoted and the body must not be
expanded (``<<"EOF"``, ``<<'EOF'``, ``<<E"O"F``). Only the backslash escapes here, whatever the
``escape`` directive says, as in BuildKit.
"""

from __future__ import annotations

import re

from ..errors import DockerfileError
from .expand import process_word
from .nodes import Heredoc, Node

__all__ = ["HeredocError", "can_contain_heredoc", "chomp", "heredocs_from_line", "parse_heredoc"]

# [fd]<<[-][blanks]WORD, where WORD has no further "<".
_HEREDOC = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)\Z")
_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)
_HEREDOC_INSTRUCTIONS = frozenset({"run", "copy", "add"})


class HeredocError(ValueError):
    """The heredoc delimiter itself cannot be lexed."""


def can_contain_heredoc(node: Node) -> bool:
    """RUN, COPY and ADD in shell form may carry heredocs, also as an ONBUILD trigger."""
    if node.instruction == "onbuild" and node.child is not None:
        node = node.child
    return node.instruction in _HEREDOC_INSTRUCTIONS and not node.json


def _quote_count(text: str) -> int:
    return text.count("'") + text.count('"')


def parse_heredoc(word: str) -> Heredoc | None:
    """The heredoc opened by one shell word such as ``<<-"EOF"``, or None if it is not one."""
    match = _HEREDOC.match(word)
    if match is None or not match.group(3):
        return None
    rest = match.group(3)
    try:
        plain = process_word(rest, {}, skip_unset_env=True)
        raw = process_word(rest, {}, raw_quotes=True, skip_unset_env=True)
    except DockerfileError as exc:
        raise HeredocError(exc.message) from None
    if len(plain.words) != 1:
        return None
    if len(raw.words) != 1:
        raise HeredocError(f"internal lexing of heredoc produced inconsistent results: {rest}")
    name = plain.words[0]
    return Heredoc(
        name=name,
        file_descriptor=int(match.group(1) or 0),
        expand=_quote_count(name) == _quote_count(raw.words[0]),
        chomp=match.group(2) == "-",
    )


def heredocs_from_line(line: str) -> list[Heredoc]:
    """Every heredoc opened on an instruction line, in order."""
    try:
        words = process_word(line, {}, raw_quotes=True, raw_escapes=True, skip_unset_env=True).words
    except DockerfileError:
        # BuildKit ignores lexing errors of the whole line here and finds no heredocs.
        words = ()
    found = []
    for word in words:
        heredoc = parse_heredoc(word)
        if heredoc is not None:
            found.append(heredoc)
    return found


def chomp(content: str) -> str:
    """Strip leading tabs from every line, as ``<<-`` asks."""
    return _LEADING_TABS.sub("", content)
