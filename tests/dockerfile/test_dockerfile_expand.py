"""Expansion features beyond BuildKit's envVarTest: patterns, escapes, lookups."""

from __future__ import annotations

import pytest

from docker_magics.dockerfile import expand, expand_words, process_word
from docker_magics.errors import DockerfileError

ENV = {"P": "/usr/local/bin/tool.tar.gz", "E": "", "W": "a b  c"}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("${P#*/}", "usr/local/bin/tool.tar.gz"),
        ("${P##*/}", "tool.tar.gz"),
        ("${P%.*}", "/usr/local/bin/tool.tar"),
        ("${P%%.*}", "/usr/local/bin/tool"),
        ("${P/o/0}", "/usr/l0cal/bin/tool.tar.gz"),
        ("${P//o/0}", "/usr/l0cal/bin/t00l.tar.gz"),
        ("${P/?usr/X}", "X/local/bin/tool.tar.gz"),
        ("${P//\\//:}", ":usr:local:bin:tool.tar.gz"),
        ("${P#\\*}", "/usr/local/bin/tool.tar.gz"),
        ("${X//a/b}", ""),
        ("${E-d}", ""),
        ("${E:-d}", "d"),
        ("${E+s}", "s"),
        ("${E:+s}", ""),
    ],
)
def test_parameter_expansion(word: str, expected: str) -> None:
    assert expand(word, ENV) == expected


@pytest.mark.parametrize("word", ["${P:#x}", "${P:%x}", "${P/x", "${P#\\x}", "${X?}", "${E:?}"])
def test_errors(word: str) -> None:
    with pytest.raises(DockerfileError, match="failed to process"):
        expand(word, ENV)


def test_custom_message_for_required_variable() -> None:
    with pytest.raises(DockerfileError, match="X: set X please"):
        expand("${X:?set X please}", ENV)


def test_backtick_escape() -> None:
    assert expand("a`$P`\\b", ENV, escape="`") == "a$P\\b"


def test_words_split_after_expansion_only_outside_quotes() -> None:
    assert expand_words('x $W "$W"', ENV) == ["x", "a", "b", "c", "a b  c"]


def test_matched_and_unmatched_names_are_reported() -> None:
    result = process_word("$P ${NOPE:-x}", ENV)
    assert result.matched == {"P"}
    assert result.unmatched == {"NOPE"}


def test_skip_unset_keeps_references() -> None:
    assert process_word("${NOPE:-x}$Q", {}, skip_unset_env=True).result == "${NOPE:-x}$Q"
