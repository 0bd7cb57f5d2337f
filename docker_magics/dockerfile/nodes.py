"""The parse tree: one node per instruction, with its source location.

The shape follows BuildKit's parser output so that ``dump`` can reproduce BuildKit's
``Node.Dump()`` text exactly (the conformance oracle), but as flat frozen records instead of a
linked list: ``args`` is BuildKit's ``Next`` chain and ``child`` the ONBUILD sub-instruction.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._gostr import go_lower, go_quote, go_quote_list, go_trim_space

__all__ = ["INSTRUCTIONS", "Heredoc", "Node", "ParseResult", "ParseWarning"]

# Every instruction keyword BuildKit knows (lower case). Anything else still parses (BuildKit
# accepts unknown words at this level); the typed layer rejects it with a suggestion.
INSTRUCTIONS = (
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
)


@dataclass(frozen=True)
class Heredoc:
    """One ``<<NAME`` body attached to RUN, COPY or ADD.

    ``content`` is the raw body including newlines; ``chomp`` (``<<-``) means leading tabs are
    to be stripped by the consumer; ``expand`` is false when the delimiter was quoted.
    """

    name: str
    content: str = ""
    file_descriptor: int = 0
    expand: bool = True
    chomp: bool = False


@dataclass(frozen=True)
class Node:
    """One instruction as the parser saw it, before any typing or validation."""

    keyword: str  # as written, e.g. "Run"
    args: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    json: bool = False  # exec form: the arguments came from a JSON array
    child: Node | None = None  # the instruction inside ONBUILD
    heredocs: tuple[Heredoc, ...] = ()
    original: str = ""
    start_line: int = 0
    end_line: int = 0
    comments: tuple[str, ...] = ()  # the comment block right above, for doc comments

    @property
    def instruction(self) -> str:
        """The keyword in lower case (Go's rules, so that dump matches BuildKit)."""
        return go_lower(self.keyword)

    @property
    def known(self) -> bool:
        return self.instruction in INSTRUCTIONS

    def dump(self) -> str:
        """BuildKit's s-expression for this node, e.g. ``run ["--network=none"] "make"``."""
        parts = [self.instruction]
        if self.flags:
            parts.append(go_quote_list(self.flags))
        if not self.known:
            # BuildKit's parser keeps unknown instructions with one empty argument.
            parts.append('""')
        parts.extend(go_quote(arg) for arg in self.args)
        if self.child is not None:
            parts.append("(" + self.child.dump() + ")")
        return go_trim_space(" ".join(parts))


@dataclass(frozen=True)
class ParseWarning:
    """A non-fatal finding of the parser (today: empty continuation lines)."""

    message: str
    line: int


@dataclass(frozen=True)
class ParseResult:
    """The whole file: its instruction nodes, the escape token and the leading directives."""

    nodes: tuple[Node, ...]
    escape: str = "\\"
    directives: tuple[tuple[str, str], ...] = ()  # (name, value) in file order
    warnings: tuple[ParseWarning, ...] = ()

    def directive(self, name: str) -> str | None:
        """The value of a leading ``# name=value`` directive, if present."""
        return dict(self.directives).get(name.lower())

    def dump(self) -> str:
        """BuildKit's ``ast.Dump()`` for the file, without the final newline."""
        return "\n".join("(" + node.dump() + ")" for node in self.nodes)
