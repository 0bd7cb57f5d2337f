"""The scratch dir of one run: private etc files and the shim of mount points, on the host side.

Made by the caller before the backend forks (see ``base.Backend.run``) and removed after; its
name carries the creator's pid and start time so runs killed before their cleanup are swept.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from .leftovers import owner_tag, sweep
from .spec import ProcessSpec

__all__ = ["ETC_FILES", "SCRATCH_PREFIX", "Scratch", "prepare_scratch"]

ETC_FILES = ("hosts", "resolv.conf", "hostname")
SCRATCH_PREFIX = "docker-magics-rt-"


@dataclass(frozen=True)
class Scratch:
    path: str  # private copies of the etc files
    shim: str  # bottom overlay layer with placeholder mount points


def prepare_scratch(proc: ProcessSpec, base: str | None = None) -> Scratch:
    """Create the scratch dir in the caller (host side); the caller removes it afterwards."""
    sweep(SCRATCH_PREFIX, base)  # what callers killed before their cleanup left behind
    path = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{owner_tag()}-", dir=base)
    os.chmod(path, 0o755)
    shim = os.path.join(path, "shim")
    for d in ("etc", "proc", "dev", "sys"):
        os.makedirs(os.path.join(shim, d), mode=0o755)
    for name in ETC_FILES:
        open(os.path.join(shim, "etc", name), "w").close()
    hosts = _read("/etc/hosts") or "127.0.0.1\tlocalhost\n"
    if proc.hostname not in hosts.split():
        hosts += f"127.0.0.1\t{proc.hostname}\n"
    _write(os.path.join(path, "hosts"), hosts)
    _write(os.path.join(path, "resolv.conf"), _read("/etc/resolv.conf"))
    _write(os.path.join(path, "hostname"), proc.hostname + "\n")
    for src, dst, _ro in proc.binds:
        target = os.path.join(shim, dst.strip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(src):
            os.makedirs(target, exist_ok=True)
        elif not os.path.exists(target):
            open(target, "w").close()
    return Scratch(path, shim)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o644)
