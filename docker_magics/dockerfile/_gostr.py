"""Small string helpers that behave like Go's standard library.

BuildKit is written in Go, and its golden outputs (the parser dump, error texts) depend on Go's
ideas of "white space", "lower case" and "quoted string". Python's built-ins differ in corners
(``str.isspace`` accepts U+001C..U+001F, ``str.lower`` maps final sigma by context and U+0130 to
two characters, ``repr`` quotes differently), so the frontend uses these helpers wherever the
result must match BuildKit byte for byte.
"""

from __future__ import annotations

__all__ = ["GO_SPACE", "go_isspace", "go_lower", "go_quote", "go_quote_list", "go_trim_space"]

# Every rune for which Go's unicode.IsSpace is true: the Latin-1 ones it lists explicitly plus
# the Unicode White_Space property (which Python's isspace also covers above U+00FF).
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_GO_SPACE_SET = frozenset(GO_SPACE)

# strconv.Quote's short escapes; every other non-printable rune becomes \x, \u or \U.
_SHORT_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


def go_isspace(ch: str) -> bool:
    """unicode.IsSpace for one character (an empty string is not a space)."""
    return ch in _GO_SPACE_SET


def go_trim_space(text: str) -> str:
    """strings.TrimSpace."""
    return text.strip(GO_SPACE)


def go_lower(text: str) -> str:
    """strings.ToLower: a per-rune simple mapping, never context dependent or lengthening."""
    if text.isascii():
        return text.lower()
    out = []
    for ch in text:
        low = ch.lower()
        # Only U+0130 has a multi-rune full lowercase; Go's simple mapping gives plain "i".
        out.append(low if len(low) == 1 else low[0])
    return "".join(out)


def go_quote(text: str) -> str:
    """strconv.Quote: double-quoted, printable runes kept, the rest escaped Go style."""
    out = ['"']
    for ch in text:
        short = _SHORT_ESCAPES.get(ch)
        if short is not None:
            out.append(short)
        elif ch.isprintable():
            # Python's isprintable and Go's IsPrint agree: L, M, N, P, S categories plus " ".
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x80:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def go_quote_list(items: tuple[str, ...] | list[str]) -> str:
    """fmt's %q applied to a []string: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(item) for item in items) + "]"


def _fraction(value: int, unit: int) -> str:
    whole, rest = divmod(value, unit)
    if not rest:
        return str(whole)
    return f"{whole}." + str(rest).rjust(len(str(unit)) - 1, "0").rstrip("0")


def go_duration(ns: int) -> str:
    """Go's ``time.Duration.String()``: ``0s``, ``100ms``, ``1.5s``, ``1m30s``, ``1h0m0s``."""
    if ns == 0:
        return "0s"
    sign, u = ("-" if ns < 0 else ""), abs(ns)
    if u < 1_000_000_000:  # under a second: the largest unit that fits, with a fraction
        unit, name = next((s, n) for s, n in ((10**6, "ms"), (10**3, "µs"), (1, "ns")) if u >= s)
        return sign + _fraction(u, unit) + name
    minutes, rest = divmod(u, 60 * 10**9)
    text = _fraction(rest, 10**9) + "s"
    if minutes:
        hours, minutes = divmod(minutes, 60)
        text = f"{minutes}m{text}" if not hours else f"{hours}h{minutes}m{text}"
    return sign + text
