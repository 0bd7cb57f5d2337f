"""The peers: buildah (with its own storage in a temp dir), skopeo, and the raw-namespace floor.

buildah uses the ``overlay`` storage driver when it can mount one here (as root on a kernel with
overlayfs), else ``vfs``. ``overlay`` is buildah's default and its fast path: with ``vfs`` every
container and every layer is a full copy of the root filesystem, which would make buildah look
slow on a 170 MB base for a reason no buildah user meets. ``--buildah-driver`` overrides.
"""

from __future__ import annotations

import os
import shutil
import subprocess

__all__ = ["Buildah", "missing_tools", "INSTALL_HINT"]

INSTALL_HINT = (
    "install them with `bash scripts/install-system-packages` (as root), or "
    "`apt-get install buildah skopeo bubblewrap util-linux time`"
)


def missing_tools() -> list[str]:
    missing = [t for t in ("buildah", "skopeo", "unshare", "bwrap") if shutil.which(t) is None]
    if not os.path.exists("/usr/bin/time"):  # GNU time measures peak RSS (timing.peak_rss)
        missing.append("time")
    return missing


def version(tool: str) -> str:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    return out.strip().splitlines()[0] if out.strip() else "?"


class Buildah:
    def __init__(self, root: str, driver: str | None = None) -> None:
        self.root = root
        self.driver = driver or "overlay"
        if driver is None and not self._works():
            self.driver = "vfs"

    @property
    def base(self) -> list[str]:
        return [
            "buildah",
            "--root",
            os.path.join(self.root, "root"),
            "--runroot",
            os.path.join(self.root, "run"),
            "--storage-driver",
            self.driver,
        ]

    def _works(self) -> bool:
        """Can buildah mount an overlay here? Try a container of scratch."""
        try:
            ctr = self.out("from", "scratch")
            self.out("mount", ctr)
            self.out("rm", ctr)
            return True
        except RuntimeError:
            self.reset()
            return False

    def out(self, *args: str) -> str:
        proc = subprocess.run([*self.base, *args], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"buildah {' '.join(args)}: {proc.stderr.strip()[-1500:]}")
        return proc.stdout.strip()

    def import_tar(self, tar: str, ref: str, env: list[str]) -> None:
        """The same root filesystem tarball as ours, as a one-layer image."""
        ctr = self.out("from", "scratch")
        self.out("add", ctr, tar, "/")
        for e in env:
            self.out("config", "--env", e, ctr)
        self.out("commit", "--quiet", "--format", "docker", ctr, ref)
        self.out("rm", ctr)

    def bud_argv(self, context: str, tag: str, *extra: str) -> list[str]:
        return [
            *self.base,
            "bud", "--quiet", "--layers", "--isolation", "chroot", *extra, "-t", tag, context,
        ]  # fmt: skip

    def prune(self) -> None:
        """Drop build leftovers between rounds (untimed): dangling images and containers."""
        subprocess.run([*self.base, "rm", "--all"], capture_output=True)
        subprocess.run([*self.base, "rmi", "--prune"], capture_output=True)

    def reset(self) -> None:
        subprocess.run([*self.base, "rm", "--all"], capture_output=True)
        subprocess.run([*self.base, "rmi", "--all", "--force"], capture_output=True)
        # As root buildah may leave its overlay mounts behind; unmount before deleting.
        subprocess.run(
            ["umount", "-R", os.path.join(self.root, "root", "overlay")], capture_output=True
        )
        shutil.rmtree(self.root, ignore_errors=True)
