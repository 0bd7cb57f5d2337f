"""probe(), select() and the seccomp program (the latter needs no privileges)."""

from __future__ import annotations

import pytest

from docker_magics.errors import RuntimeBackendError
from docker_magics.runtime import probe, select
from docker_magics.runtime.seccomp import FAKED_SYSCALLS, build_filter


def test_probe_reports_every_backend():
    report = probe()
    assert [s.name for s in report.statuses] == ["root", "userns", "proot"]
    assert all(s.reason for s in report.statuses)
    assert probe() is report  # cached per process
    assert str(report).count("\n") == 2


def test_select_unknown_name():
    with pytest.raises(RuntimeBackendError, match="unknown runtime"):
        select("docker")


def test_select_follows_env(monkeypatch):
    report = probe()
    for name in ("root", "userns", "proot"):
        monkeypatch.setenv("DOCKER_MAGICS_RUNTIME", name)
        if report[name].ok:
            assert select().name == name
        else:
            with pytest.raises(RuntimeBackendError, match=name):
                select()


def test_select_default_order():
    report = probe()
    if report.chosen is None:
        pytest.skip("no backend works here")
    assert select().name == report.chosen


@pytest.mark.parametrize("machine", sorted(FAKED_SYSCALLS))
def test_seccomp_program_jumps_stay_inside(machine):
    prog = build_filter(machine)
    for i, (code, jt, jf, _k) in enumerate(prog):
        if code == 0x15:  # JEQ
            assert i + 1 + jt < len(prog) and i + 1 + jf < len(prog)
    assert prog[-1][0] == prog[-2][0] == 0x06  # ends with RET ALLOW, RET ERRNO(0)
