"""A generated corpus of malicious layers: each is refused or contained; nothing lands outside."""

from __future__ import annotations

import gzip
import io
import os
import tarfile

import pytest

from docker_magics.errors import LayerError
from docker_magics.layer.extract import extract_layer
from docker_magics.layer.owner import OwnerOps
from tests.rootfs import member, tar_bytes

SYM, LNK, DIR, REG = tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE, tarfile.REGTYPE
OUT = "@OUTSIDE@"  # replaced by the real outside directory


def _pax(name: str, path: str) -> tarfile.TarInfo:
    info = member(name)
    info.pax_headers = {"path": path}
    return info


REFUSED = {
    "absolute": [(member("/etc/passwd"), b"x")],
    "dotdot": [(member("../x"), b"x")],
    "dotdot-middle": [(member("a/../../x"), b"x")],
    "dotdot-dir": [(member("../d", DIR, mode=0o755), None)],
    "pax-path-dotdot": [(_pax("innocent", "../../x"), b"x")],
    "gnu-longname-dotdot": [(member("../" * 40 + "x"), b"x")],
    "hardlink-dotdot": [(member("h", LNK, linkname="../x"), None)],
    "hardlink-absolute": [(member("h", LNK, linkname="/etc/passwd"), None)],
    "hardlink-missing": [(member("h", LNK, linkname="nothere"), None)],
    "hardlink-to-dir": [
        (member("d", DIR, mode=0o755), None),
        (member("h", LNK, linkname="d"), None),
    ],
    "hardlink-through-outside-link": [
        (member("o", SYM, linkname=OUT), None),
        (member("h", LNK, linkname="o/secret"), None),
    ],
    "symlink-loop": [
        (member("a", SYM, linkname="b"), None),
        (member("b", SYM, linkname="a"), None),
        (member("a/x"), b"x"),
    ],
    "whiteout-empty-name": [(member(".wh."), b"")],
    "whiteout-dotdot": [(member("d/.wh..."), b"")],
    "whiteout-dot": [(member("d/.wh.."), b"")],
    "file-under-file": [(member("f"), b"x"), (member("f/g"), b"y")],
}

CONTAINED = {
    "symlink-abs-then-file": [(member("l", SYM, linkname=OUT), None), (member("l/pwn"), b"x")],
    "symlink-rel-then-file": [
        (member("l", SYM, linkname="../../../../../../" + OUT.lstrip("/")), None),
        (member("l/pwn"), b"x"),
    ],
    "symlink-root-then-etc": [(member("r", SYM, linkname="/"), None), (member("r/etc/pwn"), b"x")],
    "symlink-dotdot-chain": [
        (member("a", SYM, linkname=".."), None),
        (member("b", SYM, linkname="a/a/a/a"), None),
        (member("b/pwn"), b"x"),
    ],
    "symlink-parent-dir": [
        (member("d", DIR, mode=0o755), None),
        (member("d/up", SYM, linkname="../.."), None),
        (member("d/up/pwn"), b"x"),
    ],
    "whiteout-through-link": [(member("l", SYM, linkname=OUT), None), (member("l/.wh.keep"), b"")],
    "opaque-through-link": [
        (member("l", SYM, linkname=OUT), None),
        (member("l/.wh..wh..opq"), b""),
    ],
    "dir-over-outside-link": [
        (member("l", SYM, linkname=OUT), None),
        (member("l", DIR, mode=0o755), None),
        (member("l/pwn"), b"x"),
    ],
    "file-over-outside-link": [
        (member("l", SYM, linkname=OUT + "/keep"), None),
        (member("l"), b"overwrite"),
    ],
    "hardlink-over-outside-link": [
        (member("f"), b"x"),
        (member("l", SYM, linkname=OUT + "/keep"), None),
        (member("l", LNK, linkname="f"), None),
    ],
    "duplicate-entries": [
        (member("f"), b"one"),
        (member("f"), b"two"),
        (member("f", DIR, mode=0o755), None),
    ],
    "setuid-root-file": [(member("suid", mode=0o4755, uid=0), b"#!/bin/sh\n")],
    "device-node": [(member("dev/null", tarfile.CHRTYPE, mode=0o666), None)],
    "fifo": [(member("fifo", tarfile.FIFOTYPE, mode=0o644), None)],
    "unreadable-dir": [(member("locked", DIR, mode=0o000), None), (member("locked/f"), b"x")],
    # Found by test_fuzz_extract: dir modes were applied at the end through whatever the path
    # had become, so a later symlink made the extractor chmod the host's directory.
    "dir-then-outside-link": [
        (member("d", DIR, mode=0o777), None),
        (member("d", SYM, linkname=OUT), None),
    ],
    "parent-dir-then-outside-link": [
        (member("a", DIR, mode=0o755), None),
        (member("a/sub", DIR, mode=0o777), None),
        (member("a", SYM, linkname=OUT), None),
    ],
    "dir-then-self-link": [
        (member("d", DIR, mode=0o755), None),
        (member("d", SYM, linkname="d"), None),
    ],
    "weird-names": [(member("a\nb"), b"x"), (member("-rf"), b"x"), (member("é/ü"), b"x")],
}


def _materialise(members, outside):
    out = []
    for info, data in members:
        if OUT in info.linkname:
            info.linkname = info.linkname.replace(
                OUT, str(outside).lstrip("/") if not info.linkname.startswith(OUT) else str(outside)
            )
        out.append((info, data))
    return tar_bytes(out)


def _snapshot(path):
    st = os.stat(path)
    found = {path: (st.st_mode, st.st_mtime_ns)}  # the outside dir's own mode and time too
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            found[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found


@pytest.fixture()
def arena(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("precious")
    (outside / "secret").write_text("s3cret")
    (outside / "sub").mkdir(mode=0o700)  # what a/sub lands on through a swapped parent
    target = tmp_path / "target"
    target.mkdir()
    return tmp_path, outside, target


def _extract(data: bytes, target, overlay: bool) -> None:
    extract_layer(
        io.BytesIO(data), str(target), overlay=overlay, ops=OwnerOps(rootless=os.geteuid() != 0)
    )


@pytest.mark.parametrize("overlay", [True, False], ids=["overlay", "apply"])
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused(arena, case, overlay):
    tmp, outside, target = arena
    before = _snapshot(outside)
    with pytest.raises(LayerError):
        _extract(_materialise(REFUSED[case], outside), target, overlay)
    assert _snapshot(outside) == before
    assert sorted(os.listdir(tmp)) == ["outside", "target"]


@pytest.mark.parametrize("overlay", [True, False], ids=["overlay", "apply"])
@pytest.mark.parametrize("case", sorted(CONTAINED))
def test_contained(arena, case, overlay):
    tmp, outside, target = arena
    before = _snapshot(outside)
    _extract(_materialise(CONTAINED[case], outside), target, overlay)
    assert _snapshot(outside) == before
    assert (outside / "keep").read_text() == "precious"
    assert sorted(os.listdir(tmp)) == ["outside", "target"]


def test_corpus_size():
    assert len(REFUSED) + len(CONTAINED) + len(BROKEN) >= 30


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


GOOD = tar_bytes([(member("f"), b"content" * 1000)])
BROKEN = {
    "truncated-tar": GOOD[:700],
    "truncated-gzip": _gz(GOOD)[:-30],
    "bitflip-gzip": (lambda b: b[:40] + bytes([b[40] ^ 0xFF]) + b[41:])(_gz(GOOD)),
    "huge-sparse-claim": tar_bytes([(member("big"), b"x")]).replace(
        b"00000000001\x00", b"77777777777\x00", 1
    ),
    "garbage": bytes(range(1, 256)) * 16,
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_archives(arena, case):
    tmp, outside, target = arena
    with pytest.raises(LayerError):
        _extract(BROKEN[case], target, overlay=False)
    assert sorted(os.listdir(tmp)) == ["outside", "target"]
