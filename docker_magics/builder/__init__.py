"""The builder: executes a parsed Dockerfile against the store, with an explained cache.

``build(store, BuildOptions(...), emit)`` -> ``BuildResult``. Cache keys (``cachekey``) and miss
explanations (``explain``) are pure; ``context`` hashes the build context; one module per
instruction family executes steps; progress goes out as events, never printed.
"""

from __future__ import annotations

from .cachekey import CacheKey
from .executor import build
from .options import BuildOptions, BuildResult, Event, EventSink
from .record import list_records, load_record

__all__ = [
    "BuildOptions",
    "BuildResult",
    "CacheKey",
    "Event",
    "EventSink",
    "build",
    "list_records",
    "load_record",
]
