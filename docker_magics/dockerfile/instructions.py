"""Typed Dockerfile instructions: one frozen record per instruction kind.

Arguments are kept as written (quotes and ``$VAR`` references included where the builder
expands them later with the stage's environment); only the syntax is validated here. Every
record carries its line range and original text so that later errors can point at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from .nodes import Heredoc

__all__ = [
    "Add",
    "Arg",
    "ArgDefinition",
    "Cmd",
    "Copy",
    "Entrypoint",
    "Env",
    "Expose",
    "From",
    "Healthcheck",
    "Instruction",
    "KeyValue",
    "Label",
    "Maintainer",
    "Mount",
    "mount_flag",
    "Onbuild",
    "Run",
    "Shell",
    "SourceContent",
    "Stopsignal",
    "User",
    "Volume",
    "Workdir",
]


@dataclass(frozen=True, kw_only=True)
class Instruction:
    """Common part: where the instruction is and how it was written."""

    keyword: ClassVar[str] = ""
    line: int
    end_line: int
    original: str


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: str
    legacy: bool = False  # written as "ENV key value" rather than "key=value"


@dataclass(frozen=True)
class ArgDefinition:
    name: str
    default: str | None = None  # None: declared without a default


@dataclass(frozen=True)
class SourceContent:
    """A COPY/ADD source given inline as a heredoc."""

    path: str
    data: str
    expand: bool


@dataclass(frozen=True)
class Mount:
    """One ``RUN --mount=...``: its type, target and the remaining options in order."""

    type: str
    target: str | None
    options: tuple[tuple[str, str], ...] = ()

    def option(self, name: str) -> str | None:
        return dict(self.options).get(name)


def mount_flag(options: Mapping[str, object], *names: str) -> bool:
    """Whether a boolean mount option (``rw``, ``required``...) is set: bare, ``=true``, ``=1``."""
    return any(str(options.get(n, "false")).lower() in ("true", "1") for n in names)


@dataclass(frozen=True, kw_only=True)
class From(Instruction):
    keyword: ClassVar[str] = "FROM"
    base: str
    stage_name: str | None = None
    platform: str | None = None


@dataclass(frozen=True, kw_only=True)
class _CommandLine(Instruction):
    """RUN/CMD/ENTRYPOINT: exec form (a JSON array) or shell form (one string)."""

    command: tuple[str, ...]
    exec_form: bool

    @property
    def prepend_shell(self) -> bool:
        return not self.exec_form


@dataclass(frozen=True, kw_only=True)
class Run(_CommandLine):
    keyword: ClassVar[str] = "RUN"
    heredocs: tuple[Heredoc, ...] = ()
    mounts: tuple[Mount, ...] = ()
    network: str | None = None
    security: str | None = None
    devices: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Cmd(_CommandLine):
    keyword: ClassVar[str] = "CMD"


@dataclass(frozen=True, kw_only=True)
class Entrypoint(_CommandLine):
    keyword: ClassVar[str] = "ENTRYPOINT"


@dataclass(frozen=True, kw_only=True)
class Shell(Instruction):
    keyword: ClassVar[str] = "SHELL"
    shell: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class _SourcesAndDest(Instruction):
    sources: tuple[str, ...]
    contents: tuple[SourceContent, ...]
    dest: str
    chown: str | None = None
    chmod: str | None = None
    link: bool = False
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Copy(_SourcesAndDest):
    keyword: ClassVar[str] = "COPY"
    from_: str | None = None
    parents: bool = False


@dataclass(frozen=True, kw_only=True)
class Add(_SourcesAndDest):
    keyword: ClassVar[str] = "ADD"
    keep_git_dir: bool | None = None
    checksum: str | None = None
    unpack: bool | None = None


@dataclass(frozen=True, kw_only=True)
class Workdir(Instruction):
    keyword: ClassVar[str] = "WORKDIR"
    path: str


@dataclass(frozen=True, kw_only=True)
class Env(Instruction):
    keyword: ClassVar[str] = "ENV"
    pairs: tuple[KeyValue, ...]


@dataclass(frozen=True, kw_only=True)
class Label(Instruction):
    keyword: ClassVar[str] = "LABEL"
    pairs: tuple[KeyValue, ...]


@dataclass(frozen=True, kw_only=True)
class Arg(Instruction):
    keyword: ClassVar[str] = "ARG"
    args: tuple[ArgDefinition, ...]


@dataclass(frozen=True, kw_only=True)
class Expose(Instruction):
    keyword: ClassVar[str] = "EXPOSE"
    ports: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class User(Instruction):
    keyword: ClassVar[str] = "USER"
    user: str


@dataclass(frozen=True, kw_only=True)
class Volume(Instruction):
    keyword: ClassVar[str] = "VOLUME"
    paths: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Stopsignal(Instruction):
    keyword: ClassVar[str] = "STOPSIGNAL"
    signal: str


@dataclass(frozen=True, kw_only=True)
class Healthcheck(Instruction):
    """``test`` is the OCI form: ``("NONE",)``, ``("CMD", ...)`` or ``("CMD-SHELL", cmd)``.

    Durations are in nanoseconds (the image config's unit); 0 means "inherit the default".
    """

    keyword: ClassVar[str] = "HEALTHCHECK"
    test: tuple[str, ...]
    interval_ns: int = 0
    timeout_ns: int = 0
    start_period_ns: int = 0
    start_interval_ns: int = 0
    retries: int = 0


@dataclass(frozen=True, kw_only=True)
class Onbuild(Instruction):
    """``expression`` is the trigger as it is stored in the image (without ``ONBUILD``)."""

    keyword: ClassVar[str] = "ONBUILD"
    expression: str
    trigger: Instruction


@dataclass(frozen=True, kw_only=True)
class Maintainer(Instruction):
    keyword: ClassVar[str] = "MAINTAINER"
    maintainer: str
