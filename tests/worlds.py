"""The three worlds the engine must work in, entered for real from a root test run.

- "root": this process's own privileges.
- "unprivileged": uid/gid 65534 via setpriv (user namespaces still allowed).
- "no-userns": uid 65534 inside `bwrap --disable-userns`, where creating a user namespace fails
  as on Binder, so only PRoot is left.

The package is copied to a world-readable directory and run with Debian's /usr/bin/python3,
because the default Python may live under /root where other users cannot reach it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
NOBODY = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
NO_USERNS = [
    "bwrap",
    "--unshare-user",
    "--disable-userns",
    "--bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--",
]
WORLDS = ["root", "unprivileged", "no-userns"]


def skip_unless_world(world: str) -> None:
    if os.geteuid() != 0:
        if world != "root":
            pytest.skip("entering other worlds needs a root test run (setpriv)")
        return
    if world != "root" and not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux)")
    if world == "no-userns" and not shutil.which("bwrap"):
        pytest.skip("needs bwrap: apt-get install bubblewrap")


class World:
    """Runs the CLI in one world against one store directory."""

    def __init__(self, name: str) -> None:
        self.name = name
        # Not under pytest's tmp dir: that sits in a 0700 directory other users cannot cross.
        base = self.base = tempfile.mkdtemp(prefix="dm-world-", dir="/tmp")
        os.chmod(base, 0o777)
        self.pkg = tempfile.mkdtemp(prefix="dm-pkg-", dir=base)
        shutil.copytree(
            os.path.join(ROOT, "docker_magics"),
            os.path.join(self.pkg, "docker_magics"),
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        self.store = os.path.join(base, "store")
        self.home = os.path.join(base, "home")
        os.makedirs(self.home, exist_ok=True)
        if name != "root":
            for d in (base, self.pkg, self.home):
                os.chmod(d, 0o777)
                for dirpath, dirnames, filenames in os.walk(d):
                    for n in dirnames:
                        os.chmod(os.path.join(dirpath, n), 0o755)
                    for n in filenames:
                        os.chmod(os.path.join(dirpath, n), 0o644)
            os.chown(self.home, 65534, 65534)
            os.chmod(base, 0o777)

    def prefix(self) -> list[str]:
        if self.name == "unprivileged":
            return list(NOBODY)
        if self.name == "no-userns":
            return NOBODY + NO_USERNS
        return []

    def cli(
        self, *args: str, runtime: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        cmd = [PYTHON, "-m", "docker_magics", "--root", self.store]
        if runtime:
            cmd += ["--runtime", runtime]
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "PYTHONPATH": self.pkg,
            "HOME": self.home,
            "LANG": "C.UTF-8",
        }
        proc = subprocess.run(
            self.prefix() + cmd + list(args),
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            cwd=self.base,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"[{self.name}] {' '.join(args)} exited {proc.returncode}\n"
                f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
            )
        return proc

    def close(self) -> None:
        from docker_magics.layer.extract import safe_rmtree

        safe_rmtree(self.base)
