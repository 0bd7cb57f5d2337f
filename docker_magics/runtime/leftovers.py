"""Scratch dirs of runs whose caller was killed (SIGKILL, OOM) before it could remove them.

A scratch dir's name carries its creator's pid and that process's start time (from
``/proc/PID/stat``), so a later run can tell for sure that the creator is gone, even if the pid
has been reused since, and remove what it left. Only dirs we own are touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile

__all__ = ["owner_tag", "sweep"]


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    # Field 22 (starttime); the command name (field 2) may hold spaces, so split after its ")".
    return data.rsplit(b")", 1)[1].split()[19].decode()


def owner_tag(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{pid}.{_start_time(pid) or 0}"


def _alive(tag: str) -> bool:
    pid, _, start = tag.partition(".")
    if not pid.isdigit():
        return True  # not a name we made: leave it
    return _start_time(int(pid)) == start


def sweep(prefix: str, base: str | None = None) -> int:
    """Remove ``<base>/<prefix><pid>.<start>-*`` dirs we own whose creator has exited."""
    base = base or tempfile.gettempdir()
    removed = 0
    try:
        names = [n for n in os.listdir(base) if n.startswith(prefix)]
    except OSError:
        return 0
    me = os.geteuid()
    for name in names:
        tag = name[len(prefix) :].split("-", 1)[0]
        path = os.path.join(base, name)
        try:
            if os.lstat(path).st_uid != me or _alive(tag):
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed
