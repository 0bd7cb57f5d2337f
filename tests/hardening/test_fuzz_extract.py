"""Layer extraction under hypothesis: generated hostile tars and damaged bytes.

Whatever the archive, extraction either succeeds or raises LayerError, never writes outside its
target (a sibling directory's tree is compared before and after), and never leaves the target
holding a path that resolves outside it. ``DOCKER_MAGICS_FUZZ_EXAMPLES`` raises the budget.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docker_magics.errors import LayerError
from docker_magics.layer.extract import extract_layer
from docker_magics.layer.owner import OwnerOps
from tests.rootfs import member, tar_bytes

EXAMPLES = int(os.environ.get("DOCKER_MAGICS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OUTSIDE = "@OUT@"  # replaced by the real outside dir in link targets

# Path parts chosen to collide: the same few names, dot-dots, whiteout prefixes, odd bytes.
_PART = st.sampled_from(["a", "b", "d", "..", ".", "", ".wh.a", ".wh..wh..opq", ".wh.", "é", "x\n"])
_NAME = st.lists(_PART, min_size=1, max_size=4).map("/".join) | st.sampled_from(["/a", "/etc/x"])
_TARGET = _NAME | st.sampled_from([OUTSIDE, OUTSIDE + "/keep", "/", "../../..", "a/../../b"])
_KIND = st.sampled_from(
    [tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE,
     tarfile.CHRTYPE]
)  # fmt: skip
_MEMBER = st.tuples(_NAME, _KIND, _TARGET, st.sampled_from([0o644, 0o755, 0o4755, 0o000]))


def _tar(members, outside: str) -> bytes:
    out = []
    for name, kind, target, mode in members:
        info = member(name, kind, linkname=target.replace(OUTSIDE, outside), mode=mode)
        data = b"data" if kind == tarfile.REGTYPE else None
        out.append((info, data))
    return tar_bytes(out)


def _tree(path: str) -> dict[str, tuple[int, int]]:
    found = {path: (os.lstat(path).st_mode, os.lstat(path).st_mtime_ns)}
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            st_ = os.lstat(os.path.join(dirpath, n))
            found[os.path.join(dirpath, n)] = (st_.st_mode, st_.st_size)
    return found


def _check_extract(make: Callable[[str], bytes], overlay: bool) -> None:
    """Extract ``make(outside_dir)`` next to an outside dir, and check the outside is intact."""
    base = tempfile.mkdtemp(prefix="dm-fuzz-")
    try:
        outside, target = os.path.join(base, "outside"), os.path.join(base, "target")
        os.makedirs(outside)
        os.makedirs(target)
        with open(os.path.join(outside, "keep"), "w") as fh:
            fh.write("precious")
        before = _tree(outside)
        try:
            extract_layer(
                io.BytesIO(make(outside)), target, overlay=overlay, ops=OwnerOps(rootless=False)
            )
        except LayerError:
            pass
        assert _tree(outside) == before
        assert sorted(os.listdir(base)) == ["outside", "target"]
        real = os.path.realpath(target)
        for path in set(_tree(target)) - {target}:
            parent = os.path.realpath(os.path.dirname(path))  # parents must stay inside
            assert parent == real or parent.startswith(real + os.sep), path
    finally:
        _rmtree(base)


def _rmtree(path: str) -> None:
    for dirpath, dirnames, _ in os.walk(path):
        for n in dirnames:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                os.chmod(p, 0o755)  # mode-000 dirs from the archive
    shutil.rmtree(path)


@FUZZ
@given(st.lists(_MEMBER, min_size=1, max_size=8), st.booleans())
def test_generated_layers_stay_inside(members, overlay):
    _check_extract(lambda outside: _tar(members, outside), overlay)


_GOOD = tar_bytes(
    [
        (member("d", tarfile.DIRTYPE, mode=0o755), None),
        (member("d/f"), b"hello" * 100),
        (member("l", tarfile.SYMTYPE, linkname="d/f"), None),
        (member("h", tarfile.LNKTYPE, linkname="d/f"), None),
        (member(".wh.gone"), b""),
    ]
)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(_GOOD) - 1), st.integers(0, 255)), max_size=12))
def test_damaged_bytes_only_raise_layer_errors(flips):
    data = bytearray(_GOOD)
    for pos, value in flips:
        data[pos] = value
    _check_extract(lambda _outside: bytes(data), overlay=False)
