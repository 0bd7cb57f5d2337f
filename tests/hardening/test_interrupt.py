"""KeyboardInterrupt (the notebook's stop button) during a `%%dockerfile` build, in a real kernel.

jupyter_client sends SIGINT to the kernel's process group, exactly what JupyterLab does. The build
must stop within about a second, kill the RUN's processes, unmount, and leave the store clean.
"""

from __future__ import annotations

import time

import pytest

from docker_magics.errors import NotFoundError
from tests.hardening.leftovers import mounts_under, processes_with, tmp_leftovers

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.slow

MARKER = "6061"  # a sleep length no other test uses: how we find the RUN's processes


def _reply(kc, msg_id: str, timeout: float = 120) -> dict:
    """The execute reply's content (status ok/error, ename) for ``msg_id``."""
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]  # type: ignore[no-any-return]


def _execute(kc, code: str, timeout: float = 120) -> dict:
    return _reply(kc, kc.execute(code), timeout)


def _wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("runtime", ["root", "userns", "proot"])
def test_interrupt_stops_a_build_within_a_second(engine, base_image, tmp_path, runtime):
    from tests.runtime.rt_helpers import backend_or_skip

    backend_or_skip(runtime)
    km = jupyter_client.KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        setup = (
            "%load_ext docker_magics\n"
            f"%config DockerMagics.root = {engine.store.root!r}\n"
            f"%config DockerMagics.runtime = {runtime!r}"
        )
        assert _execute(kc, setup)["status"] == "ok"
        # The shell stays the RUN's parent (a second command) so a child outlives a bare exec.
        cell = (
            f"%%dockerfile -t never {tmp_path}\nFROM busybox\n"
            f"RUN sleep {MARKER} & sleep {MARKER}; echo unreachable\n"
        )
        msg_id = kc.execute(cell)
        assert _wait_for(lambda: len(processes_with(MARKER)) >= 3, 60), "RUN never ran"
        start = time.monotonic()
        km.interrupt_kernel()
        reply = _reply(kc, msg_id, 60)
        took = time.monotonic() - start
        assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
        assert took < 5, f"the interrupted build took {took:.1f} s to stop"
        print(f"[{runtime}] interrupted build stopped in {took:.2f} s")
        assert _wait_for(lambda: not processes_with(MARKER), 5), "RUN survived"
        assert mounts_under(engine.store.root) == []
        # The kernel is still usable and the store is whole.
        check = _execute(
            kc,
            "from docker_magics.api import Engine\n"
            f"r = Engine({engine.store.root!r}).check(); assert r.ok, r.problems",
        )
        assert check["status"] == "ok", check
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert engine.check().ok, engine.check().problems
    assert engine.ps(all=True) == [], "the RUN's container record was left behind"
    engine.prune()
    assert tmp_leftovers(engine.store.root) == []
    assert engine.images()[0].refs  # busybox still tagged; "never" was never made
    with pytest.raises(NotFoundError):
        engine.image("never")
