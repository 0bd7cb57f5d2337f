"""Change sets and deterministic tars, on real directories (and real whiteout devices as root)."""

from __future__ import annotations

import io
import os
import stat
import tarfile

import pytest

from docker_magics.layer.extract import extract_layer
from docker_magics.layer.generate import compare_changes, upper_changes, write_layer
from docker_magics.layer.mtree import take_manifest
from docker_magics.layer.owner import OwnerOps


def _layer(changes, ops=None) -> bytes:
    buf = io.BytesIO()
    write_layer(changes, buf, ops or OwnerOps(rootless=os.geteuid() != 0))
    return buf.getvalue()


def _names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getnames()


def _tree(root):
    (root / "dir").mkdir(parents=True)
    (root / "dir" / "a.txt").write_text("a")
    (root / "b.txt").write_text("b")
    os.link(root / "b.txt", root / "dir" / "b-link")
    os.symlink("dir/a.txt", root / "sym")
    for p in root.rglob("*"):
        os.utime(p, (1_700_000_000, 1_700_000_000), follow_symlinks=False)


def test_same_tree_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    one, two = tmp_path / "one", tmp_path / "two"
    _tree(one)
    _tree(two)
    a = _layer(upper_changes(str(one), lambda rel: False))
    b = _layer(upper_changes(str(two), lambda rel: False))
    assert a == b
    with tarfile.open(fileobj=io.BytesIO(a)) as tar:
        members = tar.getmembers()
        assert all(m.mtime == 1_600_000_000 for m in members)  # clamped
        assert all(m.uname == "" and m.gname == "" and not m.pax_headers for m in members)
        link = tar.getmember("dir/b-link")
        assert link.islnk() and link.linkname == "b.txt"  # "b.txt" sorts after "dir" parts
    assert _names(a) == ["b.txt", "dir", "dir/a.txt", "dir/b-link", "sym"]


@pytest.mark.root
def test_upper_dir_whiteouts_and_opaque(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("creating whiteout devices outside a user namespace needs root")
    upper = tmp_path / "upper"
    upper.mkdir()
    os.mknod(upper / "gone", stat.S_IFCHR | 0o000, 0)
    (upper / "etc").mkdir()
    os.mknod(upper / "etc" / "old.conf", stat.S_IFCHR, 0)
    (upper / "opaque").mkdir()
    os.setxattr(upper / "opaque", "trusted.overlay.opaque", b"y")
    (upper / "opaque" / "new").write_text("n")
    below = {"gone", "etc", "etc/old.conf", "opaque"}
    changes = list(upper_changes(str(upper), lambda rel: rel in below))
    kinds = {c.path: c.kind for c in changes}
    assert kinds == {"gone": "D", "etc": "C", "etc/old.conf": "D", "opaque": "C", "opaque/new": "A"}
    names = _names(_layer(iter(changes)))
    assert ".wh.gone" in names and "etc/.wh.old.conf" in names
    assert "opaque/.wh..wh..opq" in names
    with tarfile.open(fileobj=io.BytesIO(_layer(iter(changes)))) as tar:
        assert not any("overlay" in k for m in tar.getmembers() for k in m.pax_headers)


def test_compare_changes_and_apply(tmp_path):
    root = tmp_path / "root"
    _tree(root)
    before = take_manifest(str(root))
    (root / "dir" / "a.txt").write_text("A")  # same size, new content
    os.utime(root / "dir" / "a.txt", (1_700_000_000, 1_700_000_000))  # forged mtime
    (root / "new").write_text("n")
    (root / "b.txt").unlink()
    os.unlink(root / "dir" / "b-link")
    changes = list(compare_changes(str(root), before))
    assert {(c.kind, c.path) for c in changes} >= {
        ("C", "dir/a.txt"),
        ("A", "new"),
        ("D", "b.txt"),
        ("D", "dir/b-link"),
    }
    # applying the diff over a copy of the old tree gives the new tree
    other = tmp_path / "other"
    _tree(other)
    extract_layer(
        io.BytesIO(_layer(iter(changes))),
        str(other),
        overlay=False,
        ops=OwnerOps(rootless=os.geteuid() != 0),
    )
    assert (other / "dir" / "a.txt").read_text() == "A"
    assert (other / "new").read_text() == "n"
    assert not (other / "b.txt").exists() and not (other / "dir" / "b-link").exists()


def test_rootless_owner_round_trip(tmp_path):
    ops = OwnerOps(rootless=True)
    src = tmp_path / "layer.tar"
    info = tarfile.TarInfo("owned")
    info.uid, info.gid, info.size, info.mode = 1000, 1001, 1, 0o4755
    with tarfile.open(src, "w") as tar:
        tar.addfile(info, io.BytesIO(b"x"))
    target = tmp_path / "t"
    target.mkdir()
    with open(src, "rb") as fh:
        extract_layer(fh, str(target), overlay=True, ops=ops)
    assert os.getxattr(target / "owned", "user.docker_magics.owner") == b"1000:1001"
    assert stat.S_IMODE(os.stat(target / "owned").st_mode) == 0o4755
    data = _layer(upper_changes(str(target), lambda rel: False), ops)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        m = tar.getmember("owned")
        assert (m.uid, m.gid, m.mode) == (1000, 1001, 0o4755)
        assert not m.pax_headers  # our bookkeeping xattr never reaches the layer
