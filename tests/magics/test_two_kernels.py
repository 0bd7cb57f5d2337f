"""Two real kernels (jupyter_client, ipykernel) build and run on one store at the same time for a
minute, as two notebooks of one user do; then the store checks clean and every tag is there.

Both kernels build a shared step (the same cache key, raced for) and a step of their own, then run
a container of what they built, in a loop. Any error in a kernel fails its cell (raise_on_error).
"""

from __future__ import annotations

import ast
import os
import queue
import signal
import subprocess
import sys
import time

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.slow

SECONDS = float(os.environ.get("DOCKER_MAGICS_TWO_KERNELS_SECONDS", "60"))

LOOP = """
import time
ip = get_ipython()
made, i, end = [], 0, time.monotonic() + {seconds}
while time.monotonic() < end:
    tag = "k{k}-" + str(i)
    dockerfile = "FROM busybox\\nRUN echo shared > /shared\\nRUN echo {k}-" + str(i) + " > /who\\n"
    ip.run_cell_magic("dockerfile", "-t " + tag + " {ctx}", dockerfile)
    ip.run_line_magic("container", "run --rm " + tag + " cat /who /shared")
    made.append(tag)
    i += 1
"""


def _start(tmp_path, root: str, k: str):
    km = jupyter_client.KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    # SIGUSR1 makes the kernel write every thread's stack to a file: what a hang is reported with.
    setup = (
        f"import faulthandler, signal\n_stacks = open({str(tmp_path / f'stacks-{k}.txt')!r}, 'w')\n"
        "faulthandler.register(signal.SIGUSR1, file=_stacks, all_threads=True)\n"
        f"%load_ext docker_magics\n%config DockerMagics.root = {root!r}\n"
        "%config DockerMagics.raise_on_error = True\n"
    )
    reply = kc.execute_interactive(setup, timeout=60, output_hook=lambda msg: None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return km, kc


def _tree(pid: int) -> list[str]:
    """`pid` and its descendants: pid, state, what each waits in (wchan) and its command line."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    lines, todo = [], [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/wchan") as fh:
                wchan = fh.read()
            with open(f"/proc/{p}/cmdline", "rb") as fb:
                cmd = fb.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{p}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        lines.append(f"{p} {state} {wchan or '-'} {cmd[:200]}")
    return lines


def _stacks(tmp_path, kernels) -> str:
    """Every thread's stack of both kernels and their process trees, for a cell that hung."""
    report = []
    for k, (km, _kc) in kernels.items():
        pid = km.provisioner.process.pid
        os.kill(pid, signal.SIGUSR1)
        time.sleep(2)
        stacks = (tmp_path / f"stacks-{k}.txt").read_text()
        report += [f"--- kernel {k} (pid {pid}) processes:", *_tree(pid), "--- threads:", stacks]
    return "\n".join(report)


def _shown(msg: dict) -> str | None:
    """What an IOPub message showed the user as text, if it is worth a failure report."""
    content = msg["content"]
    if msg["msg_type"] == "stream":
        return content["text"]
    if msg["msg_type"] == "error":
        return f"{content['ename']}: {content['evalue']}"
    if msg["msg_type"] == "display_data":
        return content["data"].get("text/plain")
    return None


def _replies(kernels, sent: dict[str, str], timeout: float) -> dict[str, dict]:
    """Both cells' execute replies, each with the text its cell showed ("shown").

    The replies come on the shell channel, which loses nothing. IOPub is a PUB socket: a
    kernel's live build view sends ~3000 messages a minute, and beyond ~2000 waiting unread
    the rest are dropped, its final "idle" among them. So both kernels' IOPub are read in turn
    (only to report what a failing cell said), never one after the other."""
    replies: dict[str, dict] = {}
    shown: dict[str, list[str]] = {k: [] for k in kernels}
    deadline = time.monotonic() + timeout
    while len(replies) < len(kernels):
        if time.monotonic() > deadline:
            raise queue.Empty
        for k, (_km, kc) in kernels.items():
            while kc.iopub_channel.msg_ready():
                text = _shown(kc.get_iopub_msg(timeout=1))
                if text:
                    shown[k] = [*shown[k][-20:], text]
            if k not in replies and kc.shell_channel.msg_ready():
                reply = kc.get_shell_msg(timeout=1)
                if reply["parent_header"].get("msg_id") == sent[k]:
                    replies[k] = {**reply["content"], "shown": "".join(shown[k])[-3000:]}
        time.sleep(0.05)
    return replies


def test_two_kernels_share_a_store(tmp_path, engine, base_image):
    root = engine.store.root
    kernels = {}
    try:
        for k in ("a", "b"):
            ctx = tmp_path / f"ctx-{k}"
            ctx.mkdir()
            kernels[k] = _start(tmp_path, root, k)
        sent = {
            k: kc.execute(
                LOOP.format(seconds=SECONDS, k=k, ctx=tmp_path / f"ctx-{k}"),
                user_expressions={"made": "made"},
            )
            for k, (_, kc) in kernels.items()
        }
        try:
            replies = _replies(kernels, sent, timeout=SECONDS + 240)
        except queue.Empty:
            pytest.fail(f"a kernel gave no reply\n{_stacks(tmp_path, kernels)}")
        made: dict[str, list[str]] = {}
        for k, reply in replies.items():
            assert reply["status"] == "ok", f"kernel {k}: {reply.get('evalue')}\n{reply['shown']}"
            made[k] = ast.literal_eval(reply["user_expressions"]["made"]["data"]["text/plain"])
            assert len(made[k]) >= 3, f"kernel {k} built only {made[k]}"
    finally:
        for km, kc in kernels.values():
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    check = subprocess.run(
        [sys.executable, "-m", "docker_magics", "--root", root, "system", "check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and check.stdout.rstrip().endswith(": OK"), check
    tags = {t for image in engine.images() for t in image.refs}
    for names in made.values():
        for tag in names:
            assert f"docker.io/library/{tag}:latest" in tags, tag
    # Every image holds what its own kernel built, and the shared step is one layer for both.
    chunks: list[bytes] = []
    engine.run(made["b"][-1], ["cat", "/who"], out=chunks.append, remove=True)
    assert b"".join(chunks) == f"b-{len(made['b']) - 1}\n".encode()
    shared = {engine.image(tag).layers[1]["digest"] for tag in (made["a"][0], made["b"][0])}
    assert len(shared) == 1
