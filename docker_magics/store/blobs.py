"""Content-addressed blobs in OCI layout (`blobs/sha256/<hex>`), verified on the way in."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from ..errors import DiskFullError, NotFoundError, StoreError, is_disk_full
from ..oci.digest import digest_hex, validate_digest
from .atomic import fsync_dir

__all__ = ["BlobStore", "BlobWriter"]

_CHUNK = 1 << 20
# Written data is handed to the disk every this many bytes (see `_start_writeback`).
WRITEBACK_EVERY = 8 << 20
_SYNC_FILE_RANGE_WRITE = 2
_sync_file_range: Any = None  # libc's, looked up on first use; False where there is none


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range of `fd` to disk now, without waiting for it.

    `commit` fsyncs every blob; started early, the writeback overlaps with the download or the
    tar generation that produces the data, and that fsync finds little left to do (a 60 MB
    layer: ~35 ms less). The pages stay cached (unlike `posix_fadvise(DONTNEED)`), so the
    first unpack reads them from memory. Python has no `sync_file_range`; ctypes reaches libc's.
    """
    global _sync_file_range
    if _sync_file_range is None:
        try:
            import ctypes

            fn = ctypes.CDLL(None, use_errno=True).sync_file_range
            fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
            fn.restype = ctypes.c_int
            _sync_file_range = fn
        except (OSError, AttributeError):
            _sync_file_range = False
    if _sync_file_range:
        _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)  # an error: fsync reports


class BlobWriter:
    """A file-like sink that hashes while writing; `commit()` renames it into place by digest."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        fd, self._tmp = tempfile.mkstemp(dir=store.tmp_dir, prefix=f"blob-{os.getpid()}-")
        self._fh: BinaryIO = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0
        self._written_back = 0  # bytes handed to `_start_writeback` so far
        self.digest: str | None = None

    def write(self, data: bytes) -> int:  # type: ignore[override]
        try:
            self._fh.write(data)
            if self.size + len(data) - self._written_back >= WRITEBACK_EVERY:
                self._fh.flush()
                end = self.size + len(data)
                _start_writeback(self._fh.fileno(), self._written_back, end - self._written_back)
                self._written_back = end
        except OSError as exc:
            self._raise_if_full(exc)
            raise
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self._fh.flush()

    def _raise_if_full(self, exc: OSError) -> None:
        if is_disk_full(exc):
            self.abort()
            raise DiskFullError("writing a blob", self._store.dir) from exc

    def commit(self, expected: str | None = None) -> str:
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        except OSError as exc:
            self._raise_if_full(exc)
            raise
        digest = "sha256:" + self._hash.hexdigest()
        if expected is not None and digest != expected:
            self.abort()
            raise StoreError(
                f"digest mismatch: expected {expected}, got {digest}; nothing was stored"
            )
        self._store._install(self._tmp, digest)
        self.digest = digest
        return digest

    def abort(self) -> None:
        if not self._fh.closed:
            try:
                self._fh.close()
            except OSError:
                pass  # flushing the buffer failed (disk full): the file goes anyway
        try:
            os.unlink(self._tmp)
        except FileNotFoundError:
            pass

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None or self.digest is None:
            self.abort()


class BlobStore:
    def __init__(self, root: str, tmp_dir: str) -> None:
        self.dir = os.path.join(root, "blobs", "sha256")
        self.tmp_dir = tmp_dir
        os.makedirs(self.dir, exist_ok=True)

    def path(self, digest: str) -> str:
        return os.path.join(self.dir, digest_hex(digest))

    def has(self, digest: str) -> bool:
        return os.path.exists(self.path(digest))

    def size(self, digest: str) -> int:
        try:
            return os.stat(self.path(digest)).st_size
        except FileNotFoundError:
            raise NotFoundError(f"blob {digest} is not in the store")

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def put_bytes(self, data: bytes, expected: str | None = None) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if digest == (expected or digest) and self.has(digest):
            # Content-addressed: the same bytes are there already (a cached build re-creates
            # the same configs and manifests), so skip the temp file and its two fsyncs.
            return digest
        with self.writer() as w:
            w.write(data)
            return w.commit(expected)

    def put_stream(self, src: BinaryIO, expected: str | None = None) -> str:
        with self.writer() as w:
            while chunk := src.read(_CHUNK):
                w.write(chunk)
            return w.commit(expected)

    def _install(self, tmp: str, digest: str) -> None:
        final = self.path(digest)
        if os.path.exists(final):
            os.unlink(tmp)
            return
        os.chmod(tmp, 0o444)
        os.replace(tmp, final)
        fsync_dir(self.dir)

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise NotFoundError(f"blob {digest} is not in the store")

    def read_bytes(self, digest: str, *, verify: bool = True) -> bytes:
        with self.open(digest) as fh:
            data = fh.read()
        if verify and "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise StoreError(f"blob {digest} is corrupt (its content does not match its digest)")
        return data

    def verify(self, digest: str) -> bool:
        h = hashlib.sha256()
        with self.open(digest) as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
        return "sha256:" + h.hexdigest() == digest

    def digests(self) -> Iterator[str]:
        for name in os.listdir(self.dir):
            try:
                yield validate_digest("sha256:" + name)
            except ValueError:
                continue

    def remove(self, digest: str) -> None:
        try:
            os.unlink(self.path(digest))
        except FileNotFoundError:
            pass
