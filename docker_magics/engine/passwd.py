"""USER resolution against the image's own /etc/passwd and /etc/group, as Docker does."""

from __future__ import annotations

import os
import stat

from ..errors import RuntimeBackendError
from ..snapshot.prepare import RootfsPlan

__all__ = ["read_image_file", "resolve_user"]


def read_image_file(plan: RootfsPlan, path: str) -> str | None:
    """Read a small file as the container would see it (upper first, then lower layers)."""
    rel = path.lstrip("/")
    layers = [plan.directory] if plan.directory else [plan.upperdir, *plan.lowerdirs]
    for layer in layers:
        if not layer:
            continue
        host = os.path.join(layer, rel)
        try:
            st = os.lstat(host)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
            return None  # whited out
        if stat.S_ISREG(st.st_mode):
            with open(host, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        return None
    return None


def _lookup(text: str | None, name: str, field: int) -> list[str] | None:
    for line in (text or "").splitlines():
        parts = line.split(":")
        if len(parts) > field and parts[0] == name:
            return parts
    return None


def resolve_user(plan: RootfsPlan, user: str) -> tuple[int, int, str]:
    """'name', 'uid', 'name:group', 'uid:gid' -> (uid, gid, home)."""
    if not user:
        return 0, 0, "/root"
    name, _, group = user.partition(":")
    passwd = read_image_file(plan, "/etc/passwd")
    home = "/"
    if name.isdigit():
        uid = int(name)
        entry = next(
            (
                p
                for p in (line.split(":") for line in (passwd or "").splitlines())
                if len(p) > 5 and p[2] == name
            ),
            None,
        )
        gid = int(entry[3]) if entry else 0
        home = entry[5] if entry else "/"
    else:
        entry = _lookup(passwd, name, 5)
        if entry is None:
            raise RuntimeBackendError(
                f"unable to find user {name}: no matching entries in the image's /etc/passwd"
            )
        uid, gid, home = int(entry[2]), int(entry[3]), entry[5]
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            gentry = _lookup(read_image_file(plan, "/etc/group"), group, 2)
            if gentry is None:
                raise RuntimeBackendError(f"unable to find group {group} in the image's /etc/group")
            gid = int(gentry[2])
    return uid, gid, home
