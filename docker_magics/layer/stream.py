"""Streams around layer bytes: decompression by content sniffing, and hashing while reading."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import tarfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from ..errors import LayerError

__all__ = ["open_decompressed", "HashingReader", "sniff_compression", "archive_errors"]

_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd"}


def sniff_compression(head: bytes) -> str | None:
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def open_decompressed(src: BinaryIO) -> BinaryIO:
    """Wrap `src` so reads give tar bytes, whatever compression (by content, never by name)."""
    buffered: Any = src if isinstance(src, io.BufferedReader) else io.BufferedReader(src)  # type: ignore[type-var]
    kind = sniff_compression(buffered.peek(6)[:6])
    if kind == "gzip":
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    if kind == "bzip2":
        return bz2.BZ2File(buffered)  # type: ignore[return-value]
    if kind == "xz":
        return lzma.LZMAFile(buffered)  # type: ignore[return-value]
    if kind == "zstd":
        raise LayerError("zstd-compressed layers are not supported yet; recompress with gzip")
    return buffered


class HashingReader(io.RawIOBase):
    """Reads through `src`, hashing (and optionally copying to `sink`) every byte read."""

    def __init__(self, src: BinaryIO, sink: BinaryIO | None = None) -> None:
        self._src = src
        self._sink = sink
        self._hash = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # type: ignore[no-untyped-def,override]
        data = self._src.read(len(buf))
        n = len(data)
        buf[:n] = data
        self._hash.update(data)
        if self._sink is not None:
            self._sink.write(data)
        self.size += n
        return n

    def drain(self) -> None:
        """Consume the rest: tar readers stop at the end marker, the digest covers every byte."""
        while True:
            data = self._src.read(1 << 20)
            if not data:
                break
            self._hash.update(data)
            if self._sink is not None:
                self._sink.write(data)
            self.size += len(data)

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()


# What a truncated or bit-flipped archive raises, from tarfile and each decompressor.
_DECODE_ERRORS = (tarfile.TarError, zlib.error, gzip.BadGzipFile, lzma.LZMAError, EOFError)


@contextmanager
def archive_errors(what: str) -> Iterator[None]:
    """Turn decoder errors into one LayerError naming the archive."""
    try:
        yield
    except _DECODE_ERRORS as exc:
        raise LayerError(f"{what} is corrupt or truncated: {exc}") from exc
    except OSError as exc:
        if exc.errno is None:  # bz2 reports bad data as a bare OSError
            raise LayerError(f"{what} is corrupt or truncated: {exc}") from exc
        raise
