"""Dockerfile text -> parse tree (``ParseResult``), compatible with BuildKit's parser.

What happens here, in order, for each physical line:

* the leading directive block is read (``directives.py``);
* comment lines are dropped, also in the middle of a continued instruction;
* a line ending in the escape token (plus optional blanks) continues on the next line; blank
  continuation lines are skipped with a warning, as BuildKit does;
* the logical line is split into keyword, ``--flags`` and arguments (``line_parsers.py``);
* RUN/COPY/ADD (also behind ONBUILD) in shell form may open heredocs, whose bodies are the
  following physical lines up to the terminator (``heredocs.py``).

Unknown keywords are kept: BuildKit's parser accepts them and reports them only when typing
instructions, which ``instructions`` does with a "did you mean" suggestion.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NoReturn

from ..errors import DockerfileError
from ._gostr import GO_SPACE, go_lower
from .directives import DirectiveError, DirectiveScanner
from .heredocs import HeredocError, can_contain_heredoc, heredocs_from_line
from .line_parsers import LINE_PARSERS, LineError, split_command
from .nodes import Heredoc, Node, ParseResult, ParseWarning

__all__ = ["parse", "node_from_line"]


class _Lines:
    """Physical lines with their endings, and the 1-based number of the last one read."""

    def __init__(self, text: str) -> None:
        # Only "\n" ends a line (not the many separators str.splitlines knows); a "\r" before it
        # is trimmed later, together with the "\n".
        pieces = text.split("\n")
        self._lines = [piece + "\n" for piece in pieces[:-1]]
        if pieces[-1]:
            self._lines.append(pieces[-1])
        self.number = 0

    def next(self) -> str | None:
        if self.number >= len(self._lines):
            return None
        self.number += 1
        return self._lines[self.number - 1]


def _trim_newline(line: str) -> str:
    return line.rstrip("\r\n")


def _is_comment(line: str) -> bool:
    return line.lstrip(GO_SPACE).startswith("#")


def _trim_continuation(line: str, escape: str) -> tuple[str, bool]:
    """Remove a trailing escape token; return the line and whether the instruction ends here.

    An escape token preceded by another one is an escaped escape, not a continuation (this is
    what makes ``ENV C trailing\\\\`` end the instruction).
    """
    body = line.rstrip(" \t")
    if body.endswith(escape) and (len(body) == 1 or body[-2] != escape):
        return body[:-1], False
    return line, True


def node_from_line(line: str, escape: str, comments: tuple[str, ...] = ()) -> Node:
    """Parse one logical line (continuations already joined) into a node without location."""
    keyword, flags, rest = split_command(line, escape)
    instruction = go_lower(keyword)
    if instruction == "onbuild":
        child = node_from_line(rest, escape) if rest else None
        return Node(keyword, flags=flags, child=child, original=line, comments=comments)
    line_parser = LINE_PARSERS.get(instruction)
    if line_parser is None:
        return Node(keyword, flags=flags, original=line, comments=comments)
    parsed = line_parser(rest, escape)
    return Node(keyword, parsed.args, flags, parsed.json, original=line, comments=comments)


class _Parser:
    def __init__(self, text: str, filename: str) -> None:
        self.lines = _Lines(text.removeprefix("\ufeff"))
        self.filename = filename
        self.directives = DirectiveScanner()
        self.nodes: list[Node] = []
        self.warnings: list[ParseWarning] = []
        self.comments: list[str] = []

    def error(self, message: str, start: int, end: int | None = None, source: str = "") -> NoReturn:
        raise DockerfileError(
            message, filename=self.filename, line=start, end_line=end, source=source or None
        )

    def directive(self, line: str) -> bool:
        try:
            return self.directives.feed(line)
        except DirectiveError as exc:
            self.error(str(exc), self.lines.number)

    def run(self) -> ParseResult:
        while (raw := self.lines.next()) is not None:
            self.first_line(raw)
        if not self.nodes:
            self.error("file with no instructions", max(self.lines.number, 1))
        return ParseResult(
            tuple(self.nodes),
            self.directives.escape,
            tuple(self.directives.values.items()),
            tuple(self.warnings),
        )

    def first_line(self, raw: str) -> None:
        """Handle a line that may start an instruction."""
        if _is_comment(raw):
            comment = raw[1:].strip(GO_SPACE)
            self.comments = self.comments + [comment] if comment else []
        line = _trim_newline(raw).lstrip(GO_SPACE)
        if self.directive(line):
            self.comments = self.comments[:-1]
        if _is_comment(line):
            line = ""
        start = self.lines.number
        line, ended = _trim_continuation(line, self.directives.escape)
        if ended and not line:
            return
        logical = self.continuation(line, ended)
        self.instruction(logical, start)

    def continuation(self, line: str, ended: bool) -> str:
        """Join the continuation lines of an instruction."""
        parts = [line]
        empty_seen = False
        while not ended and (raw := self.lines.next()) is not None:
            body = _trim_newline(raw)
            self.directive(body)
            if _is_comment(raw):
                continue
            if not body.lstrip(GO_SPACE):
                empty_seen = True
                continue
            body, ended = _trim_continuation(body, self.directives.escape)
            parts.append(body)
        logical = "".join(parts)
        if empty_seen:
            self.warnings.append(
                ParseWarning("Empty continuation line found in: " + logical, self.lines.number)
            )
        return logical

    def instruction(self, logical: str, start: int) -> None:
        try:
            node = node_from_line(logical, self.directives.escape, tuple(self.comments))
        except LineError as exc:
            self.error(str(exc), start, self.lines.number, logical)
        if can_contain_heredoc(node) and "<<" in logical:
            node = replace(node, heredocs=self.read_heredocs(logical, start))
        end = self.lines.number
        if node.child is not None:
            node = replace(node, child=replace(node.child, start_line=start, end_line=end))
        self.nodes.append(replace(node, start_line=start, end_line=end))
        self.comments = []

    def read_heredocs(self, logical: str, start: int) -> tuple[Heredoc, ...]:
        try:
            wanted = heredocs_from_line(logical)
        except HeredocError as exc:
            self.error(str(exc), start, self.lines.number, logical)
        bodies = []
        for heredoc in wanted:
            content: list[str] = []
            while True:
                raw = self.lines.next()
                if raw is None:
                    self.error("unterminated heredoc", start, self.lines.number, logical)
                candidate = _trim_newline(raw)
                if heredoc.chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == heredoc.name:
                    break
                content.append(raw)
            bodies.append(replace(heredoc, content="".join(content)))
        return tuple(bodies)


def parse(text: str, filename: str = "Dockerfile") -> ParseResult:
    """Parse Dockerfile text into nodes with line ranges; raises DockerfileError."""
    return _Parser(text, filename).run()
