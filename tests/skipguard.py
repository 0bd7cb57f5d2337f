"""No silent skips: a run fails when a test skips for a reason not on ``tests/allowed_skips.txt``.

A skip hides whatever the test was there to catch, so each one the suite accepts is written down
with the reason it cannot run on Debian 12 as root. An expected failure (``xfail``, whether it
then fails or passes) hides a test the same way and is held to the same list; its reason is the
mark's ``reason``. Everything else that skips (a missing package,
a fallback that could not be made, a backend the probe did not pick) turns the run into a failure
and is listed at the end, after pytest's own ``-rs`` summary.

Allowlist lines: ``TEST ID PATTERN | SKIP REASON CONTAINS | WHY``, where the pattern is the test
id (``tests/x.py::test_y[case]``) with ``*`` and ``?`` as wildcards, and the second field a piece
of the skip's message, so that the same test skipping for another reason still fails. ``#`` starts
a comment line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pytest

__all__ = ["Allowed", "id_pattern", "load_allowlist", "skip_reason", "unallowed", "need_in_ci"]

ALLOWLIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "allowed_skips.txt")


@dataclass(frozen=True)
class Allowed:
    pattern: str
    reason: str
    why: str

    def covers(self, nodeid: str, reason: str) -> bool:
        return id_pattern(self.pattern).fullmatch(nodeid) is not None and self.reason in reason


def id_pattern(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` are wildcards; brackets are literal, as in parametrized ids (``[proot]``)."""
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."))


def load_allowlist(path: str = ALLOWLIST) -> list[Allowed]:
    """The allowlist's entries; a malformed line is a usage error naming file and line."""
    entries = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = [part.strip() for part in line.split(" | ")]
            if len(parts) != 3 or not all(parts):
                raise pytest.UsageError(
                    f"{path}:{number}: expected `TEST ID PATTERN | SKIP REASON CONTAINS | WHY`"
                )
            entries.append(Allowed(*parts))
    return entries


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The message a skip was given (``longrepr`` is ``(path, line, "Skipped: ...")``), or
    ``xfail: REASON`` for an expected failure."""
    if hasattr(report, "wasxfail"):
        return f"xfail: {report.wasxfail}"
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def unallowed(
    reports: list[pytest.TestReport | pytest.CollectReport], allowed: list[Allowed]
) -> list[tuple[str, str]]:
    """(test id, reason) of every skip no allowlist entry covers."""
    out = []
    for report in reports:
        reason = skip_reason(report)
        if not any(entry.covers(report.nodeid, reason) for entry in allowed):
            out.append((report.nodeid, reason))
    return out


def need_in_ci(message: str) -> None:
    """Where a fallback the suite relies on could not be made: an error in CI, else a skip.

    CI always has the network to Debian's archive and the npm registry, so there a failed
    fallback is a real failure (and outside CI such a skip still fails the run unless listed).
    """
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class SkipGuard:
    """The plugin: registered by tests/conftest.py."""

    def __init__(self, allowlist: str = ALLOWLIST) -> None:
        self.allowlist = allowlist
        self.allowed = load_allowlist(allowlist)  # at configure time: a bad line stops the run
        self.offenders: list[tuple[str, str]] = []
        self.skipped: list[pytest.TestReport | pytest.CollectReport] = []

    # Collected here, not read from the terminal reporter's stats: `-p no:terminal` must not
    # turn the guard off. An xfail is reported as skipped when it fails and as passed when it
    # passes (non-strict): both count, once per test.
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped or (hasattr(report, "wasxfail") and report.when == "call"):
            self.skipped.append(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.skipped:
            self.skipped.append(report)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.offenders = unallowed(self.skipped, self.allowed)
        if self.offenders and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.offenders:
            return
        terminalreporter.section(f"skips not in {self.allowlist}", red=True)
        for nodeid, reason in self.offenders:
            terminalreporter.write_line(f"{nodeid}: {reason}")
        terminalreporter.write_line(
            "A skip hides what the test checks: install what it needs, make it fail, or add "
            "a line to the allowlist saying why it cannot run on Debian 12 as root."
        )
