"""What to run and on which root filesystem: plain frozen data shared by every backend."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RootfsSpec", "ProcessSpec", "DEFAULT_PATH"]

# Docker's default when neither the image nor the user sets PATH.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class RootfsSpec:
    """The container's root: an overlay of unpacked layers, or one plain directory.

    ``lowerdirs`` are listed top-most first (overlayfs' own order) and are already in overlay
    format (whiteouts are char 0/0 devices, opaque dirs carry ``*.overlay.opaque=y``). With
    ``upperdir`` and ``workdir`` the root is writable and the upper dir is the change set.
    ``directory`` is the alternative used by copy mode and always by PRoot.
    """

    lowerdirs: tuple[str, ...] = ()
    upperdir: str | None = None
    workdir: str | None = None
    directory: str | None = None
    mountpoint: str | None = None

    @property
    def is_overlay(self) -> bool:
        return self.directory is None


@dataclass(frozen=True)
class ProcessSpec:
    """The one process to start: argv, ``K=V`` environment, working dir, ids and bind mounts."""

    argv: tuple[str, ...]
    env: tuple[str, ...] = ()
    cwd: str = "/"
    uid: int = 0
    gid: int = 0
    hostname: str = "container"
    # (host path, container path, read_only)
    binds: tuple[tuple[str, str, bool], ...] = ()
    # "host", "none" or "private" (see ``network``)
    network: str = "host"
    # Join this process's network namespace (and its user namespace, when not ours) instead:
    # a user network's shared namespace (namespace backends; see ``netns``).
    netns_pid: int | None = None
