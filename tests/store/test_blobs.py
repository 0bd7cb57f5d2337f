"""BlobWriter: hashed while written, disk writeback started every WRITEBACK_EVERY bytes."""

from __future__ import annotations

import hashlib
import os

import pytest

from docker_magics.errors import StoreError
from docker_magics.store import blobs
from docker_magics.store.store import Store


def test_a_blob_written_in_odd_chunks_across_writeback_points(tmp_path):
    store = Store(str(tmp_path / "store"))
    data = os.urandom(3 * blobs.WRITEBACK_EVERY + 12345)
    want = "sha256:" + hashlib.sha256(data).hexdigest()
    with store.blobs.writer() as w:
        pos = 0
        for size in (1, 7 << 20, 3, 1 << 20, 9 << 20):  # ends of chunks straddle the points
            w.write(data[pos : pos + size])
            pos += size
        while pos < len(data):
            w.write(memoryview(data)[pos : pos + (1 << 20)])
            pos += 1 << 20
        assert w._written_back >= 3 * blobs.WRITEBACK_EVERY - (9 << 20)
        assert w.commit(want) == want
    with store.blobs.open(want) as fh:
        assert fh.read() == data


def test_a_mismatch_still_stores_nothing(tmp_path):
    store = Store(str(tmp_path / "store"))
    with pytest.raises(StoreError, match="digest mismatch"):
        with store.blobs.writer() as w:
            w.write(b"x" * (blobs.WRITEBACK_EVERY + 1))
            w.commit("sha256:" + "0" * 64)
    assert list(store.blobs.digests()) == []
    assert os.listdir(store.tmp_dir) == []
