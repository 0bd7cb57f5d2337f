"""One store for the CLI tests, made once per module, and a helper that runs the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

# The venv's console script, as a user types it; `python -m docker_magics` where it is missing.
_SCRIPT = os.path.join(os.path.dirname(sys.executable), "docker-magics")
_COMMAND = [_SCRIPT] if os.path.exists(_SCRIPT) else [sys.executable, "-m", "docker_magics"]


@dataclass
class Cli:
    root: str
    cwd: str

    def argv(self, *argv: str) -> list[str]:
        """The whole command line of `docker-magics --root STORE ARGV...`."""
        return [*_COMMAND, "--root", self.root, *argv]

    def __call__(self, *argv: str, stdin: bytes | None = None, timeout: float = 60) -> Result:
        proc = subprocess.run(
            self.argv(*argv),
            input=stdin,
            capture_output=True,
            cwd=self.cwd,
            timeout=timeout,
        )
        out = proc.stdout.decode("utf-8", "replace")
        return Result(proc.returncode, out, proc.stderr.decode("utf-8", "replace"), proc.stdout)

    def ok(self, *argv: str, stdin: bytes | None = None) -> str:
        """stdout of a command that must succeed and print nothing on stderr."""
        r = self(*argv, stdin=stdin)
        assert (r.code, r.err) == (0, ""), f"{argv}: {r}"
        return r.out


@dataclass
class Result:
    code: int
    out: str
    err: str
    raw: bytes  # stdout as bytes, for verbs that write archives there


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, busybox_tar: str) -> Iterator[Cli]:
    """A store holding busybox:latest, imported through the CLI itself."""
    work = tmp_path_factory.mktemp("cli")
    runner = Cli(str(work / "store"), str(work))
    out = runner.ok("import", busybox_tar, "busybox:latest")
    assert out.startswith("sha256:") and len(out.strip()) == 71
    yield runner
    # Whatever a test left running is stopped, so no process outlives the module.
    for name in runner.ok("ps", "-a", "-q").split():
        runner("rm", "-f", name)
