"""The Dockerfile frontend: text -> parse tree -> typed instructions and stages. No I/O.

Layers, each usable on its own:

* ``parse`` (parser.py): BuildKit-compatible parse tree with line ranges; ``dump`` renders it
  exactly like BuildKit's ``ast.Dump()``, which is what the conformance corpus pins.
* ``expand`` / ``expand_words`` (expand.py): BuildKit's shell-word variable expansion.
* ``parse_stages`` (stages.py): typed, validated instructions grouped into build stages.
"""

from __future__ import annotations

from .expand import Expansion, expand, expand_words, process_word
from .nodes import Heredoc, Node, ParseResult, ParseWarning
from .parser import parse
from .stages import Dockerfile, Stage, parse_stages

__all__ = [
    "Dockerfile",
    "Expansion",
    "Heredoc",
    "Node",
    "ParseResult",
    "ParseWarning",
    "dump",
    "expand",
    "expand_words",
    "parse",
    "parse_stages",
    "process_word",
    "Stage",
]


def dump(text: str) -> str:
    """BuildKit's ``ast.Dump()`` of ``text``, without the final newline."""
    return parse(text).dump()
