"""Where BuildKit's parser corpus is (``../shared/conformance/buildkit-parser``), and whether whole.

The corpus lives outside the repository. A clone without it skips the tests that read it (listed
in tests/allowed_skips.txt); CI always has it, so there its absence fails, and a corpus that is
there but incomplete fails everywhere: a half-copied corpus would pass with fewer cases run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["DATA", "corpus_or_none", "corpus_problems"]

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "buildkit-parser"
# What shared/conformance/README.md says the snapshot holds.
CASES = {"testfiles": 33, "testfiles-negative": 4}
FILES = ("envVarTest", "wordsTest")


def corpus_problems(data: Path) -> list[str]:
    """What is missing from a corpus at ``data`` (empty when it is whole)."""
    problems = []
    for folder, count in CASES.items():
        cases = (
            [p for p in (data / folder).iterdir() if p.is_dir()] if (data / folder).is_dir() else []
        )
        if len(cases) < count:
            problems.append(f"{folder}/ has {len(cases)} cases, expected {count}")
        wanted = ("Dockerfile", "result") if folder == "testfiles" else ("Dockerfile",)
        for case in cases:
            problems += [
                f"{folder}/{case.name}/{f} is missing" for f in wanted if not (case / f).is_file()
            ]
    for name in FILES:
        if not (data / name).is_file() or (data / name).stat().st_size == 0:
            problems.append(f"{name} is missing or empty")
    return problems


def corpus_or_none() -> Path | None:
    """The corpus; None when it is absent outside CI. Fails (at collection) when it is absent in
    CI or incomplete anywhere."""
    if not DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"BuildKit conformance data not found at {DATA} (CI has ../shared)", pytrace=False
            )
        return None
    problems = corpus_problems(DATA)
    if problems:
        pytest.fail(
            f"BuildKit conformance data at {DATA} is incomplete: " + "; ".join(problems),
            pytrace=False,
        )
    return DATA
