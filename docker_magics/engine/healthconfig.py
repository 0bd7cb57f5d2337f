"""Healthcheck settings: Docker's ``Healthcheck`` config (durations in nanoseconds) from an
image's HEALTHCHECK, ``run --health-*`` flags or a compose ``healthcheck:``, and the duration
syntax they share. Pure: what runs the checks is engine/health.py."""

from __future__ import annotations

import re
from typing import Any

from ..errors import UsageError

__all__ = ["seconds", "go_duration", "argv_of", "merge_config", "setting", "DEFAULTS", "RETRIES"]

NS = 1_000_000_000
DEFAULTS = {"Interval": 30.0, "Timeout": 30.0, "StartPeriod": 0.0, "StartInterval": 5.0}
RETRIES = 3


def seconds(value: Any, default: float) -> float:
    """Durations as Compose and Docker's flags write them: ``30s``, ``1m30s``, ``500ms``, or a
    number of seconds."""
    if value is None or value == "":
        return default
    if isinstance(value, (int, float)):
        return float(value)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", value)
    if not parts or "".join(a + b for a, b in parts) != value:
        raise UsageError(f"invalid duration {value}: use e.g. 10s, 1m30s or 500ms")
    return sum(float(n) * units[u] for n, u in parts)


def go_duration(secs: float) -> str:
    """30 -> "30s", 0.5 -> "500ms", 90 -> "1m30s": how Docker prints a duration."""
    if secs < 1:
        return f"{secs * 1000:g}ms"
    minutes, rest = divmod(secs, 60)
    return (f"{int(minutes)}m" if minutes else "") + (f"{rest:g}s" if rest or not minutes else "")


def argv_of(test: Any) -> list[str] | None:
    """A healthcheck ``test`` (Docker's list form or Compose's string) as argv; None: none."""
    if isinstance(test, str):
        return ["/bin/sh", "-c", test] if test else None
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    return list(test[1:] if test[0] == "CMD" else test)


def merge_config(image: dict[str, Any] | None, flags: dict[str, Any]) -> dict[str, Any] | None:
    """The image's HEALTHCHECK with ``run --health-*`` on top (Docker's rule: each flag given
    replaces that field). ``flags`` holds cmd, interval, timeout, retries, start_period,
    start_interval (strings or None), disable (``--no-healthcheck``), and from Compose test."""
    if flags.get("disable"):
        return {"Test": ["NONE"]}
    cfg = dict(image or {})
    if flags.get("cmd"):
        cfg["Test"] = ["CMD-SHELL", flags["cmd"]]
    if flags.get("test"):  # Compose's `test:` (a string is a shell command)
        test = flags["test"]
        cfg["Test"] = ["CMD-SHELL", test] if isinstance(test, str) else list(test)
    for key, field in (
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
        ("start_interval", "StartInterval"),
    ):
        if flags.get(key) is not None:
            cfg[field] = int(seconds(flags[key], 0.0) * NS)
    if flags.get("retries") is not None:
        cfg["Retries"] = int(flags["retries"])
    return cfg or None


def setting(cfg: dict[str, Any], field: str) -> float:
    value = cfg.get(field) or 0  # Docker: 0 means the default
    return value / NS if value else DEFAULTS[field]
