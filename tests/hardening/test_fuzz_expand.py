"""Variable expansion under hypothesis with a grammar-aware alphabet: plain random text rarely
forms ``${X:-...}``, so these words are built from its tokens (nested, unbalanced, escaped).
Only DockerfileError may come out, and a word without ``$`` or ``\\`` expands to itself."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from docker_magics.dockerfile import expand
from docker_magics.dockerfile.expand import expand_words
from docker_magics.errors import DockerfileError

EXAMPLES = int(os.environ.get("DOCKER_MAGICS_FUZZ_EXAMPLES", "300"))
_TOKENS = st.sampled_from(
    ["$", "{", "}", ":", "-", "+", "?", ":-", ":+", ":?", "#", "%", "/", "X", "E", "U", "a",
     "\\", "`", "'", '"', " ", "${X}", "${E:-d}", "${U:+x}", "${X:?}", "$$", "${", "${X", "é"]
)  # fmt: skip
_WORD = st.lists(_TOKENS, max_size=30).map("".join)
ENV = {"X": "1", "E": "", "P": "a b"}


@settings(max_examples=EXAMPLES, deadline=None)
@given(_WORD, st.sampled_from(["\\", "`"]))
def test_expand_only_raises_dockerfile_errors(word, escape):
    try:
        out = expand(word, ENV, escape=escape)
        words = expand_words(word, ENV, escape=escape)
    except DockerfileError:
        return
    assert isinstance(out, str) and all(isinstance(w, str) for w in words)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(st.characters(blacklist_characters="$\\`'\""), max_size=40))
def test_words_without_syntax_are_unchanged(word):
    assert expand(word, ENV) == word
