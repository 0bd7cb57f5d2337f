"""How much disk a layer takes once unpacked: the SIZE Docker's ``history`` shows.

Docker sums the sizes of a layer's non-directory entries, each inode once (``pkg/directory``
Size: directories and hard links add nothing), so a WORKDIR of a new directory is 0B while
its layer tar is 10 kB of headers and padding. Read from the tar's headers: a symlink adds the
length of its target, a hard link nothing.
"""

from __future__ import annotations

import tarfile
from typing import BinaryIO

from .stream import open_decompressed

__all__ = ["unpacked_size"]


def unpacked_size(blob: BinaryIO) -> int:
    """Bytes the layer in ``blob`` (compressed or not) takes once unpacked."""
    stream = open_decompressed(blob)
    total = 0
    seekable = stream is blob or getattr(stream, "raw", None) is blob
    with tarfile.open(fileobj=stream, mode="r:" if seekable else "r|") as tar:
        for member in tar:
            if member.isreg():
                total += member.size
            elif member.issym():
                total += len(member.linkname.encode("utf-8", "surrogateescape"))
    return total
