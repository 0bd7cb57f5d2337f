"""Ownership when we cannot chown: the one place rootful and rootless file handling differ.

Running unprivileged, every file we create belongs to us, and inside a single-id user namespace
that appears as 0:0. Any other intended owner (from a layer tar, or `COPY --chown`) is kept in the
xattr `user.docker_magics.owner` ("uid:gid") and written back into tar headers at commit.
Symlinks cannot carry user xattrs on Linux, so rootless symlinks always read back as 0:0.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping

__all__ = ["OwnerOps", "OWNER_XATTR", "owner_ops"]

OWNER_XATTR = "user.docker_magics.owner"


class OwnerOps:
    def __init__(
        self, rootless: bool, assigned: Mapping[str, tuple[int, int]] | None = None
    ) -> None:
        """``assigned``: owners decided by the caller per host path (COPY's items, whose source
        files belong to whoever made the context), read back instead of the files' own."""
        self.rootless = rootless
        self.assigned = assigned

    def set_owner(self, path: str, uid: int, gid: int, *, is_link: bool = False) -> None:
        if not self.rootless:
            os.lchown(path, uid, gid)
            return
        if is_link:
            return
        try:
            if (uid, gid) == (0, 0):
                try:
                    os.removexattr(path, OWNER_XATTR, follow_symlinks=False)
                except OSError as exc:
                    if exc.errno not in (errno.ENODATA, errno.ENOTSUP):
                        raise
            else:
                os.setxattr(path, OWNER_XATTR, f"{uid}:{gid}".encode(), follow_symlinks=False)
        except OSError as exc:
            if exc.errno != errno.ENOTSUP:
                raise

    def get_owner(
        self,
        path: str,
        st: os.stat_result,
        *,
        is_link: bool = False,
        xattrs: list[str] | None = None,
    ) -> tuple[int, int]:
        """``xattrs``: the path's xattr names when the caller listed them already (one syscall
        fewer per file when the owner xattr is absent, as it is for every file made as root)."""
        if self.assigned is not None:
            return self.assigned.get(path, (0, 0))
        if not is_link and (xattrs is None or OWNER_XATTR in xattrs):
            try:
                raw = os.getxattr(path, OWNER_XATTR, follow_symlinks=False)
                uid, gid = raw.decode().split(":")
                return int(uid), int(gid)
            except (OSError, ValueError):
                pass
        if self.rootless:
            return 0, 0
        return st.st_uid, st.st_gid


def owner_ops() -> OwnerOps:
    return OwnerOps(rootless=os.geteuid() != 0)
