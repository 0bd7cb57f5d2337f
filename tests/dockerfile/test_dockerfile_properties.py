"""Property tests: the parser fails only with DockerfileError, covers the source with its line
ranges, keeps all meaning (re-parsing its rendering gives the same tree) and agrees with
BuildKit's own parser where that is installed."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from docker_magics.dockerfile import expand, parse, parse_stages
from docker_magics.dockerfile.nodes import ParseResult
from docker_magics.errors import DockerfileError

try:
    import dockerfile as gp  # BuildKit's Go parser, compiled into a wheel
except ImportError:  # no wheel for this platform
    gp = None
else:
    from test_against_buildkit_parser import _assert_same  # this folder is on sys.path

# Dockerfile-ish text: keywords, flags, quotes, escapes, heredocs and newlines mixed with noise.
_TOKENS = st.sampled_from(
    ["FROM", "RUN", "COPY", "ENV", "ONBUILD", "ARG", "CMD", "HEALTHCHECK", "LABEL", "a=b",
     "--from=x", "--mount=type=cache,target=/c", "[", "]", '"', "'", "\\", "`", "<<EOF", "<<-E",
     "EOF", "#", "# escape=`", "$X", "${X:-y}", " ", "\t", "\n", "\n", "\n"]
)  # fmt: skip
_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
    st.lists(_TOKENS, max_size=40).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_parse_only_raises_dockerfile_error(text: str) -> None:
    try:
        parse(text)
    except DockerfileError as exc:
        assert exc.line is not None
        assert 1 <= exc.line <= text.count("\n") + 1


def _rendered(result: ParseResult) -> str:
    """The parsed file written back as Dockerfile text: directives, then each instruction's
    logical line (continuations joined, comments inside them dropped) and its heredoc bodies."""
    out = [f"# {name}={value}" for name, value in result.directives]
    for node in result.nodes:
        # An empty instruction (BuildKit keeps one) comes only from a lone continuation.
        out.append(node.original or result.escape)
        inner = node.child if node.child is not None else node
        out.extend(h.content + h.name for h in inner.heredocs)
    return "\n".join(out) + "\n"


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip(" \t\r\v\f")
    return not stripped or stripped.startswith("#")


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_line_ranges_cover_the_source(text: str) -> None:
    """Nodes come in order, never overlap, stay inside the file, and every line outside them
    is blank or a comment: no instruction text is lost between nodes."""
    try:
        result = parse(text)
    except DockerfileError:
        return
    lines = text.split("\n")
    covered: set[int] = set()
    previous_end = 0
    for node in result.nodes:
        assert previous_end < node.start_line <= node.end_line <= len(lines)
        covered.update(range(node.start_line, node.end_line + 1))
        previous_end = node.end_line
    for number, line in enumerate(lines, start=1):
        assert number in covered or _is_blank_or_comment(line), f"line {number}: {line!r}"


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_parse_of_rendered_text_is_idempotent(text: str) -> None:
    """Writing the parse back as text and parsing that gives the same tree (dump), and doing it
    again changes nothing: the parse keeps everything that carries meaning."""
    try:
        result = parse(text)
    except DockerfileError:
        return
    once = _rendered(result)
    again = parse(once)
    assert again.dump() == result.dump()
    # A node's original text keeps the indentation that followed a leading line continuation
    # (as BuildKit's does: "\\\n 0" -> " 0"), which the next parse drops: the text settles on the
    # second rendering and stays there.
    twice = _rendered(again)
    assert parse(twice).dump() == result.dump()
    assert _rendered(parse(twice)) == twice


@pytest.mark.skipif(gp is None, reason="the `dockerfile` package (BuildKit's parser) is absent")
@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_random_text_parses_like_buildkit(text: str) -> None:
    """Round trip through BuildKit's own parser: same nodes, or both reject the text."""
    # The wrapper hands Go a C string, which ends at the first NUL: BuildKit itself never sees
    # what follows, so text with NUL cannot be compared through it.
    assume("\0" not in text)
    _assert_same(text)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_parse_stages_only_raises_dockerfile_error(text: str) -> None:
    try:
        parse_stages(text)
    except DockerfileError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_expand_only_raises_dockerfile_error(word: str) -> None:
    try:
        expand(word, {"X": "1", "E": ""})
    except DockerfileError:
        pass


@given(st.from_regex(r"[A-Za-z0-9_./:-]{1,20}", fullmatch=True))
def test_plain_words_expand_to_themselves(word: str) -> None:
    assert expand(word, {}) == word
