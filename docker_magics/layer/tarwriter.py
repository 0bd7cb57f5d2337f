"""Deterministic layer tars: fixed owner names, clamped integer mtimes, sorted, no PAX noise."""

from __future__ import annotations

import os
import stat
import tarfile
from typing import BinaryIO

from .owner import OwnerOps

__all__ = ["LayerTarWriter", "source_date_epoch", "STRIP_XATTR_PREFIXES"]

# Overlay bookkeeping and our own owner record describe the host, not the image.
STRIP_XATTR_PREFIXES = ("trusted.overlay.", "user.overlay.", "user.docker_magics.")


def source_date_epoch() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else None


def _xattrs(path: str) -> dict[str, str]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    out = {}
    for name in sorted(names):
        if name.startswith(STRIP_XATTR_PREFIXES):
            continue
        try:
            value = os.getxattr(path, name, follow_symlinks=False)
        except OSError:
            continue
        out["SCHILY.xattr." + name] = value.decode("utf-8", "surrogateescape")
    return out


class LayerTarWriter:
    """Writes entries in the order given; callers walk trees sorted, parents first."""

    def __init__(self, out: BinaryIO, ops: OwnerOps) -> None:
        self._tar = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT)
        self._ops = ops
        self._epoch = source_date_epoch()
        self._links: dict[tuple[int, int], str] = {}
        self.entries = 0

    def _mtime(self, st: os.stat_result) -> int:
        mtime = int(st.st_mtime)
        if self._epoch is not None and mtime > self._epoch:
            mtime = self._epoch
        return max(mtime, 0)

    def add_path(self, host_path: str, name: str, st: os.stat_result | None = None) -> None:
        """Add one filesystem object (not recursing) under archive name `name`."""
        st = st or os.lstat(host_path)
        info = tarfile.TarInfo(name)
        mode = st.st_mode
        is_link = stat.S_ISLNK(mode)
        info.uid, info.gid = self._ops.get_owner(host_path, st, is_link=is_link)
        info.uname = info.gname = ""
        info.mode = stat.S_IMODE(mode)
        info.mtime = self._mtime(st)
        info.pax_headers = _xattrs(host_path) if not is_link else {}
        data = None
        if stat.S_ISREG(mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in self._links:
                info.type = tarfile.LNKTYPE
                info.linkname = self._links[key]
            else:
                if st.st_nlink > 1:
                    self._links[key] = name
                info.type = tarfile.REGTYPE
                info.size = st.st_size
                data = open(host_path, "rb")
        elif stat.S_ISDIR(mode):
            info.type = tarfile.DIRTYPE
        elif is_link:
            info.type = tarfile.SYMTYPE
            info.linkname = os.readlink(host_path)
        elif stat.S_ISFIFO(mode):
            info.type = tarfile.FIFOTYPE
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            info.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        else:
            return  # sockets cannot be represented in a layer
        try:
            self._tar.addfile(info, data)
        finally:
            if data is not None:
                data.close()
        self.entries += 1

    def add_whiteout(self, name: str) -> None:
        info = tarfile.TarInfo(name)
        info.mode = 0
        info.uname = info.gname = ""
        info.mtime = 0
        self._tar.addfile(info)
        self.entries += 1

    def close(self) -> None:
        self._tar.close()
