"""Parse-tree details the BuildKit corpus does not pin: locations, heredocs, directives."""

from __future__ import annotations

import pytest

from docker_magics.dockerfile import Heredoc, dump, parse
from docker_magics.errors import DockerfileError


def test_nodes_carry_line_ranges_and_original_text() -> None:
    tree = parse('FROM alpine\n\nRUN a \\\n  b\nCMD ["x"]\n')
    assert [(n.instruction, n.start_line, n.end_line) for n in tree.nodes] == [
        ("from", 1, 1),
        ("run", 3, 4),
        ("cmd", 5, 5),
    ]
    assert tree.nodes[1].original == "RUN a   b"
    assert tree.nodes[2].json and tree.nodes[2].args == ("x",)


def test_keyword_case_is_kept_but_instruction_is_lower() -> None:
    node = parse("From alpine").nodes[0]
    assert node.keyword == "From"
    assert node.instruction == "from"


def test_directives_are_read_case_insensitively_and_only_at_the_top() -> None:
    tree = parse("# SYNTAX = docker/dockerfile:1\n# Escape=`\nFROM a\n# escape=\\\n")
    assert tree.directive("syntax") == "docker/dockerfile:1"
    assert tree.escape == "`"


def test_repeated_directive_is_an_error_with_its_line() -> None:
    with pytest.raises(DockerfileError) as info:
        parse("# escape=`\n# escape=`\nFROM a\n")
    assert info.value.line == 2
    assert "only one escape parser directive" in info.value.message


def test_invalid_escape_directive() -> None:
    with pytest.raises(DockerfileError, match="invalid escape token"):
        parse("# escape=x\nFROM a\n")


def test_backtick_escape_continues_lines() -> None:
    assert (
        dump("# escape=`\nFROM a\nRUN dir c:\\ `\n  /w\n") == '(from "a")\n(run "dir c:\\\\   /w")'
    )


def test_comments_inside_continuation_are_dropped_with_warning_for_blank_lines() -> None:
    tree = parse("FROM a\nRUN a \\\n# note\n\n  b\n")
    assert tree.nodes[1].args == ("a   b",)
    assert tree.nodes[1].end_line == 5
    assert len(tree.warnings) == 1


def test_heredoc_body_is_attached_and_lines_counted() -> None:
    tree = parse("FROM a\nRUN <<EOF bash\necho 1\nEOF\nRUN true\n")
    run = tree.nodes[1]
    assert run.heredocs == (Heredoc(name="EOF", content="echo 1\n"),)
    assert (run.start_line, run.end_line) == (2, 4)
    assert tree.nodes[2].start_line == 5


def test_several_heredocs_quoting_chomp_and_fd() -> None:
    text = "FROM a\nRUN <<-'ONE' 3<<TWO cat\n\tx $A\n\tONE\ny\nTWO\n"
    one, two = parse(text).nodes[1].heredocs
    assert (one.name, one.chomp, one.expand, one.content) == ("ONE", True, False, "\tx $A\n")
    assert (two.name, two.file_descriptor, two.expand, two.content) == ("TWO", 3, True, "y\n")


def test_copy_heredoc_and_exec_form_run_has_none() -> None:
    tree = parse('FROM a\nCOPY <<EOF /dst\nhello\nEOF\nRUN ["<<EOF"]\n')
    assert tree.nodes[1].heredocs[0].content == "hello\n"
    assert tree.nodes[2].heredocs == ()


def test_onbuild_heredoc() -> None:
    node = parse("FROM a\nONBUILD RUN <<EOF\nx\nEOF\n").nodes[1]
    assert node.child is not None and node.child.instruction == "run"
    assert node.heredocs[0].content == "x\n"


def test_unterminated_heredoc() -> None:
    with pytest.raises(DockerfileError, match="unterminated heredoc") as info:
        parse("FROM a\nRUN <<EOF\nx\n")
    assert info.value.line == 2


def test_json_fallback_and_flags_in_dump() -> None:
    text = "FROM a\nRUN --mount=type=cache,target=/c ['x']\nCOPY --chown=1:1 -- a b\n"
    assert dump(text).splitlines()[1:] == [
        '(run ["--mount=type=cache,target=/c"] "[\'x\']")',
        '(copy ["--chown=1:1"] "a" "b")',
    ]


def test_unknown_instruction_is_accepted_by_the_parser_like_buildkit() -> None:
    assert dump("FROM a\nFOO bar baz\n") == '(from "a")\n(foo "")'


def test_bom_and_crlf_are_ignored() -> None:
    assert dump("\ufeffFROM a\r\nRUN b\r\n") == '(from "a")\n(run "b")'


def test_error_location_for_bad_env_spans_continuation() -> None:
    with pytest.raises(DockerfileError) as info:
        parse("FROM a\nENV a=1 \\\n  b\n")
    assert (info.value.line, info.value.end_line) == (2, 3)
    assert "Dockerfile:2-3" in str(info.value)
