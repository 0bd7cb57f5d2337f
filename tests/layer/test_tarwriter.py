"""The fast layer writer gives the bytes tarfile gives (so layer digests never depend on it)."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile

import pytest

from docker_magics.layer.owner import OwnerOps
from docker_magics.layer.tarwriter import LayerTarWriter, _ustar_header, _xattrs


class _Owners(OwnerOps):
    def get_owner(
        self, path: str, st: os.stat_result, *, is_link: bool = False, xattrs: object = None
    ) -> tuple[int, int]:
        return {"f-owned": (1000, 1000), "f-huge-uid": (2**22, 7)}.get(
            os.path.basename(path), (st.st_uid, st.st_gid)
        )


def _reference(entries: list[tuple[str, str]], whiteouts: list[str]) -> bytes:
    """What the writer produced when it went through ``tarfile.addfile`` (stream mode, PAX)."""
    out = io.BytesIO()
    ops = _Owners(rootless=False)
    links: dict[tuple[int, int], str] = {}
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for host, name in entries:
            st = os.lstat(host)
            info = tarfile.TarInfo(name)
            info.uid, info.gid = ops.get_owner(host, st, is_link=stat.S_ISLNK(st.st_mode))
            info.uname = info.gname = ""
            info.mode = stat.S_IMODE(st.st_mode)
            info.mtime = int(st.st_mtime)
            info.pax_headers = _xattrs(host) if not stat.S_ISLNK(st.st_mode) else {}
            data = None
            if stat.S_ISREG(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in links:
                    info.type, info.linkname = tarfile.LNKTYPE, links[key]
                else:
                    if st.st_nlink > 1:
                        links[key] = name
                    info.size = st.st_size
                    data = open(host, "rb")
            elif stat.S_ISDIR(st.st_mode):
                info.type = tarfile.DIRTYPE
            elif stat.S_ISLNK(st.st_mode):
                info.type, info.linkname = tarfile.SYMTYPE, os.readlink(host)
            elif stat.S_ISFIFO(st.st_mode):
                info.type = tarfile.FIFOTYPE
            tar.addfile(info, data)
            if data:
                data.close()
        for name in whiteouts:
            info = tarfile.TarInfo(name)
            info.mode, info.mtime = 0, 0
            info.uname = info.gname = ""
            tar.addfile(info)
    return out.getvalue()


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "t"
    root.mkdir()
    sizes = {"empty": 0, "one": 1, "b511": 511, "b512": 512, "b513": 513, "big": (1 << 20) * 3 + 7}
    for name, size in sizes.items():
        (root / name).write_bytes(os.urandom(size))
    (root / "d").mkdir(mode=0o750)
    (root / "d" / ("long" * 30)).write_text("a name over 100 characters")
    (root / "d" / "caf\u00e9-\u00fcml").write_text("not ASCII")
    (root / "f-owned").write_text("owned by 1000")
    (root / "f-huge-uid").write_text("uid past 7 octal digits")
    (root / "x").write_text("with an xattr")
    os.setxattr(root / "x", "user.note", b"hello")
    os.symlink("one", root / "ln")
    os.symlink("t" * 150, root / "long-target")
    os.link(root / "one", root / "hard")
    os.mkfifo(root / "fifo")
    os.utime(root / "b512", (0, 2**34))  # an mtime past 11 octal digits
    os.chmod(root / "b511", 0o4755)
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    return [(str(root / n), n) for n in names]


@pytest.mark.parametrize("whiteouts", [[], ["d/.wh.gone", ".wh..wh..opq"]])
def test_same_bytes_as_tarfile(tree, whiteouts):
    out = io.BytesIO()
    writer = LayerTarWriter(out, _Owners(rootless=False))
    for host, name in tree:
        writer.add_path(host, name)
    for name in whiteouts:
        writer.add_whiteout(name)
    writer.close()
    expected = _reference(tree, whiteouts)
    assert hashlib.sha256(out.getvalue()).hexdigest() == hashlib.sha256(expected).hexdigest()
    assert len(out.getvalue()) % tarfile.RECORDSIZE == 0


def test_direct_header_matches_tobuf():
    for kind in (tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.CHRTYPE):
        info = tarfile.TarInfo("a/b")
        info.type, info.mode, info.uid, info.gid = kind, 0o1755, 12, 34
        info.uname = info.gname = ""
        info.size = 1234 if kind == tarfile.REGTYPE else 0
        info.mtime, info.linkname = 1_700_000_000, "target" if kind == tarfile.SYMTYPE else ""
        info.devmajor, info.devminor = (1, 3) if kind == tarfile.CHRTYPE else (0, 0)
        assert _ustar_header(info) == info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def test_file_that_shrank_is_an_error(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    st = os.lstat(path)
    path.write_bytes(b"x" * 10)
    writer = LayerTarWriter(io.BytesIO(), _Owners(rootless=False))
    with pytest.raises(OSError):
        writer.add_path(str(path), "f", st)
