"""Namespace backends only: PID 1, hostname, overlay change sets, fake root."""

from __future__ import annotations

import os
import stat

import pytest
from rt_helpers import backend_or_skip, run_capture

NS_BACKENDS = [
    pytest.param("root", marks=pytest.mark.root),
    pytest.param("userns", marks=pytest.mark.userns),
]


@pytest.fixture(params=NS_BACKENDS)
def ns_backend(request):
    backend = backend_or_skip(request.param)
    if not backend.supports_overlay:
        pytest.skip(f"{backend.name}: no overlay here")
    return backend


def test_payload_is_child_of_init_with_hostname(ns_backend, make_layout):
    layout = make_layout()
    script = "echo $$; cat /proc/$$/stat | cut -d' ' -f4; hostname; ls /proc | grep -c '^[0-9]'"
    code, out, _ = run_capture(ns_backend, layout.spec, "sh", "-c", script, hostname="box7")
    pid, ppid, hostname, nprocs = out.split()
    assert code == 0
    assert (pid, ppid, hostname) == ("2", "1", "box7")
    assert int(nprocs) <= 4  # init, sh, grep/ls: a fresh /proc of the new PID namespace


def test_overlay_changes_go_to_upper(ns_backend, make_layout):
    layout = make_layout()
    before = sorted(os.listdir(layout.lower / "etc"))
    script = "echo new > /newfile && rm /etc/greeting && cat /etc/hosts /etc/resolv.conf >/dev/null"
    assert run_capture(ns_backend, layout.spec, "sh", "-c", script)[0] == 0
    assert (layout.upper / "newfile").read_text() == "new\n"
    assert not (layout.lower / "newfile").exists()
    assert sorted(os.listdir(layout.lower / "etc")) == before
    whiteout = os.lstat(layout.upper / "etc" / "greeting")
    assert stat.S_ISCHR(whiteout.st_mode) and whiteout.st_rdev == 0
    # Nothing of the runtime (hosts files, /proc /dev /sys mount points) in the change set.
    assert layout.upper_entries() == {"newfile", "etc", "etc/greeting"}


def test_clean_upper_for_noop(ns_backend, make_layout):
    layout = make_layout()
    assert run_capture(ns_backend, layout.spec, "cat", "/etc/hosts", "/etc/hostname")[0] == 0
    assert layout.upper_entries() == set()


def test_directory_mode_leaves_no_mount_points(ns_backend, make_layout):
    layout = make_layout(overlay=False)
    before = sorted(os.listdir(layout.directory)), sorted(os.listdir(layout.directory / "etc"))
    code, out, _ = run_capture(
        ns_backend, layout.spec, "sh", "-c", "cat /etc/hostname; ls /dev/null"
    )
    assert (code, out) == (0, "container\n/dev/null\n")
    after = sorted(os.listdir(layout.directory)), sorted(os.listdir(layout.directory / "etc"))
    assert after == before


@pytest.mark.userns
def test_fake_root_chown_and_mknod(make_layout):
    backend = backend_or_skip("userns")
    layout = make_layout(overlay=backend.supports_overlay)
    script = (
        "touch /f && chown 123:456 /f && chown 0:0 /etc/greeting && chgrp 5 /f"
        " && mknod /dev/fake c 1 3 && mkfifo /fifo && test -p /fifo && id -u"
    )
    code, out, err = run_capture(backend, layout.spec, "sh", "-c", script)
    assert (code, out) == (0, "0\n"), err


@pytest.mark.root
def test_root_mode_drops_to_requested_uid(make_layout):
    backend = backend_or_skip("root")
    layout = make_layout()
    code, out, _ = run_capture(backend, layout.spec, "id", uid=65534, gid=65534)
    assert code == 0 and out.startswith("uid=65534(nobody) gid=65534")
    code, out, _ = run_capture(backend, layout.spec, "sh", "-c", "echo $HOME", uid=65534, gid=65534)
    assert out == "/nonexistent\n"
