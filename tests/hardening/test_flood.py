"""Output floods: a container printing hundreds of MB must not grow the kernel's memory, the
notebook, or the container's log without bound.

The memory is the real kernel's (jupyter_client, peak RSS from /proc after resetting it), since
an in-process shell's output capture would itself hold everything and measure nothing of ours.
"""

from __future__ import annotations

import os
import time

import pytest

from docker_magics.engine.logfile import LOG_MAX_BYTES

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.slow

FLOOD_MB = int(os.environ.get("DOCKER_MAGICS_FLOOD_MB", "200"))
FLOOD = FLOOD_MB * 1000 * 1000
RSS_GROWTH_MAX_MB = 120  # the flood is FLOOD_MB; the kernel may keep a few MiB of it


def _status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def _run_cell(kc, code: str, timeout: float = 300) -> tuple[dict, int, str]:
    """Execute; return the reply, how many characters the cell streamed to the page and the
    last of them."""
    msg_id = kc.execute(code)
    streamed, last = 0, ""
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            streamed += len(msg["content"]["text"])
            last = (last + msg["content"]["text"])[-300:]
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"], streamed, last


@pytest.fixture()
def kernel(tmp_path, engine, base_image):
    km = jupyter_client.KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        setup = f"%load_ext docker_magics\n%config DockerMagics.root = {engine.store.root!r}"
        assert _run_cell(kc, setup)[0]["status"] == "ok"
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _reset_peak(pid: int) -> int:
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    return _status_kb(pid, "VmRSS")


def test_flood_in_a_notebook_is_bounded(kernel, tmp_path):
    km, kc = kernel
    pid = km.provisioner.process.pid
    lines = f"yes 'a flood of output' | head -c {FLOOD}"
    one_line = f"head -c {FLOOD} /dev/zero | tr '\\0' x"  # no newline at all
    cells = [
        f"%container run --rm busybox sh -c {lines!r}",
        # The default live view: it keeps a tail of each step, with long lines cut.
        f"%%dockerfile -t flooded {tmp_path}\nFROM busybox\nRUN {lines}\nRUN {one_line}\n",
    ]
    for cell in cells:
        base = _reset_peak(pid)
        start = time.monotonic()
        reply, streamed, last = _run_cell(kc, cell)
        assert reply["status"] == "ok", reply
        growth_mb = (_status_kb(pid, "VmHWM") - base) / 1024
        assert growth_mb < RSS_GROWTH_MAX_MB, f"kernel grew {growth_mb:.0f} MB: {cell[:40]}"
        assert streamed < 9 << 20, f"{streamed} characters went into the notebook"
        if cell.startswith("%container run"):
            assert "output truncated after 8 MiB" in last, last
        assert time.monotonic() - start < 240
    # The build's live view ended with the long line cut, not the whole 200 MB of it.
    reply, _, _ = _run_cell(kc, "%container images")
    assert reply["status"] == "ok"


def test_container_log_is_capped_and_keeps_the_end(engine, base_image):
    script = f"yes 'a flood of output' | head -c {FLOOD}; echo THE-END"
    assert engine.run("busybox", ["sh", "-c", script], name="flood") == 0
    cdir = engine.store.containers.dir(engine.container("flood").id)
    sizes = [os.path.getsize(os.path.join(cdir, n)) for n in os.listdir(cdir) if "log" in n]
    assert sum(sizes) <= 2 * LOG_MAX_BYTES < FLOOD
    logs = engine.logs("flood")
    assert logs.endswith(b"THE-END\n") and len(logs) <= 2 * LOG_MAX_BYTES
    assert logs.count(b"a flood of output\n") > 1000
