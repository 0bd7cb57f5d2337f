"""Fixtures for the runtime tests: a busybox rootfs, backends, and unprivileged "worlds".

Everything runs on the real kernel. The unprivileged worlds re-run a Python snippet as
uid 65534 with Debian's /usr/bin/python3 (the default python here is not executable by
other users), optionally inside ``bwrap --disable-userns`` where user namespaces fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from rt_helpers import backend_or_skip
from worlds import BINDER_PROFILES, binder_sim, skip_unless_world

from docker_magics.runtime import Backend, RootfsSpec

BUSYBOX = shutil.which("busybox") or "/bin/busybox"
SYSTEM_PYTHON = "/usr/bin/python3"
NOBODY = 65534
REPO = Path(__file__).resolve().parents[2]


def _make_world_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


def build_rootfs(dest: Path, *, with_dirs: bool = False) -> Path:
    """A tiny image: busybox and its applet links, /etc/passwd, one file to delete.

    No /proc, /dev, /sys and no /etc/hosts by default, like a ``FROM scratch`` image, so
    the runtime has to provide mount points without writing into the change set.
    """
    (dest / "bin").mkdir(parents=True)
    (dest / "etc").mkdir()
    shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    for name in applets.stdout.split():
        if name != "busybox":
            (dest / "bin" / name).symlink_to("busybox")
    (dest / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"
    )
    (dest / "etc" / "greeting").write_text("hello from the image\n")
    (dest / "etc" / "greeting").chmod(0o644)
    (dest / "opt" / "data").mkdir(parents=True)
    (dest / "opt" / "data" / "old").write_text("old\n")
    if with_dirs:
        for d in ("proc", "dev", "sys", "tmp"):
            (dest / d).mkdir()
    return dest


@pytest.fixture(scope="session")
def image_dir() -> Iterator[Path]:
    if not os.path.exists(BUSYBOX):
        pytest.skip("busybox-static is not installed (apt-get install -y busybox-static)")
    base = _make_world_dir("dm-rt-image-")
    yield build_rootfs(base / "rootfs")
    shutil.rmtree(base, ignore_errors=True)


class Layout:
    """One container's directories; ``spec`` is an overlay or a private copy (directory)."""

    def __init__(self, base: Path, image: Path, overlay: bool, owner: int | None = None) -> None:
        self.base = base
        self.lower = image
        self.upper, self.work, self.mnt = base / "upper", base / "work", base / "mnt"
        self.directory = base / "rootfs"
        if overlay and owner is not None:
            # Rootless: the layers must belong to the user too, as the engine's unpacked layers
            # do (an unmapped owner makes even container root lack permission to change them).
            self.lower = base / "lower"
            shutil.copytree(image, self.lower, symlinks=True)
            image = self.lower
        if overlay:
            for d in (self.upper, self.work, self.mnt):
                d.mkdir()
            self.spec = RootfsSpec(
                lowerdirs=(str(image),),
                upperdir=str(self.upper),
                workdir=str(self.work),
                mountpoint=str(self.mnt),
            )
        else:
            shutil.copytree(image, self.directory, symlinks=True)
            self.spec = RootfsSpec(directory=str(self.directory))
        if owner is not None:
            for root, dirs, files in os.walk(base):
                for name in dirs + files:
                    os.lchown(os.path.join(root, name), owner, owner)
            os.chown(base, owner, owner)

    def upper_entries(self) -> set[str]:
        found = set()
        for root, dirs, files in os.walk(self.upper):
            for name in dirs + files:
                found.add(os.path.relpath(os.path.join(root, name), self.upper))
        return found


@pytest.fixture
def make_layout(image_dir: Path) -> Iterator:
    made: list[Path] = []

    def make(overlay: bool = True, owner: int | None = None, image: Path | None = None) -> Layout:
        base = _make_world_dir("dm-rt-ctr-")
        made.append(base)
        return Layout(base, image or image_dir, overlay, owner)

    yield make
    for base in made:
        subprocess.run(["chmod", "-R", "u+rwx", str(base)], check=False)
        shutil.rmtree(base, ignore_errors=True)


BACKENDS = [
    pytest.param("root", marks=pytest.mark.root),
    pytest.param("userns", marks=pytest.mark.userns),
    pytest.param("proot", marks=pytest.mark.proot),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return backend_or_skip(request.param)


@pytest.fixture
def layout(backend: Backend, make_layout) -> Layout:
    return make_layout(overlay=backend.supports_overlay)


@pytest.fixture(scope="session")
def package_copy() -> Iterator[Path]:
    """A world-readable copy of the package, importable by uid 65534."""
    base = _make_world_dir("dm-rt-pkg-")
    shutil.copytree(
        REPO / "docker_magics",
        base / "docker_magics",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def run_in_world(package_copy: Path):
    """Run a snippet as uid 65534 ("userns" world) or also without user namespaces ("nouserns"),
    or as uid 1000 in a simulated Binder pod ("binder", "binder-k3s": tests/worlds.py).

    The snippet must assign a JSON-able ``result``; the helper returns it.
    """
    for tool in ("setpriv", SYSTEM_PYTHON):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not available")
    if os.geteuid() != 0:
        pytest.skip("switching to uid 65534 needs root")

    def run(snippet: str, world: str = "userns", timeout: float = 60) -> object:
        code = snippet + "\nimport json as _j\nprint('RESULT=' + _j.dumps(result))\n"
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(package_copy), "HOME": "/tmp"}
        cmd = ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups"]
        if world == "nouserns":
            if not shutil.which("bwrap"):
                pytest.skip("bwrap (bubblewrap) is not installed")
            cmd += ["bwrap", "--unshare-user", "--disable-userns", "--bind", "/", "/"]
            cmd += ["--dev", "/dev", "--proc", "/proc", "--"]
        cmd += [SYSTEM_PYTHON, "-c", code]
        if world in BINDER_PROFILES:  # jovyan in a simulated Binder pod instead of nobody
            skip_unless_world(world)
            report = os.path.join(package_copy, "binder-sim.jsonl")
            cmd = binder_sim(BINDER_PROFILES[world], cmd[-3:], env, "/", report)
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd="/"
        )
        for line in done.stdout.splitlines():
            if line.startswith("RESULT="):
                return json.loads(line[len("RESULT=") :])
        raise AssertionError(f"snippet failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    return run
