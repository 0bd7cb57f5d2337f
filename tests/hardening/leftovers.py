"""What a crashed or interrupted operation may leave behind, looked up on the real system.

Mounts are searched in *every* process's mountinfo, not only ours: a container's overlay lives
in its own mount namespace, so a leaked one is visible only through a process that kept it.
"""

from __future__ import annotations

import os
import re
import secrets

__all__ = ["processes_with", "mounts_under", "tmp_leftovers", "unique_marker"]


def unique_marker() -> str:
    """A sleep length (9 digits of seconds) for a test's container to run: how the test finds
    its own processes on the host. A fixed number would also find another run's (a parallel
    session, a leftover of an earlier failure) and blame this one for it."""
    return str(10**8 + secrets.randbelow(9 * 10**8))


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker`` (zombies have none and do not count).

    A marker is not matched inside a longer number (``6065`` is not found in ``46065`` or a
    port ``60650``): markers are sleep lengths, and other processes' arguments hold numbers."""
    pattern = re.compile(rb"(?<![0-9])" + re.escape(marker.encode()) + rb"(?![0-9])")
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                if pattern.search(f.read()):
                    found.append(int(name))
        except OSError:
            pass
    return found


def mounts_under(path: str) -> list[str]:
    """Mount points at or below ``path`` in any mount namespace a live process holds."""
    path = os.path.realpath(path)
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/mountinfo") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # field 4 is the mount point as seen by that process; options after " - " name
            # the overlay's dirs, which for a pivoted container are the only trace of the store.
            if fields[4].startswith(path) or path in line.split(" - ", 1)[-1]:
                found.add(f"pid {name}: {fields[4]} {line.split(' - ', 1)[-1]}")
    return sorted(found)


def tmp_leftovers(store_root: str) -> list[str]:
    tmp = os.path.join(store_root, "tmp")
    return sorted(os.listdir(tmp)) if os.path.isdir(tmp) else []
