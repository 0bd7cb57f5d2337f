"""The benchmark suite's own guarantees (not its timings): RESULTS.md is exactly what
`benchmarks/run.py --markdown` makes of the committed JSON, and a failing command fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture()
def bench_modules(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import report
    import timing

    return report, timing


def test_results_page_is_generated_from_the_json():
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--markdown", "benchmarks/results.json"],
        capture_output=True,
        text=True,
        cwd=BENCH.parent,
        check=True,
    )
    assert proc.stdout == (BENCH / "RESULTS.md").read_text(), (
        "benchmarks/RESULTS.md was edited by hand or its JSON changed: regenerate it with "
        "`.venv/bin/python benchmarks/run.py --markdown benchmarks/results.json "
        "> benchmarks/RESULTS.md`"
    )


def test_peak_rss_fails_when_the_command_fails(bench_modules):
    _, timing = bench_modules
    assert timing.peak_rss(["true"]) > 0
    with pytest.raises(RuntimeError, match="exited 3"):
        timing.peak_rss(["sh", "-c", "echo broken >&2; exit 3"])
