"""A guest's ``statx`` sees the guest's tree, not the host's, in every backend.

PRoot 5.1 (Debian 12's, Ubuntu's) does not translate ``statx``: without our seccomp filter
that turns it into ENOSYS (so glibc falls back to ``newfstatat``, which PRoot translates), GNU
coreutils and node stat host paths instead (``npm install`` failed with ENOENT on
``/usr/share/nodejs`` under PRoot). The probe is the host's own GNU ``stat``, which calls
``statx``, copied into the busybox rootfs with the shared libraries it loads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid

import pytest
from rt_helpers import run_capture


def _add_host_binary(root: str, path: str) -> None:
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    libs = re.findall(r"(/\S+)", out)
    for src in [path, *libs]:
        dest = os.path.join(root, src.lstrip("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(os.path.realpath(src), dest)


def test_statx_of_a_guest_only_path(backend, make_layout, tmp_path):
    stat = shutil.which("stat")
    if stat is None or shutil.which("ldd") is None:
        pytest.skip("needs the host's GNU stat and ldd")
    if b"statx" not in open(stat, "rb").read():
        pytest.skip(f"{stat} does not call statx")
    image = tmp_path / "image"
    shutil.copytree(make_layout(overlay=False).directory, image, symlinks=True)
    name = f"only-in-guest-{uuid.uuid4().hex}"
    (image / name).mkdir()
    (image / name / "f").write_text("x" * 12345)
    _add_host_binary(str(image), stat)
    layout = make_layout(overlay=backend.supports_overlay, image=image)
    code, out, err = run_capture(backend, layout.spec, stat, "-c", "%s %F", f"/{name}/f")
    assert (code, out, err) == (0, "12345 regular file\n", "")
    # A host-only path must not be visible through statx either.
    host_only = tmp_path / f"host-only-{uuid.uuid4().hex}"
    host_only.write_text("host")
    code, _out, err = run_capture(backend, layout.spec, stat, "-c", "%s", str(host_only))
    assert code == 1 and "No such file" in err
