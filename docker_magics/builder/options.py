"""What a build is asked to do, what it returns, and the events it emits on the way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..store.images import Image

__all__ = ["BuildOptions", "BuildResult", "Event", "EventSink"]

# Progress events are plain dicts, one per happening, so that JSON progress is a dump of each:
#   {"event": "step", "id": 3, "stage": "build", "pos": "2/4", "instruction": "RUN make", "line": 5}
#     ("meta": true and no "pos" for ENV, CMD, ...: config edits, not build steps)
#   {"event": "log", "id": 3, "stream": "stdout", "data": "whole lines\n"}
#     ("partial": true: "data" is the current state of an unfinished line, see lines.py)
#   {"event": "done", "id": 3, "cached": false, "duration_s": 1.2, "reason": {...}, "layer": ...}
#   {"event": "error", "id": 3, "message": "..."}
#   {"event": "result", "image": "sha256:...", "record": "<id>", "tags": [...]}
Event = dict[str, Any]
EventSink = Callable[[Event], None]


@dataclass
class BuildOptions:
    context: str
    dockerfile: str | None = None  # path; default <context>/Dockerfile
    dockerfile_text: str | None = None  # text given directly (the notebook cell); wins over path
    tags: list[str] = field(default_factory=list)
    build_args: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    no_cache: bool = False
    no_cache_filter: list[str] = field(default_factory=list)
    runtime: str | None = None
    # A RUN step still running after this many seconds is killed with its whole process tree.
    timeout: float | None = None
    # `--secret`: id -> where its value comes from (``build.secrets.Secret``); never in a layer.
    secrets: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuildResult:
    image: Image
    steps: list[dict[str, Any]]
    record_id: str
    record: dict[str, Any]

    @property
    def id(self) -> str:
        return self.image.id
