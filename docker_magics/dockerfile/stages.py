"""Typed instructions grouped into build stages: ``parse_stages(text) -> Dockerfile``.

ARGs before the first FROM are global ("meta") ARGs: they may be used in FROM lines and
redeclared inside stages. Any other instruction before the first FROM is an error. Stage names
are case-insensitive (stored lower case) and must be unique.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DockerfileError
from ._handlers import instruction_from_node
from .instructions import Arg, From, Instruction
from .parser import parse

__all__ = ["Dockerfile", "Stage", "parse_stages"]


@dataclass(frozen=True)
class Stage:
    """One ``FROM`` and the instructions up to the next one."""

    index: int
    name: str | None
    base: str  # as written; may reference global ARGs
    platform: str | None
    from_: From
    instructions: tuple[Instruction, ...]

    @property
    def line(self) -> int:
        return self.from_.line

    @property
    def end_line(self) -> int:
        return self.instructions[-1].end_line if self.instructions else self.from_.end_line


@dataclass(frozen=True)
class Dockerfile:
    """A whole parsed Dockerfile."""

    filename: str
    meta_args: tuple[Arg, ...]
    stages: tuple[Stage, ...]
    escape: str = "\\"
    directives: tuple[tuple[str, str], ...] = ()

    def stage(self, ref: str | int) -> Stage:
        """A stage by name (case-insensitive) or index; KeyError if there is none."""
        for stage in self.stages:
            if stage.index == ref or (isinstance(ref, str) and stage.name == ref.lower()):
                return stage
        raise KeyError(ref)


class _StageBuilder:
    def __init__(self, index: int, head: From) -> None:
        self.index = index
        self.head = head
        self.body: list[Instruction] = []

    def build(self) -> Stage:
        head = self.head
        return Stage(self.index, head.stage_name, head.base, head.platform, head, tuple(self.body))


def _error(message: str, filename: str, item: Instruction) -> DockerfileError:
    return DockerfileError(
        message, filename=filename, line=item.line, end_line=item.end_line, source=item.original
    )


def parse_stages(text: str, filename: str = "Dockerfile") -> Dockerfile:
    """Parse, type and group a Dockerfile; raises DockerfileError with the offending lines."""
    tree = parse(text, filename)
    meta_args: list[Arg] = []
    builders: list[_StageBuilder] = []
    names: dict[str, int] = {}
    for node in tree.nodes:
        item = instruction_from_node(node, filename)
        if isinstance(item, From):
            if item.stage_name is not None and item.stage_name in names:
                raise _error(f"duplicate stage name {item.stage_name!r}", filename, item)
            if item.stage_name is not None:
                names[item.stage_name] = len(builders)
            builders.append(_StageBuilder(len(builders), item))
        elif builders:
            builders[-1].body.append(item)
        elif isinstance(item, Arg):
            meta_args.append(item)
        else:
            raise _error(
                f"no build stage in current context: {item.keyword} before the first FROM",
                filename,
                item,
            )
    return Dockerfile(
        filename,
        tuple(meta_args),
        tuple(builder.build() for builder in builders),
        tree.escape,
        tree.directives,
    )
