"""The BuildKit corpus guard (tests/conformance.py): partial fails; absent fails in CI."""

from __future__ import annotations

import conformance
import pytest


def _corpus(root, positive: int = 33, negative: int = 4):
    for i in range(positive):
        case = root / "testfiles" / f"case{i}"
        case.mkdir(parents=True)
        (case / "Dockerfile").write_text("FROM a\n")
        (case / "result").write_text('(from "a")\n')
    for i in range(negative):
        case = root / "testfiles-negative" / f"bad{i}"
        case.mkdir(parents=True)
        (case / "Dockerfile").write_text("")
    (root / "envVarTest").write_text("A|$PWD|/home\n")
    (root / "wordsTest").write_text("a b|a,b\n")
    return root


def test_a_whole_corpus_has_no_problems(tmp_path):
    assert conformance.corpus_problems(_corpus(tmp_path)) == []


def test_missing_cases_files_and_results_are_each_named(tmp_path):
    data = _corpus(tmp_path, negative=3)
    (data / "testfiles" / "case7" / "result").unlink()
    (data / "wordsTest").write_text("")
    assert conformance.corpus_problems(data) == [
        "testfiles/case7/result is missing",
        "testfiles-negative/ has 3 cases, expected 4",
        "wordsTest is missing or empty",
    ]


def test_incomplete_fails_and_absent_fails_only_in_ci(tmp_path, monkeypatch):
    data = _corpus(tmp_path / "present", positive=30)
    monkeypatch.setattr(conformance, "DATA", data)
    with pytest.raises(pytest.fail.Exception, match="incomplete: testfiles/ has 30 cases"):
        conformance.corpus_or_none()
    monkeypatch.setattr(conformance, "DATA", tmp_path / "absent")
    monkeypatch.delenv("CI", raising=False)
    assert conformance.corpus_or_none() is None
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not found at .*absent"):
        conformance.corpus_or_none()
