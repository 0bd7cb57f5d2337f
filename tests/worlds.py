"""The three worlds the engine must work in, entered for real from a root test run.

- "root": this process's own privileges.
- "unprivileged": uid/gid 65534 via setpriv (user namespaces still allowed).
- "no-userns": uid 65534 inside `bwrap --disable-userns`, where creating a user namespace fails,
  so only PRoot is left.
- "binder" and "binder-k3s": a mybinder.org user pod as scripts/binder-sim makes it (uid 1000,
  no_new_privs, 2 GB, 1 CPU) with containerd's RuntimeDefault seccomp profile (no namespaces at
  all) or with every mount refused (k3s's AppArmor; user namespaces creatable).

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
BINDER_SIM = os.path.join(ROOT, "scripts", "binder-sim", "binder-sim")
BINDER_PROFILES = {"binder": "runtime-default", "binder-k3s": "k3s-apparmor"}
WORLDS = ["root", "unprivileged", "no-userns", *BINDER_PROFILES]
# The backend the probe must choose in each world where only one fits; choosing another fails.
ALLOWED_BACKEND = {"no-userns": "proot", "binder": "proot", "binder-k3s": "proot"}


_SIM_COPY: list[str] = []


def _binder_sim() -> str:
    """A world-readable copy of scripts/binder-sim: the pod's setup reads its files as the pod's
    user, who cannot enter a checkout kept in a private (0700) directory."""
    if not _SIM_COPY:
        base = tempfile.mkdtemp(prefix="dm-binder-sim-", dir="/tmp")
        dest = os.path.join(base, "binder-sim")
        shutil.copytree(os.path.dirname(BINDER_SIM), dest)
        for dirpath, _dirs, files in os.walk(base):
            os.chmod(dirpath, 0o755)
            for name in files:
                path = os.path.join(dirpath, name)
                os.chmod(path, os.stat(path).st_mode | 0o444)
        _SIM_COPY.append(os.path.join(dest, "binder-sim"))
    return _SIM_COPY[0]


def binder_sim(
    profile: str, cmd: list[str], env: dict[str, str], cwd: str, report: str
) -> list[str]:
    """argv running ``cmd`` in a simulated Binder pod (binder-sim takes env and cwd as options)."""
    argv = [_binder_sim(), "--profile", profile, "--name", f"dm-test-{os.getpid()}", "-C", cwd]
    argv += ["--report", report]
    for key, value in env.items():
        argv += ["-e", f"{key}={value}"]
    return [*argv, "--", *cmd]


def skip_unless_world(world: str) -> None:
    if os.geteuid() != 0:
        if world != "root":
            pytest.skip("entering other worlds needs a root test run (setpriv)")
        return
    if world != "root" and not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux)")
    if world == "no-userns" and not shutil.which("bwrap"):
        pytest.skip("needs bwrap: apt-get install bubblewrap")
    if world in BINDER_PROFILES and subprocess.run([PYTHON, "-c", "import seccomp"]).returncode:
        pytest.skip("needs python3-seccomp: scripts/install-system-packages")


class World:
    """Runs the CLI in one world against one store directory."""

    def __init__(self, name: str) -> None:
        self.name = name
        # binder-sim runs as jovyan (uid 1000), the other worlds' users as nobody.
        self.uid = 1000 if name in BINDER_PROFILES else 65534
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
            os.chown(self.home, self.uid, self.uid)
            os.chmod(base, 0o777)

        # binder-sim's per-run line (exit, wall time, peak memory), one JSON object a line.
        self.report = os.path.join(base, "binder-sim.jsonl")

    def command(self, cmd: list[str], env: dict[str, str], cwd: str) -> list[str]:
        """The argv that runs ``cmd`` as this world's user (pass ``env`` and ``cwd`` too)."""
        if self.name in BINDER_PROFILES:
            return binder_sim(BINDER_PROFILES[self.name], cmd, env, cwd, self.report)
        if self.name == "unprivileged":
            return NOBODY + cmd
        if self.name == "no-userns":
            return NOBODY + NO_USERNS + cmd
        return cmd

    def cli_argv(self) -> list[str]:
        """The CLI on this world's store (``command`` makes it run as the world's user)."""
        return [PYTHON, "-m", "docker_magics", "--root", self.store]

    def cli_env(self) -> dict[str, str]:
        return {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "PYTHONPATH": self.pkg,
            "HOME": self.home,
            "LANG": "C.UTF-8",
        }

    def cli(
        self, *args: str, runtime: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        cmd = self.cli_argv()
        if runtime:
            cmd += ["--runtime", runtime]
        env = self.cli_env()
        proc = subprocess.run(
            self.command(cmd + list(args), env, self.base),
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
