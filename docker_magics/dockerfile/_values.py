"""Value syntaxes inside instructions: Go durations and ``RUN --mount`` specifications."""

from __future__ import annotations

import csv
import re

from .instructions import Mount

__all__ = ["InvalidValue", "parse_duration_ns", "parse_mount"]


class InvalidValue(ValueError):
    """A flag or argument value with the wrong syntax."""


# Go's time.ParseDuration units, in nanoseconds ("µ" and "μ" are both accepted).
_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_SEGMENT = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")

_MOUNT_TYPES = frozenset({"bind", "cache", "tmpfs", "secret", "ssh"})
# Options that may be written without "=value" (they mean "true").
_MOUNT_FLAGS = frozenset({"readonly", "ro", "readwrite", "rw", "required"})
_MOUNT_ALIASES = {"dst": "target", "destination": "target", "src": "source"}
_SHARING = frozenset({"shared", "private", "locked"})


def parse_duration_ns(text: str) -> int:
    """``1m30s`` -> 90_000_000_000, following Go's ``time.ParseDuration``."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if body == "0":
        return 0
    if not body:
        raise InvalidValue(f"time: invalid duration {text!r}")
    total = 0.0
    pos = 0
    while pos < len(body):
        match = _SEGMENT.match(body, pos)
        if match is None or match.group(1) in ("", "."):
            raise InvalidValue(f"time: invalid duration {text!r}")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return -round(total) if text.startswith("-") else round(total)


def _mount_fields(spec: str) -> list[str]:
    # BuildKit reads the value as one CSV record, so quoted fields may contain commas.
    try:
        return next(csv.reader([spec]))
    except (csv.Error, StopIteration):
        raise InvalidValue(f"invalid mount specification: {spec}") from None


def parse_mount(spec: str) -> Mount:
    """``type=cache,target=/root/.cache,sharing=locked`` -> Mount."""
    options: list[tuple[str, str]] = []
    mount_type = "bind"
    target: str | None = None
    for field in _mount_fields(spec):
        key, has_value, value = field.partition("=")
        key = _MOUNT_ALIASES.get(key.strip().lower(), key.strip().lower())
        if not has_value and key not in _MOUNT_FLAGS:
            raise InvalidValue(f"invalid field '{field}' must be a key=value pair")
        if key == "type":
            mount_type = value.lower()
        elif key == "target":
            target = value
        else:
            options.append((key, value if has_value else "true"))
    # Values written with "$" are expanded by the builder later; only literal ones are checked.
    if "$" not in mount_type and mount_type not in _MOUNT_TYPES:
        raise InvalidValue(f"unsupported mount type {mount_type!r}")
    if target is None and mount_type in ("bind", "cache", "tmpfs"):
        raise InvalidValue(f"mount type {mount_type} requires a target")
    sharing = dict(options).get("sharing")
    if sharing is not None and "$" not in sharing and sharing not in _SHARING:
        raise InvalidValue(f"unsupported sharing value {sharing!r}")
    return Mount(mount_type, target, tuple(options))
