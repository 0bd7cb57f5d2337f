"""Shell-word variable expansion, as BuildKit's ``shell/lex.go`` does it.

The builder expands ``$VAR`` in instruction arguments itself (no shell is involved), with a
small, well-defined subset of POSIX parameter expansion: ``${V:-w}``, ``${V+w}``, ``${V?m}``,
prefix/suffix trimming, pattern replacement, quotes and escapes. The oracle for this module is
BuildKit's ``envVarTest`` and ``wordsTest`` files.

One deliberate difference: BuildKit's word splitter shares one buffer between nested
``${...}`` expansions, so ``ab${X:-c}`` can lose ``ab`` in ``ProcessWords``. That is a bug no
test depends on; we keep each level's partial word.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import DockerfileError
from . import _pattern
from ._gostr import go_isspace, go_quote

__all__ = ["Expansion", "expand", "expand_words", "process_word"]

_EOF = ""
# POSIX special parameters ($@, $*, $#, ...): a Dockerfile never sets them, but they parse.
_SPECIAL_PARAMS = frozenset("@*#?-$!0")
# Whitespace that may sit between "<<" and a heredoc word.
_HEREDOC_SPACE = frozenset("\t\r ")


def _is_name_char(ch: str) -> bool:
    # Go's unicode.IsLetter / IsDigit: any letter, any decimal digit (Nd), or "_".
    return bool(ch) and (ch.isalpha() or ch.isdecimal() or ch == "_")


class _LexError(Exception):
    """Raised inside the lexer; the public functions turn it into a DockerfileError."""


@dataclass(frozen=True)
class Expansion:
    """The result of one expansion: the word, its split form, and which names were looked up."""

    result: str
    words: tuple[str, ...]
    matched: frozenset[str]
    unmatched: frozenset[str]


class _Words:
    """Accumulates the split form of a word: unquoted spaces separate, quoted ones do not."""

    def __init__(self) -> None:
        self._buf: list[str] = []
        self._words: list[str] = []
        self._in_word = False

    def add_char(self, ch: str) -> None:
        if go_isspace(ch):
            if self._in_word and self._buf:
                self._words.append("".join(self._buf))
                self._buf = []
                self._in_word = False
        else:
            self.add_raw(ch)

    def add_raw(self, text: str) -> None:
        self._buf.append(text)
        self._in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def result(self) -> list[str]:
        if self._buf:
            self._words.append("".join(self._buf))
            self._buf = []
            self._in_word = False
        return self._words


class _Lexer:
    """One pass over one word. Options mirror BuildKit's Lex fields."""

    def __init__(
        self,
        text: str,
        env: Mapping[str, str],
        escape: str,
        *,
        raw_quotes: bool = False,
        raw_escapes: bool = False,
        skip_unset_env: bool = False,
    ) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_unset_env = skip_unset_env
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()

    # -- scanning ------------------------------------------------------------------------------
    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else _EOF

    def next(self) -> str:
        ch = self.peek()
        if ch:
            self.pos += 1
        return ch

    def lookup(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            self.matched.add(name)
            return self.env[name], True
        self.unmatched.add(name)
        return "", False

    # -- words ---------------------------------------------------------------------------------
    def process_stop_on(self, stop: str, raw_escapes: bool) -> tuple[str, list[str]]:
        """Read up to ``stop`` (or the end when ``stop`` is empty), expanding as we go."""
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self._stop_on(stop)
        finally:
            self.raw_escapes = saved

    def _stop_on(self, stop: str) -> tuple[str, list[str]]:
        result: list[str] = []
        words = _Words()
        while self.peek() != _EOF:
            ch = self.peek()
            if stop and ch == stop:
                self.next()
                return "".join(result), words.result()
            if ch == "$":
                piece = self.process_dollar()
                result.append(piece)
                words.add_string(piece)
            elif ch in ("'", '"', "<"):
                piece = self.process_quote_or_heredoc(ch)
                result.append(piece)
                words.add_raw(piece)
            else:
                self.next()
                if ch == self.escape:
                    if self.raw_escapes:
                        words.add_raw(ch)
                        result.append(ch)
                    # The escape token protects the next character; at the very end it vanishes.
                    ch = self.next()
                    if ch == _EOF:
                        break
                    words.add_raw(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
        if stop:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.result()

    def process_quote_or_heredoc(self, ch: str) -> str:
        if ch == "'":
            return self.process_single_quote()
        if ch == '"':
            return self.process_double_quote()
        return self.process_possible_heredoc()

    def process_single_quote(self) -> str:
        # Everything up to the next ' is literal; a single quote cannot be escaped inside.
        opening = self.next()
        out = [opening] if self.raw_quotes else []
        while True:
            ch = self.next()
            if ch == _EOF:
                raise _LexError(
                    "unexpected end of statement while looking for matching single-quote"
                )
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def process_double_quote(self) -> str:
        # Literal except $ (expanded) and the escape token before " $ or itself.
        opening = self.next()
        out = [opening] if self.raw_quotes else []
        while True:
            ch = self.peek()
            if ch == _EOF:
                raise _LexError(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if ch == '"':
                self.next()
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self.process_dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                if self.raw_escapes:
                    out.append(ch)
                nxt = self.peek()
                if nxt == _EOF:
                    continue  # the loop then reports the missing closing quote
                if nxt in ('"', "$", self.escape):
                    ch = self.next()
            out.append(ch)

    def process_possible_heredoc(self) -> str:
        # "<<" and the blanks after it stay glued to the heredoc word when splitting words.
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        start = self.pos
        while self.peek() in _HEREDOC_SPACE:
            self.next()
        return "<<" + self.text[start : self.pos]

    # -- parameters ----------------------------------------------------------------------------
    def process_name(self) -> str:
        """A run of letters, digits and underscores; a leading digit run or special parameter."""
        start = self.pos
        ch = self.peek()
        if ch and ch.isdecimal():
            while self.peek() and self.peek().isdecimal():
                self.next()
            return self.text[start : self.pos]
        if ch in _SPECIAL_PARAMS:
            return self.next()
        while _is_name_char(self.peek()):
            self.next()
        return self.text[start : self.pos]

    def process_dollar(self) -> str:
        self.next()  # the "$"
        if self.peek() != "{":
            name = self.process_name()
            if not name:
                return "$"
            value, found = self.lookup(name)
            if not found and self.skip_unset_env:
                return "$" + name
            return value
        self.next()  # the "{"
        ch = self.peek()
        if ch == _EOF:
            raise _LexError("syntax error: missing '}'")
        if ch in ("{", "}", ":"):
            raise _LexError("syntax error: bad substitution")
        name = self.process_name()
        ch = self.next()
        if ch == "}":
            value, found = self.lookup(name)
            if not found and self.skip_unset_env:
                return "${" + name + "}"
            return value
        if ch == "/":
            return self.process_replace(name)
        if ch == _EOF:
            raise _LexError("syntax error: missing '}'")
        return self.process_modifier(name, ch)

    def _read_until(self, stop: str, raw_escapes: bool, missing: str) -> str:
        try:
            return self.process_stop_on(stop, raw_escapes)[0]
        except _LexError:
            if self.peek() == _EOF:
                raise _LexError(missing) from None
            raise

    def process_modifier(self, name: str, ch: str) -> str:
        modifier = ch
        null_is_unset = ch == ":"
        if null_is_unset:
            ch = self.next()
            modifier += ch
        if ch not in ("+", "-", "?", "#", "%") or (null_is_unset and ch in ("#", "%")):
            # BuildKit reads the rest before complaining; the error is the same either way.
            raise _LexError(f"unsupported modifier ({modifier}) in substitution")
        # Patterns keep their escapes so that "\*" can mean a literal star.
        word = self._read_until("}", ch in ("#", "%"), "syntax error: missing '}'")
        value, found = self.lookup(name)
        if self.skip_unset_env and not found:
            return "${" + name + modifier + word + "}"
        unset = not found or (null_is_unset and value == "")
        if ch == "-":
            return word if unset else value
        if ch == "+":
            return "" if unset else word
        if ch == "?":
            if unset:
                default = (
                    "is not allowed to be unset" if not found else "is not allowed to be empty"
                )
                raise _LexError(f"{name}: {word or default}")
            return value
        greedy = word.startswith(ch)
        if greedy:
            word = word[1:]
        try:
            if ch == "%":
                return _pattern.trim_suffix(word, value, greedy=greedy)
            return _pattern.trim_prefix(word, value, greedy=greedy)
        except _pattern.PatternError as exc:
            raise _LexError(f"invalid pattern ({word}) in substitution: {exc}") from None

    def process_replace(self, name: str) -> str:
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        pattern = self._read_until("/", True, "syntax error: missing '/' in ${}")
        replacement = self._read_until("}", True, "syntax error: missing '}'")
        value, found = self.lookup(name)
        if self.skip_unset_env and not found:
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        try:
            return _pattern.replace(pattern, value, replacement, replace_all=replace_all)
        except _pattern.PatternError as exc:
            raise _LexError(f"invalid pattern ({pattern}) in substitution: {exc}") from None


def process_word(
    word: str,
    env: Mapping[str, str],
    escape: str = "\\",
    *,
    raw_quotes: bool = False,
    raw_escapes: bool = False,
    skip_unset_env: bool = False,
) -> Expansion:
    """Expand ``word`` once and return every view of the result.

    ``raw_quotes``/``raw_escapes`` keep quote and escape characters in the output and
    ``skip_unset_env`` leaves references to unset variables as written; BuildKit uses these for
    heredoc detection and progress names.
    """
    lexer = _Lexer(
        word,
        env,
        escape,
        raw_quotes=raw_quotes,
        raw_escapes=raw_escapes,
        skip_unset_env=skip_unset_env,
    )
    try:
        result, words = lexer.process_stop_on(_EOF, raw_escapes)
    except _LexError as exc:
        raise DockerfileError(f"failed to process {go_quote(word)}: {exc}") from None
    return Expansion(result, tuple(words), frozenset(lexer.matched), frozenset(lexer.unmatched))


def expand(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand variables in one word; quotes and escapes are removed, spaces are kept."""
    return process_word(word, env, escape).result


def expand_words(word: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Expand, then split on unquoted white space (after expansion, like EXPOSE and VOLUME)."""
    return list(process_word(word, env, escape).words)
