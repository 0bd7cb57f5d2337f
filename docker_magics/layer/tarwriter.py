"""Deterministic layer tars: fixed owner names, clamped integer mtimes, sorted, no PAX noise."""

from __future__ import annotations

import os
import stat
import tarfile
from typing import BinaryIO

from .owner import OwnerOps

__all__ = ["LayerTarWriter", "layer_mtime", "source_date_epoch", "STRIP_XATTR_PREFIXES"]

# Overlay bookkeeping and our own owner record describe the host, not the image.
STRIP_XATTR_PREFIXES = ("trusted.overlay.", "user.overlay.", "user.docker_magics.")


def layer_mtime(mtime: float, epoch: int | None) -> int:
    """The mtime a layer records: whole seconds, clamped to SOURCE_DATE_EPOCH when set."""
    whole = int(mtime)
    if epoch is not None and whole > epoch:
        whole = epoch
    return max(whole, 0)


def source_date_epoch() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else None


def _xattr_names(path: str | int) -> list[str]:
    try:
        if isinstance(path, int):
            return os.listxattr(path)
        return os.listxattr(path, follow_symlinks=False)
    except OSError:
        return []


def _xattrs(path: str, names: list[str] | None = None) -> dict[str, str]:
    """PAX records of the xattrs an image keeps (``names``: already listed by the caller)."""
    names = _xattr_names(path) if names is None else names
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


_BLOCK = tarfile.BLOCKSIZE
_RECORD = tarfile.RECORDSIZE
_FLUSH = 1 << 20  # headers and small files are gathered into writes of about this size
_NO_DEVICE = bytes(16)
# The magic, then empty uname and gname: owners are numeric only.
_MIDDLE = tarfile.POSIX_MAGIC + bytes(32 + 32)
_MIDDLE_SUM = sum(_MIDDLE)
_PREFIX = bytes(155 + 12)
_ZEROS = bytes(_BLOCK)  # the unused prefix field and the block's padding


def _ustar_header(info: tarfile.TarInfo) -> bytes | None:
    """The header ``tarfile`` writes in PAX format for ``info`` when it needs no PAX record
    (ASCII names of at most 100 characters, numbers in range, no xattrs); None otherwise."""
    if info.pax_headers or info.uname or info.gname:
        return None
    return _fast_header(
        info.name, info.mode, info.uid, info.gid, info.size, int(info.mtime), info.type,
        info.linkname, info.devmajor, info.devminor,
    )  # fmt: skip


def _fast_header(
    name: str, mode: int, uid: int, gid: int, size: int, mtime: int, kind: bytes,
    link: str = "", devmajor: int = 0, devminor: int = 0,
) -> bytes | None:  # fmt: skip
    """``_ustar_header`` from plain values: ``TarInfo`` and its ``tobuf`` cost more than the
    rest of writing a small file together, so this builds the same 512 bytes directly
    (``tests/layer/test_tarwriter.py`` checks them against ``tobuf``)."""
    if kind == tarfile.DIRTYPE:
        name += "/"
    if len(name) > 100 or len(link) > 100 or not (name.isascii() and link.isascii()):
        return None
    if not (0 <= uid < 8**7 and 0 <= gid < 8**7 and 0 <= size < 8**11 and 0 <= mtime < 8**11):
        return None
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        if not (0 <= devmajor < 8**7 and 0 <= devminor < 8**7):
            return None
        dev = b"%07o\0%07o\0" % (devmajor, devminor)
    else:
        dev = _NO_DEVICE
    name_b, link_b = name.encode("ascii"), link.encode("ascii")
    numbers = b"%07o\0%07o\0%07o\0%011o\0%011o\0" % (mode & 0o7777, uid, gid, size, mtime)
    # The checksum is the sum of all 512 bytes with its own field as eight spaces (256); only
    # these parts are not constant, so only they are summed.
    checksum = sum(name_b) + sum(numbers) + 256 + kind[0] + sum(link_b) + _MIDDLE_SUM + sum(dev)
    return b"".join(
        (
            name_b.ljust(100, b"\0"),
            numbers,
            b"%06o\0 " % checksum,
            kind,
            link_b.ljust(100, b"\0"),
            _MIDDLE,
            dev,
            _PREFIX,
        )
    )


class LayerTarWriter:
    """Writes entries in the order given; callers walk trees sorted, parents first.

    The bytes are those of ``tarfile`` in stream mode with PAX format (so layer digests do not
    depend on which writer made them), produced without its per-member overheads: headers are
    built directly, small files and headers go out in 1 MiB writes, big files are copied in
    1 MiB reads straight into ``out`` (which hashes as it writes: one pass over the data).
    """

    def __init__(self, out: BinaryIO, ops: OwnerOps) -> None:
        self._out = out
        self._buf = bytearray()
        self._chunk: memoryview | None = None
        self._offset = 0
        self._ops = ops
        plain = type(ops).get_owner is OwnerOps.get_owner and ops.assigned is None
        self._plain_owners = plain and not ops.rootless
        self._epoch = source_date_epoch()
        self._links: dict[tuple[int, int], str] = {}
        self.entries = 0

    def _mtime(self, st: os.stat_result) -> int:
        return layer_mtime(st.st_mtime, self._epoch)

    def _write(self, data: bytes) -> None:
        self._buf += data
        self._offset += len(data)
        if len(self._buf) >= _FLUSH:
            self._flush()

    def _flush(self) -> None:
        if self._buf:
            self._out.write(self._buf)
            self._buf = bytearray()

    def _header(self, info: tarfile.TarInfo) -> None:
        header = _ustar_header(info)
        if header is None:
            header = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
        self._write(header)

    def _data(self, fd: int, size: int, path: str) -> None:
        """Exactly ``size`` bytes of the open file, then the padding to a whole block."""
        if size < _FLUSH:
            data = os.read(fd, size)
            while len(data) < size:
                more = os.read(fd, size - len(data))
                if not more:
                    raise OSError(f"{path}: file shrank while being archived")
                data += more
            # Appended in place (the hot path of a tree of small files: no call per piece).
            buf = self._buf
            buf += data
            buf += _ZEROS[: -size % _BLOCK]
            self._offset += size + (-size % _BLOCK)
            if len(buf) >= _FLUSH:
                self._flush()
            return
        else:
            self._flush()
            if self._chunk is None:
                self._chunk = memoryview(bytearray(_FLUSH))
            left = size
            while left:
                n = os.readv(fd, [self._chunk[: min(left, _FLUSH)]])
                if not n:
                    raise OSError(f"{path}: file shrank while being archived")
                self._out.write(self._chunk[:n])
                left -= n
            self._offset += size
        if size % _BLOCK:
            self._write(bytes(_BLOCK - size % _BLOCK))

    def add_path(self, host_path: str, name: str, st: os.stat_result | None = None) -> None:
        """Add one filesystem object (not recursing) under archive name `name`."""
        st = st or os.lstat(host_path)
        mode = st.st_mode
        if stat.S_ISREG(mode) and not (st.st_nlink > 1 and (st.st_dev, st.st_ino) in self._links):
            # One descriptor for the xattr listing and the content: no second path lookup,
            # and no fstat as Python's file objects would do.
            fd = os.open(host_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                self._add(host_path, name, st, fd)
            finally:
                os.close(fd)
        else:
            self._add(host_path, name, st, None)

    def _add(self, host_path: str, name: str, st: os.stat_result, fd: int | None) -> None:
        mode = st.st_mode
        is_link = stat.S_ISLNK(mode)
        names = [] if is_link else _xattr_names(host_path if fd is None else fd)
        if names or not self._plain_owners:
            uid, gid = self._ops.get_owner(host_path, st, is_link=is_link, xattrs=names)
        else:  # as root, no owner xattr: the file's own owner (OwnerOps.get_owner, inlined)
            uid, gid = st.st_uid, st.st_gid
        size, link, major, minor = 0, "", 0, 0
        if stat.S_ISREG(mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in self._links:
                kind, link = tarfile.LNKTYPE, self._links[key]
            else:
                if st.st_nlink > 1:
                    self._links[key] = name
                kind, size = tarfile.REGTYPE, st.st_size
        elif stat.S_ISDIR(mode):
            kind = tarfile.DIRTYPE
        elif is_link:
            kind, link = tarfile.SYMTYPE, os.readlink(host_path)
        elif stat.S_ISFIFO(mode):
            kind = tarfile.FIFOTYPE
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            kind = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
            major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
        else:
            return  # sockets cannot be represented in a layer
        mtime = self._mtime(st)
        pax = _xattrs(host_path, names) if names else {}
        header = None
        if not pax:
            header = _fast_header(name, mode, uid, gid, size, mtime, kind, link, major, minor)
        if header is None:
            info = tarfile.TarInfo(name)
            info.uid, info.gid, info.uname, info.gname = uid, gid, "", ""
            info.mode, info.mtime, info.pax_headers = stat.S_IMODE(mode), mtime, pax
            info.type, info.size, info.linkname = kind, size, link
            info.devmajor, info.devminor = major, minor
            header = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
        self._write(header)
        if fd is not None:
            self._data(fd, size, host_path)
        self.entries += 1

    def add_whiteout(self, name: str) -> None:
        info = tarfile.TarInfo(name)
        info.mode = 0
        info.uname = info.gname = ""
        info.mtime = 0
        self._header(info)
        self.entries += 1

    def close(self) -> None:
        """The end-of-archive blocks, padded to a whole record as tarfile's stream mode does."""
        self._write(bytes(2 * _BLOCK))
        if self._offset % _RECORD:
            self._write(bytes(_RECORD - self._offset % _RECORD))
        self._flush()
