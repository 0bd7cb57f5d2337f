"""BuildKit's own parser and lexer test data, run against our frontend.

The data lives outside the project (shared/conformance/buildkit-parser, Apache-2.0, from
moby/buildkit); it is read in place and never copied here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance import DATA, corpus_or_none

from docker_magics.dockerfile import dump, expand, expand_words
from docker_magics.errors import DockerfileError

# A checkout without the shared directory skips (allowed outside CI only); an incomplete one fails.
if corpus_or_none() is None:
    pytest.skip(f"BuildKit conformance data not found at {DATA}", allow_module_level=True)

# envVarTest rows tagged W describe Windows, where variable names are case-insensitive.
_PLATFORMS = ("A", "U")
_ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""}


def _read(path: Path) -> str:
    # Byte-exact: no newline translation, the corpus has significant "\r" and trailing blanks.
    return path.read_bytes().decode("utf-8")


def _case_dirs(name: str) -> list[Path]:
    folder = DATA / name
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def _env_var_cases() -> list[tuple[int, str, str]]:
    path = DATA / "envVarTest"
    if not path.is_file():
        return []
    cases = []
    for number, line in enumerate(_read(path).split("\n"), start=1):
        if line.startswith("#") or not line.strip():
            continue
        platform, source, expected = (part.strip() for part in line.strip().split("|"))
        if platform in _PLATFORMS:
            cases.append((number, source, expected))
    return cases


def _words_cases() -> list[tuple[int, str, dict[str, str], list[str]]]:
    path = DATA / "wordsTest"
    if not path.is_file():
        return []
    env: dict[str, str] = {}
    cases = []
    for number, line in enumerate(_read(path).split("\n"), start=1):
        if line.startswith("#") or not line:
            continue
        if line.startswith("ENV "):
            key, _, value = line[3:].lstrip(" ").partition("=")
            env[key] = value
            continue
        source, expected = line.split("|")
        cases.append((number, source.strip(), dict(env), expected.lstrip(" ").split(",")))
    return cases


@pytest.mark.parametrize("case", _case_dirs("testfiles"), ids=lambda p: p.name)
def test_dump_matches_buildkit(case: Path) -> None:
    expected = _read(case / "result")
    assert dump(_read(case / "Dockerfile")) + "\n" == expected


@pytest.mark.parametrize("case", _case_dirs("testfiles-negative"), ids=lambda p: p.name)
def test_negative_cases_raise(case: Path) -> None:
    with pytest.raises(DockerfileError) as info:
        dump(_read(case / "Dockerfile"))
    assert info.value.line is not None


@pytest.mark.parametrize(("number", "source", "expected"), _env_var_cases())
def test_env_var_expansion(number: int, source: str, expected: str) -> None:
    if expected == "error":
        with pytest.raises(DockerfileError):
            expand(source, _ENV)
    else:
        assert expand(source, _ENV) == expected, f"envVarTest line {number}"


@pytest.mark.parametrize(("number", "source", "env", "expected"), _words_cases())
def test_word_splitting(number: int, source: str, env: dict[str, str], expected: list[str]) -> None:
    try:
        result = expand_words(source, env)
    except DockerfileError:
        result = ["error"]
    assert result == expected, f"wordsTest line {number}"


def test_corpus_is_complete() -> None:
    # Guards against a silently truncated corpus turning the suite into a no-op.
    assert len(_case_dirs("testfiles")) >= 33
    assert len(_case_dirs("testfiles-negative")) >= 4
    assert len(_env_var_cases()) >= 200
    assert len(_words_cases()) >= 20
