"""`logs [-f] [-t] [-n N] [--since T] [--until T] CONTAINER`, as `docker logs` behaves.

The container's stdout goes to stdout and its stderr to stderr; `-t` puts Docker's RFC 3339
timestamp (nanoseconds) at the start of each line; `-n` keeps the last N lines of the past;
`-f` then goes on with what the container writes until it stops (or Ctrl-C / interrupt).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..engine.logfile import STDERR, Record
from ..errors import UsageError
from ..textfmt import parse_time

if TYPE_CHECKING:
    from ..api import Engine
    from .output import Output

__all__ = ["add_logs_parser", "do_logs", "parse_since"]

_RFC3339_NS = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z")
_DURATION = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
_UNIT_NS["h"] = 60 * _UNIT_NS["m"]


def add_logs_parser(p: Any) -> None:
    p.add_argument("container")
    p.add_argument("-f", "--follow", action="store_true", help="follow log output")
    p.add_argument("-t", "--timestamps", action="store_true", help="show timestamps")
    p.add_argument(
        "-n", "--tail", default="all", help="number of lines to show from the end (default all)"
    )
    p.add_argument("--since", help="show logs since a time (2013-01-02T13:23:37Z) or for 42m")
    p.add_argument("--until", help="show logs before a time (2013-01-02T13:23:37Z) or 42m ago")


def parse_since(text: str, option: str, now_ns: int | None = None) -> int:
    """Docker's accepted forms: RFC 3339, a Unix time, or a Go duration back from now."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    exact = _RFC3339_NS.fullmatch(text)
    if exact:  # to the nanosecond: a float of seconds loses the last digits `-t` printed
        whole = dt.datetime.strptime(exact.group(1), "%Y-%m-%dT%H:%M:%S")
        seconds = int(whole.replace(tzinfo=dt.timezone.utc).timestamp())
        return seconds * 10**9 + int((exact.group(2) or "").ljust(9, "0")[:9])
    when = parse_time(text)
    if when is not None:
        return int(when * 1e9)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return int(float(text) * 1e9)
    parts = _DURATION.findall(text)
    if parts and "".join(n + u for n, u in parts) == text:
        return now_ns - sum(int(float(n) * _UNIT_NS[u]) for n, u in parts)
    raise UsageError(
        f"invalid value for {option}: {text!r} (give a time like 2013-01-02T13:23:37Z, "
        "a Unix time, or a duration like 10m or 1h30m)"
    )


def _tail(text: str) -> int | None:
    if text == "all" or (text.startswith("-") and text[1:].isdigit()):
        return None  # Docker reads a negative count as "all"
    if not text.isdigit():
        raise UsageError(f'invalid value for --tail: "{text}" (give a number of lines or "all")')
    return int(text)


def _lines(records: Iterable[Record | None]) -> Iterator[Record | None]:
    """Records cut at line ends (so -n counts lines and -t marks each one); None passes."""
    for r in records:
        if r is None:
            yield None
            continue
        for piece in r.data.splitlines(keepends=True):
            yield Record(r.stream, r.time_ns, piece)


def _stamp(ns: int) -> bytes:
    when = dt.datetime.fromtimestamp(ns // 10**9, dt.timezone.utc)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{ns % 10**9:09d}Z ".encode()


class _Printer:
    def __init__(self, out: Output, timestamps: bool) -> None:
        self.out, self.timestamps = out, timestamps
        self.at_start = {1: True, 2: True}

    def __call__(self, r: Record) -> None:
        data = r.data
        if self.timestamps and self.at_start[r.stream] and r.time_ns:
            data = _stamp(r.time_ns) + data
        self.at_start[r.stream] = r.data.endswith(b"\n")
        (self.out.raw_err if r.stream == STDERR else self.out.raw_out)(data)


def do_logs(eng: Engine, args: Any, out: Output) -> int:
    tail = _tail(args.tail)
    since = parse_since(args.since, "--since") if args.since else None
    until = parse_since(args.until, "--until") if args.until else None
    if args.follow and until is None:
        records: Iterable[Record | None] = eng.log_records(args.container, follow=True)
    else:
        records = eng.log_records(args.container)

    def wanted(r: Record) -> bool:
        if since is not None and r.time_ns < since:
            return False
        return until is None or r.time_ns < until

    printer = _Printer(out, args.timestamps)
    past: deque[Record] | list[Record] = deque(maxlen=tail) if tail is not None else []
    caught_up = False
    try:
        for r in _lines(records):
            if r is None:
                caught_up = True
                _flush(past, printer)
            elif not wanted(r):
                continue
            elif caught_up:
                printer(r)
            else:
                past.append(r)
    except KeyboardInterrupt:
        if not args.follow:
            raise
        return 0  # stopping to follow is how -f ends: not a failure
    if not caught_up:
        _flush(past, printer)
    return 0


def _flush(past: Iterable[Record], printer: _Printer) -> None:
    for r in past:
        printer(r)
