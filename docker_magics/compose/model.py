"""What a compose file becomes: ``Project`` and ``Service`` records, and the helpers the
loader's stages share (the error type, ``.env`` reading, YAML line lookup)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError

__all__ = [
    "CELL",
    "ComposeError",
    "Project",
    "Service",
    "at",
    "read_env_file",
    "line_of",
    "split_command",
]

# What a %%compose cell is called in messages: it is no file the user could open.
CELL = "the %%compose cell"


class ComposeError(UsageError):
    """A compose file that cannot be used: the message names the file and line."""


@dataclass
class Service:
    name: str
    line: int
    image: str | None = None
    build: dict[str, Any] | None = None  # context, dockerfile, args, target
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    environment: dict[str, str] = field(default_factory=dict)
    ports: list[str] = field(default_factory=list)
    expose: list[str] = field(default_factory=list)
    depends_on: dict[str, str] = field(default_factory=dict)  # name -> condition
    healthcheck: dict[str, Any] | None = None
    volumes: list[str] = field(default_factory=list)  # -v specs
    mounts: list[str] = field(default_factory=list)  # --mount specs
    working_dir: str | None = None
    user: str | None = None
    restart: str | None = None
    networks: dict[str, list[str]] = field(default_factory=dict)  # name -> aliases
    profiles: list[str] = field(default_factory=list)
    container_name: str | None = None
    hostname: str | None = None
    extra_hosts: list[str] = field(default_factory=list)


@dataclass
class Project:
    name: str
    file: str
    directory: str
    services: dict[str, Service]
    volumes: dict[str, dict[str, Any]]
    networks: dict[str, dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def at(file: str, line: int | None = None) -> str:
    """Where a message points: ``FILE:LINE``, or ``the %%compose cell, line LINE``."""
    if file == CELL:
        return f"{CELL}, line {line}" if line else CELL
    return f"{file}:{line}" if line else file


def read_env_file(path: str) -> dict[str, str]:
    """``KEY=VALUE`` lines (``#`` comments, optional quotes), as Compose reads ``.env``."""
    env: dict[str, str] = {}
    with open(path) as fh:
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.removeprefix("export ").partition("=")
            if not sep or not key.strip():
                raise ComposeError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            env[key.strip()] = value
    return env


def line_of(node: Any, path: list[Any]) -> int:
    """1-based line of the YAML node at ``path`` (the deepest one that exists)."""
    line = node.start_mark.line + 1
    for key in path:
        children = getattr(node, "value", None)
        if isinstance(children, list) and children and isinstance(children[0], tuple):
            match = [(k, v) for k, v in children if k.value == str(key)]
            if not match:
                break
            key_node, node = match[0]
            line = key_node.start_mark.line + 1
        elif isinstance(children, list) and isinstance(key, int) and key < len(children):
            node = children[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def split_command(value: Any) -> list[str] | None:
    if value is None:
        return None
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]
