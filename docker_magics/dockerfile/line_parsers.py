"""Per-instruction argument parsers of the AST layer (BuildKit's ``line_parsers.go`` rules).

Each parser receives the text after the keyword and its flags and returns the argument list
BuildKit would put in its node chain. They keep quotes and escapes in place: removing them is
the job of variable expansion later, which must still see them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from ._gostr import GO_SPACE, go_isspace, go_quote, go_trim_space

__all__ = ["LINE_PARSERS", "LineError", "Parsed", "parse_words", "split_command"]

# BuildKit's reWhitespace: the separator for FROM/EXPOSE words and the keyword itself.
# Deliberately narrower than GO_SPACE (no newline, no Unicode spaces).
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class LineError(ValueError):
    """An instruction whose arguments cannot be parsed; the parser adds the location."""


class _NotJSON(Exception):
    """The text is not a JSON string array: fall back to the shell form."""


@dataclass(frozen=True)
class Parsed:
    args: tuple[str, ...] = ()
    json: bool = False


def _word_boundaries(rest: str, escape: str) -> list[str]:
    # Split on unquoted spaces, keeping quotes and escape tokens in the words.
    words: list[str] = []
    buf: list[str] = []
    quote = ""  # the open quote character, or "" outside quotes
    blank_ok = False  # a quoted empty string ("") is still a word
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if not quote and go_isspace(ch):
            if blank_ok or buf:
                words.append("".join(buf))
            buf, blank_ok = [], False
        elif ch == escape and (not quote or quote != "'"):
            if i + 1 == n:
                # A trailing escape token disappears (and closes nothing).
                quote = ""
                break
            buf.append(ch + rest[i + 1])
            i += 1
        else:
            if not quote and ch in ("'", '"'):
                quote, blank_ok = ch, True
            elif quote and ch == quote:
                quote = ""
            buf.append(ch)
        i += 1
    if blank_ok or buf:
        words.append("".join(buf))
    return words


def parse_words(rest: str, escape: str) -> list[str]:
    """Words for ENV/LABEL/ARG: split on unquoted white space, quotes and escapes kept."""
    return _word_boundaries(rest, escape)


def _new_key_value(rest: str, keyword: str, escape: str) -> tuple[str, ...]:
    words = parse_words(rest, escape)
    if not words:
        return ()
    if "=" not in words[0]:
        # Legacy form "KEY name value...": the rest of the line, verbatim, is the value.
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise LineError(f"{keyword} must have two arguments")
        return (parts[0], parts[1], "")
    args: list[str] = []
    for word in words:
        if "=" not in word:
            raise LineError(
                f"Syntax error - can't find = in {go_quote(word)}. Must be of the form: name=value"
            )
        key, _, value = word.partition("=")
        args += [key, value, "="]
    return tuple(args)


def parse_env(rest: str, escape: str) -> Parsed:
    return Parsed(_new_key_value(rest, "ENV", escape))


def parse_label(rest: str, escape: str) -> Parsed:
    return Parsed(_new_key_value(rest, "LABEL", escape))


def parse_name_or_name_val(rest: str, escape: str) -> Parsed:
    """ARG: each word is ``name`` or ``name=value``; the split happens in the typed layer."""
    return Parsed(tuple(parse_words(rest, escape)))


def parse_whitespace_delimited(rest: str, escape: str) -> Parsed:
    return Parsed(tuple(_WHITESPACE.split(rest)) if rest else ())


def parse_string(rest: str, escape: str) -> Parsed:
    return Parsed((rest,) if rest else ())


def _finite_number(text: str) -> float:
    # Go decodes JSON numbers into float64 and fails on overflow; such input is "not JSON".
    value = float(text)
    if math.isinf(value):
        raise _NotJSON(text)
    return value


def _reject_constant(text: str) -> float:
    raise _NotJSON(text)  # NaN and Infinity are not JSON for Go


def _parse_json(rest: str) -> Parsed:
    rest = rest.lstrip(GO_SPACE)
    if not rest.startswith("["):
        raise _NotJSON(rest)
    try:
        value = json.loads(
            rest,
            parse_float=_finite_number,
            parse_int=_finite_number,
            parse_constant=_reject_constant,
        )
    except ValueError:
        raise _NotJSON(rest) from None
    if not isinstance(value, list):
        raise _NotJSON(rest)
    if not all(isinstance(item, str) for item in value):
        raise LineError("when using JSON array syntax, arrays must be comprised of strings only")
    # Go replaces unpaired UTF-16 surrogate escapes with U+FFFD.
    return Parsed(tuple(_LONE_SURROGATE.sub("\ufffd", item) for item in value), json=True)


def parse_maybe_json(rest: str, escape: str) -> Parsed:
    """RUN/CMD/ENTRYPOINT/SHELL: a JSON string array, otherwise the whole text (shell form)."""
    if not rest:
        return Parsed()
    try:
        return _parse_json(rest)
    except _NotJSON:
        return Parsed((rest,))


def parse_maybe_json_to_list(rest: str, escape: str) -> Parsed:
    """ADD/COPY/VOLUME: a JSON string array, otherwise white-space separated words."""
    try:
        return _parse_json(rest)
    except _NotJSON:
        return parse_whitespace_delimited(rest, escape)


def parse_health_config(rest: str, escape: str) -> Parsed:
    """HEALTHCHECK: a type word (CMD, NONE, ...) followed by a maybe-JSON command."""
    sep = 0
    while sep < len(rest) and not go_isspace(rest[sep]):
        sep += 1
    if sep == 0:
        return Parsed()
    command = rest[sep:].lstrip(GO_SPACE)
    parsed = parse_maybe_json(command, escape)
    return Parsed((rest[:sep], *parsed.args), parsed.json)


def _extract_flags(line: str, escape: str) -> tuple[str, list[str]]:
    """Leading ``--name[=value]`` words (quotes and escapes removed), and the remaining text."""
    flags: list[str] = []
    i, n = 0, len(line)
    while True:
        while i < n and go_isspace(line[i]):
            i += 1
        if i == n:
            return "", flags
        if not line.startswith("--", i):
            return line[i:], flags
        word, i, closed_by_space = _read_flag_word(line, i, escape)
        if word == "--":
            # "--" ends the flags; it is not itself a flag.
            return (line[i:] if closed_by_space else ""), flags
        if word:
            flags.append(word)


def _read_flag_word(line: str, i: int, escape: str) -> tuple[str, int, bool]:
    # One flag word starting at i; returns it, the index after it and whether a space ended it.
    buf: list[str] = []
    quote = ""
    n = len(line)
    while i < n:
        ch = line[i]
        if not quote and go_isspace(ch):
            return "".join(buf), i, True
        if not quote and ch in ("'", '"'):
            quote = ch
        elif quote and ch == quote:
            quote = ""
        elif ch == escape:
            if i + 1 < n:
                i += 1
                buf.append(line[i])
            else:
                quote = ""
        else:
            buf.append(ch)
        i += 1
    return "".join(buf), i, False


def split_command(line: str, escape: str) -> tuple[str, tuple[str, ...], str]:
    """Split an instruction line into keyword, flags and the argument text."""
    parts = _WHITESPACE.split(go_trim_space(line), maxsplit=1)
    if len(parts) < 2:
        return parts[0], (), ""
    rest, flags = _extract_flags(parts[1], escape)
    return parts[0], tuple(flags), go_trim_space(rest)


LINE_PARSERS: dict[str, Callable[[str, str], Parsed]] = {
    "add": parse_maybe_json_to_list,
    "arg": parse_name_or_name_val,
    "cmd": parse_maybe_json,
    "copy": parse_maybe_json_to_list,
    "entrypoint": parse_maybe_json,
    "env": parse_env,
    "expose": parse_whitespace_delimited,
    "from": parse_whitespace_delimited,
    "healthcheck": parse_health_config,
    "label": parse_label,
    "maintainer": parse_string,
    "run": parse_maybe_json,
    "shell": parse_maybe_json,
    "stopsignal": parse_string,
    "user": parse_string,
    "volume": parse_maybe_json_to_list,
    "workdir": parse_string,
}
