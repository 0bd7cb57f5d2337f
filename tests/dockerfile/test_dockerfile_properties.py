"""Property tests: the parser never fails except with DockerfileError, and is stable."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from docker_magics.dockerfile import dump, expand, parse, parse_stages
from docker_magics.errors import DockerfileError

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
        result = parse(text)
    except DockerfileError as exc:
        assert exc.line is not None
        return
    for node in result.nodes:
        assert 1 <= node.start_line <= node.end_line
    assert dump(text) == result.dump()


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
