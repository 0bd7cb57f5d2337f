"""A generated corpus of malicious layers: each is refused or contained; nothing lands outside."""

from __future__ import annotations

import copy
import gzip
import io
import os
import shutil
import stat
import subprocess
import sys
import tarfile

import pytest

from docker_magics.errors import LayerError
from docker_magics.layer.extract import extract_layer
from docker_magics.layer.owner import OWNER_XATTR, OwnerOps
from tests.rootfs import member, tar_bytes

SYM, LNK, DIR, REG = tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE, tarfile.REGTYPE
OUT = "@OUTSIDE@"  # replaced by the real outside directory


def _pax(name: str, path: str) -> tarfile.TarInfo:
    info = member(name)
    info.pax_headers = {"path": path}
    return info


def _device(name: str, major: int, minor: int) -> tarfile.TarInfo:
    info = member(name, tarfile.CHRTYPE, mode=0o666)
    info.devmajor, info.devminor = major, minor
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
    "device-node": [(_device("dev/null", 1, 3), None)],
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


# What each contained case leaves inside the target (extracting as root): links resolve inside
# the target, so writes "through" them land under the target's own copy of the outside path
# (OUTSIDE below). Entries: "path type octal-mode [content | -> link | major,minor]".
_OUT_DIRS = ["OUTSIDE dir 755"]  # and its parents, left out of the listing
_LINK_OUT = "l link 777 -> /OUTSIDE"
EXPECTED_INSIDE = {
    "symlink-abs-then-file": [_LINK_OUT, *_OUT_DIRS, "OUTSIDE/pwn file 644 x"],
    "symlink-rel-then-file": [
        "l link 777 -> ../../../../../../OUTSIDE",
        *_OUT_DIRS,
        "OUTSIDE/pwn file 644 x",
    ],
    "symlink-root-then-etc": ["etc dir 755", "etc/pwn file 644 x", "r link 777 -> /"],
    "symlink-dotdot-chain": ["a link 777 -> ..", "b link 777 -> a/a/a/a", "pwn file 644 x"],
    "symlink-parent-dir": ["d dir 755", "d/up link 777 -> ../..", "pwn file 644 x"],
    "whiteout-through-link": [_LINK_OUT, *_OUT_DIRS, "OUTSIDE/keep chr 0 0,0"],
    "opaque-through-link": [_LINK_OUT, *_OUT_DIRS],
    "dir-over-outside-link": ["l dir 755", "l/pwn file 644 x"],
    "file-over-outside-link": ["l file 644 overwrite"],
    "hardlink-over-outside-link": ["f file 644 x", "l file 644 x"],
    "duplicate-entries": ["f dir 755"],
    "setuid-root-file": ["suid file 4755 #!/bin/sh\n"],
    "device-node": ["dev dir 755", "dev/null chr 666 1,3"],
    "fifo": ["fifo fifo 644"],
    "unreadable-dir": ["locked dir 0", "locked/f file 644 x"],
    "dir-then-outside-link": ["d link 777 -> /OUTSIDE"],
    "parent-dir-then-outside-link": ["a link 777 -> /OUTSIDE"],
    "dir-then-self-link": ["d link 777 -> d"],
    "weird-names": ["-rf file 644 x", "a\nb file 644 x", "é dir 755", "é/ü file 644 x"],
}
# Applied without overlay, a whiteout removes instead of leaving a 0,0 character device.
EXPECTED_APPLIED = {"whiteout-through-link": [_LINK_OUT, *_OUT_DIRS]}
_KINDS = {stat.S_IFDIR: "dir", stat.S_IFREG: "file", stat.S_IFLNK: "link"}
_KINDS.update({stat.S_IFCHR: "chr", stat.S_IFIFO: "fifo", stat.S_IFBLK: "blk"})


def _inside(target, outside) -> list[str]:
    """The target's tree in EXPECTED_INSIDE's notation."""
    out_rel = str(outside).lstrip("/")
    found = []
    for dirpath, dirnames, filenames in os.walk(target):
        for n in dirnames + filenames:
            path = os.path.join(dirpath, n)
            st = os.lstat(path)
            rel = os.path.relpath(path, target)
            if out_rel.startswith(rel + "/"):
                continue  # the directories leading to the target's copy of the outside path
            rel = rel.replace(out_rel, "OUTSIDE")
            entry = f"{rel} {_KINDS[stat.S_IFMT(st.st_mode)]} {stat.S_IMODE(st.st_mode):o}"
            if stat.S_ISLNK(st.st_mode):
                entry += " -> " + os.readlink(path).replace(out_rel, "OUTSIDE")
            elif stat.S_ISREG(st.st_mode) and st.st_size:
                with open(path, "rb") as fh:
                    entry += " " + fh.read().decode()
            elif stat.S_ISCHR(st.st_mode):
                entry += f" {os.major(st.st_rdev)},{os.minor(st.st_rdev)}"
            found.append(entry)
    return sorted(found)


def _materialise(members, outside):
    out = []
    for info, data in members:
        # A copy: the corpus is shared by every test, and each has its own outside directory.
        info = copy.copy(info)
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
    expected = EXPECTED_INSIDE[case]
    if not overlay:
        expected = EXPECTED_APPLIED.get(case, expected)
    assert _inside(target, outside) == sorted(expected)
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


_EXTRACT_ROOTLESS = """
import sys
from docker_magics.layer.extract import extract_layer
from docker_magics.layer.owner import OWNER_XATTR, OwnerOps
with open(sys.argv[1], "rb") as src:
    extract_layer(src, sys.argv[2], overlay=True, ops=OwnerOps(rootless=True))
"""


def test_rootless_extraction_makes_no_device_nodes(tmp_path):
    """In a user namespace (where an unprivileged user's kernel refuses mknod), a device entry
    becomes an empty placeholder file, never a device node; set-id bits stay as Docker keeps
    them, on a file the user owns, with the layer's owner kept in the owner xattr."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("runs the extractor in a user namespace made by unshare, as root")
    suid = member("suid", mode=0o4755, uid=1000, gid=1000)
    layer = tmp_path / "layer.tar"
    layer.write_bytes(tar_bytes([(_device("dev/null", 1, 3), None), (suid, b"#!/bin/sh\n")]))
    target = tmp_path / "target"
    target.mkdir()
    subprocess.run(
        ["unshare", "--user", "--map-root-user", sys.executable, "-c", _EXTRACT_ROOTLESS]
        + [str(layer), str(target)],
        check=True,
    )
    assert _inside(target, tmp_path / "none") == [
        "dev dir 755",
        "dev/null file 666",
        "suid file 4755 #!/bin/sh\n",
    ]
    assert os.getxattr(target / "suid", OWNER_XATTR) == b"1000:1000"
