"""The unprivileged modes for real: re-run as uid 65534, with and without user namespaces.

``userns`` world: ``setpriv`` to nobody; the probe must pick "userns" and overlay must work
with userxattr. ``nouserns`` world: additionally inside ``bwrap --disable-userns``, where
creating a user namespace fails (ENOSPC) although the sysctls allow it; the probe must pick
"proot" and still run containers. ``binder``/``binder-k3s``: a simulated Binder pod
(scripts/binder-sim), where the probe must pick "proot" too.
"""

from __future__ import annotations

import os
import stat

import pytest

NOBODY = 65534
JOVYAN = 1000  # the Binder worlds' user

pytestmark = pytest.mark.slow

PRELUDE = """
import os, tempfile
from docker_magics.runtime import ProcessSpec, RootfsSpec, probe, select
def run(backend, rootfs, *argv, **kw):
    with tempfile.TemporaryFile() as out:
        code = backend.run(rootfs, ProcessSpec(argv=argv, **kw), stdout=out.fileno())
        out.seek(0)
        return code, out.read().decode()
report = probe()
"""


@pytest.mark.userns
def test_nobody_gets_userns_with_overlay(run_in_world, make_layout):
    layout = make_layout(owner=NOBODY)
    snippet = (
        PRELUDE
        + f"""
rootfs = RootfsSpec(lowerdirs=({str(layout.lower)!r},), upperdir={str(layout.upper)!r},
                    workdir={str(layout.work)!r}, mountpoint={str(layout.mnt)!r})
backend = select()
script = "id -u; touch /f; chown 123:456 /f; echo $?; rm /etc/greeting"
script += "; rm -rf /opt/data; mkdir /opt/data"
result = dict(chosen=report.chosen, overlay=report.overlay, reasons=str(report),
              run=run(backend, rootfs, "sh", "-c", script))
"""
    )
    result = run_in_world(snippet, "userns")
    # The probe picking anything else is the regression this test exists for: fail, never skip.
    assert result["chosen"] == "userns", f"uid 65534 did not get userns: {result['reasons']}"
    assert result["overlay"] is True
    assert result["run"] == [0, "0\n0\n"]
    whiteout = os.lstat(layout.upper / "etc" / "greeting")
    assert stat.S_ISCHR(whiteout.st_mode) and whiteout.st_rdev == 0
    assert os.getxattr(layout.upper / "opt" / "data", "user.overlay.opaque") == b"y"
    assert (layout.upper / "f").stat().st_uid == NOBODY  # the faked chown changed nothing
    assert {"f", "etc", "etc/greeting", "opt", "opt/data"} == layout.upper_entries()


@pytest.mark.proot
@pytest.mark.parametrize("world", ["nouserns", "binder", "binder-k3s"])
def test_without_userns_or_mounts_falls_back_to_proot(world, run_in_world, make_layout):
    """No user namespace (bwrap --disable-userns, Binder's RuntimeDefault seccomp) or one in
    which nothing can be mounted (Binder's k3s AppArmor): PRoot is the only backend left."""
    layout = make_layout(overlay=False, owner=JOVYAN if world.startswith("binder") else NOBODY)
    snippet = (
        PRELUDE
        + f"""
rootfs = RootfsSpec(directory={str(layout.directory)!r})
backend = select()
result = dict(chosen=report.chosen, userns=report["userns"].reason, root=report["root"].reason,
              run=run(backend, rootfs, "sh", "-c", "id -u; echo hi > /made; exit 5"),
              missing=run(backend, rootfs, "nope")[0])
"""
    )
    result = run_in_world(snippet, world)
    assert result["chosen"] == "proot", f"[{world}] the probe chose {result['chosen']}"
    assert "not running as root" in result["root"]
    # info shows each rung the probe tried and the errno of the one that failed.
    expected = {
        "nouserns": "unshare(user+mount+pid+uts+ipc): ENOSPC",
        "binder": "unshare(user+mount+pid+uts+ipc): EPERM",
        "binder-k3s": "uid_map/gid_map ok; mount / private: EACCES",
    }[world]
    assert expected in result["userns"], result["userns"]
    assert result["run"] == [5, "0\n"]
    assert result["missing"] == 127
    assert (layout.directory / "made").read_text() == "hi\n"
