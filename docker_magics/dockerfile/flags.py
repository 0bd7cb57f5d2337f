"""Instruction flags (``--from=build``, ``--link``, ``--mount=...``) checked against a spec.

Mirrors BuildKit's BFlags rules: ``--name=value`` for string flags, ``--name`` or
``--name=true|false`` for booleans, repeatable list flags (``--mount``, ``--exclude``), a flag
given twice is an error unless it is a list, and ``--`` ends the flags. Unknown flags get a
"did you mean" suggestion and the list of flags the instruction accepts.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from enum import Enum

__all__ = ["FlagError", "FlagKind", "FlagValues", "parse_flags"]

FlagValues = dict[str, "str | bool | tuple[str, ...]"]


class FlagKind(Enum):
    STRING = "string"
    BOOL = "bool"
    LIST = "list"  # may repeat; the values are collected in order


class FlagError(ValueError):
    """A flag the instruction does not accept or a malformed flag value."""


def _unknown(keyword: str, flag: str, spec: Mapping[str, FlagKind]) -> FlagError:
    name = flag[2:]
    if not spec:
        return FlagError(f"unknown flag: {flag} ({keyword} accepts no flags)")
    allowed = ", ".join("--" + known for known in sorted(spec))
    close = difflib.get_close_matches(name, list(spec), n=1, cutoff=0.6)
    hint = f"; did you mean --{close[0]}?" if close else ""
    return FlagError(f"unknown flag: {flag}{hint} ({keyword} accepts {allowed})")


def _bool_value(flag: str, value: str, has_value: bool) -> bool:
    if has_value and value == "":
        raise FlagError(f"missing a value on flag: {flag}")
    lowered = value.lower()
    if lowered in ("", "true"):
        return True
    if lowered == "false":
        return False
    raise FlagError(f"expecting boolean value for flag {flag}, not: {value}")


def parse_flags(keyword: str, flags: Sequence[str], spec: Mapping[str, FlagKind]) -> FlagValues:
    """Check ``flags`` (as the parser collected them) against ``spec`` and return their values.

    Absent flags are absent from the result, so callers can tell "not given" from "false".
    """
    values: FlagValues = {}
    for raw in flags:
        if raw == "--":
            break
        if not raw.startswith("--"):
            raise FlagError(f"arg should start with -- : {raw}")
        flag, has_value, value = raw.partition("=")
        name = flag[2:]
        kind = spec.get(name)
        if kind is None:
            raise _unknown(keyword, flag, spec)
        if name in values and kind is not FlagKind.LIST:
            raise FlagError(f"duplicate flag specified: {flag}")
        if kind is FlagKind.BOOL:
            values[name] = _bool_value(flag, value, bool(has_value))
        elif not has_value:
            raise FlagError(f"missing a value on flag: {flag}")
        elif kind is FlagKind.LIST:
            previous = values.get(name, ())
            assert isinstance(previous, tuple)
            values[name] = (*previous, value)
        else:
            values[name] = value
    return values
