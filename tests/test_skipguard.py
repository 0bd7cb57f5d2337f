"""The skip guard for real: pytest run as a process on a small suite, with its own allowlist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from skipguard import id_pattern, load_allowlist

TESTS = Path(__file__).resolve().parent

SUITE = """
import pytest

def test_passes():
    pass

def test_buildah_too_old():
    pytest.skip("buildah 1.28 cannot build this case (needs 1.33)")

def test_missing_tool():
    pytest.skip("needs frobnicate")
"""

CONFTEST = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from skipguard import SkipGuard

def pytest_configure(config):
    config.pluginmanager.register(SkipGuard("allowed.txt"), "skipguard")
"""


def _run(
    tmp_path: Path, allowlist: str, suite: str = SUITE, opts: tuple[str, ...] = ("-q", "-rs")
) -> tuple[int, str]:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_small.py").write_text(suite)
    (tmp_path / "allowed.txt").write_text(allowlist)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *opts,
            "-p",
            "no:cacheprovider",
            "test_small.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def test_an_unlisted_skip_fails_the_run_and_is_named(tmp_path):
    allow = "test_small.py::test_buildah_too_old | needs 1.33 | Debian 12 has buildah 1.28\n"
    code, out = _run(tmp_path, allow)
    assert code == 1, out
    assert "skips not in allowed.txt" in out
    assert "test_small.py::test_missing_tool: needs frobnicate" in out
    assert "test_small.py::test_buildah_too_old:" not in out.split("skips not in")[1]


def test_listed_skips_pass(tmp_path):
    allow = (
        "# comment\n\n"
        "test_small.py::test_buildah_too_old | needs 1.33 | Debian 12 has buildah 1.28\n"
        "test_small.py::test_missing_* | frobnicate | not packaged for Debian 12\n"
    )
    code, out = _run(tmp_path, allow)
    assert code == 0, out
    assert "1 passed, 2 skipped" in out


def test_the_same_test_skipping_for_another_reason_fails(tmp_path):
    allow = (
        "test_small.py::test_buildah_too_old | needs 1.33 | Debian 12 has buildah 1.28\n"
        "test_small.py::test_missing_tool | needs apt-get | not this reason\n"
    )
    code, out = _run(tmp_path, allow)
    assert code == 1, out
    assert "test_small.py::test_missing_tool: needs frobnicate" in out


def test_brackets_in_a_pattern_are_the_parametrized_id(tmp_path):
    suite = (
        "import pytest\n"
        "@pytest.mark.parametrize('backend', ['proot', 'root'])\n"
        "def test_ro(backend):\n"
        "    pytest.skip(f'{backend} cannot')\n"
    )
    code, out = _run(
        tmp_path, "test_small.py::test_ro[proot] | proot cannot | PRoot has none\n", suite
    )
    assert code == 1, out
    assert "test_small.py::test_ro[root]: root cannot" in out
    assert "test_ro[proot]:" not in out.split("skips not in")[1]


def test_a_module_level_skip_counts(tmp_path):
    suite = "import pytest\npytest.skip('no module here', allow_module_level=True)\n"
    code, out = _run(tmp_path, "", suite)
    assert code == 1, out
    assert "test_small.py: no module here" in out


XFAILS = """
import pytest

@pytest.mark.xfail(reason="hangs under load")
def test_fails():
    assert False

@pytest.mark.xfail(reason="hangs under load")
def test_passes_anyway():
    pass
"""


def test_an_xfail_needs_a_line_as_a_skip_does(tmp_path):
    """An xfail hides a test as a skip does, whether it fails or passes."""
    code, out = _run(tmp_path, "", XFAILS)
    assert code == 1 and "1 xfailed, 1 xpassed" in out, out
    assert "test_small.py::test_fails: xfail: hangs under load" in out
    assert "test_small.py::test_passes_anyway: xfail: hangs under load" in out
    code, out = _run(tmp_path, "test_small.py::test_* | xfail: hangs under load | why\n", XFAILS)
    assert code == 0, out


def test_no_terminal_does_not_disarm_it(tmp_path):
    code, out = _run(tmp_path, "", SUITE, ("-p", "no:terminal"))
    assert code == 1, out


def test_a_failure_stays_a_failure(tmp_path):
    code, out = _run(tmp_path, "", "def test_fails():\n    assert False\n")
    assert code == 1 and "1 failed" in out and "skips not in" not in out, out


def test_a_malformed_allowlist_names_file_and_line(tmp_path):
    code, out = _run(tmp_path, "# ok\ntest_small.py::test_passes without a reason\n")
    assert code == 4, out  # pytest's usage error
    assert "allowed.txt:2: expected `TEST ID PATTERN | SKIP REASON CONTAINS | WHY`" in out
    assert "Traceback" not in out


def test_every_allowlist_entry_names_a_test_file_that_exists():
    """A renamed test must not leave a stale line that would later excuse something else."""
    root = TESTS.parent
    for entry in load_allowlist():
        module = entry.pattern.split("::")[0]
        assert any(
            id_pattern(module).fullmatch(str(p.relative_to(root))) for p in TESTS.rglob("test_*.py")
        ), f"{entry.pattern} matches no test file"
        assert len(entry.why) > 20, f"{entry.pattern}: say why it cannot run on Debian 12 as root"
