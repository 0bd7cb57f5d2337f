"""Crash safety: operations SIGKILLed at random points, then the store must be whole.

``DOCKER_MAGICS_CHAOS_N`` operations (default 100: builds, commits, pulls from a real local
docker-registry, imports) run one after another as child processes on one store; most are
killed after a random delay, some complete. Afterwards: `system check` passes, every tag
resolves, each completed operation's tag is still there, no mount or process is left, and the
next build succeeds. ``DOCKER_MAGICS_CHAOS_SEED`` replays a run (the seed is in the report).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.hardening.leftovers import mounts_under, processes_with, unique_marker
from tests.registry.conftest import start_registry, stop_registry

pytestmark = [pytest.mark.slow, pytest.mark.registry]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chaos_worker.py")
OPS = ["build", "commit", "pull", "import"]
N = int(os.environ.get("DOCKER_MAGICS_CHAOS_N", "100"))
MARK = f"chaos-{unique_marker()}"  # in the workers' RUN command lines (chaos_worker.py)


@pytest.fixture()
def seeded_registry(tmp_path, busybox_tar):
    """A registry holding three distinct images, pushed from a store of their own."""
    from docker_magics.api import Engine

    reg = start_registry(str(tmp_path / "registry"))
    try:
        eng = Engine(str(tmp_path / "seed-store"))
        eng.import_image(busybox_tar, "busybox")
        for k in range(3):
            ctx = tmp_path / f"seed-{k}"
            ctx.mkdir()
            (ctx / "Dockerfile").write_text(f"FROM busybox\nRUN echo {k} > /k\n")
            eng.build(str(ctx), tags=[f"seed:{k}"])
            eng.push(f"seed:{k}", f"{reg.host}/chaos/img:{k}")
        yield reg.host
    finally:
        stop_registry(reg)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, WORKER, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _left(store: str) -> list[int]:
    """Container processes (the RUN's marker) and our forks (their argv names the store)."""
    return sorted(set(processes_with(MARK)) | set(processes_with(store)))


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)


def _kill_pending(pid: int) -> bool:
    """SIGKILL sent but not yet acted on: the process is inside a system call that cannot be
    interrupted (a disk write on a loaded machine, say) and dies when it returns."""
    try:
        st = _status(pid)
    except OSError:
        return True  # gone meanwhile
    bit = 1 << (signal.SIGKILL - 1)
    return any(int(st.get(k, "0"), 16) & bit for k in ("SigPnd", "ShdPnd"))


def _describe(pids: list[int]) -> str:
    """Each leftover's age, state, what it waits in, whether a SIGKILL is pending, its parent
    chain and command line: what it is, not its number."""
    with open("/proc/uptime") as f:
        now = float(f.read().split()[0])
    lines = []
    for pid in pids:
        chain = []
        while pid > 1 and len(chain) < 6:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{pid}/wchan") as f:
                    wchan = f.read() or "-"
            except OSError:
                break
            age = now - int(fields[19]) / os.sysconf("SC_CLK_TCK")
            kill = ", SIGKILL pending" if _kill_pending(pid) else ""
            chain.append(f"{pid} [{fields[0]} in {wchan}{kill}, {age:.1f} s old] {argv[:80]}")
            pid = int(fields[1])
        lines.append(" <- ".join(chain))
    return "; ".join(lines)


def _none_within(seconds: float, store: str) -> bool:
    deadline = time.monotonic() + seconds
    while _left(store) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _left(store)


def test_sigkill_at_random_points(tmp_path, busybox_tar, seeded_registry, monkeypatch):
    from docker_magics.api import Engine
    from docker_magics.cli.main import main as cli

    seed = int(os.environ.get("DOCKER_MAGICS_CHAOS_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    store = str(tmp_path / "store")
    Engine(store).import_image(busybox_tar, "busybox")
    env = {**os.environ, "PYTHONPATH": ROOT, "DOCKER_CONFIG": str(tmp_path / "docker-config")}
    completed: list[str] = []
    killed = 0
    took: dict[str, float] = {}  # how long each kind of operation lasts here, when not killed
    for n in range(N):
        op = OPS[n % len(OPS)]
        start = time.monotonic()
        args = [store, op, str(n), seeded_registry, busybox_tar, str(tmp_path), MARK]
        proc = _spawn(args, env)
        # The first of each kind, and some others, run to the end: they time the kind, and
        # make tags that must survive what follows.
        if op not in took or rng.random() < 0.15:
            _, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, f"seed {seed}: {op} {n} failed: {err.decode()[-2000:]}"
            took[op] = time.monotonic() - start
        else:
            # Anywhere from interpreter start-up to the final tag write.
            time.sleep(rng.uniform(0, took[op]))
            proc.send_signal(signal.SIGKILL)
            _, err = proc.communicate(timeout=60)
            killed += proc.returncode == -signal.SIGKILL
            # The worker's container dies with it, well before its RUN would have ended.
            assert _none_within(1.0, store), f"seed {seed}: {op} {n} left {_describe(_left(store))}"
            # A process that finished before the kill must have succeeded, like any other.
            assert proc.returncode in (0, -signal.SIGKILL), f"seed {seed}: {err.decode()[-2000:]}"
        if proc.returncode == 0 and op != "pull":  # a later pull may rmi its own ref
            completed.append(f"docker.io/library/chaos-{op}:{n}")
    assert killed >= N // 2, f"seed {seed}: only {killed} of {N} operations were killed mid-way"

    # Nothing of the killed operations is still running or mounted anywhere on the host.
    assert _none_within(1.0, store), f"seed {seed}: {_left(store)}"
    assert mounts_under(store) == [], f"seed {seed}"

    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    assert cli(["--root", store, "system", "check"]) == 0, f"seed {seed}"
    eng = Engine(store)
    refs = {r for image in eng.images() for r in image.refs}
    for ref in refs:
        eng.image(ref)  # every tag resolves to a loadable image
    missing = [t for t in completed if t not in refs]
    assert not missing, f"seed {seed}: completed operations lost their tags: {missing}"
    # Leftover containers of killed operations can be listed and removed; then prune sweeps.
    for c in eng.ps(all=True):
        eng.rm(c.id, force=True)
    eng.prune()
    assert os.listdir(os.path.join(store, "tmp")) == []
    assert eng.check().ok, f"seed {seed}: {eng.check().problems}"
    # And the store still works: a fresh build (new layers, a RUN) and a pull.
    ctx = tmp_path / "after"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN echo after > /after\n")
    eng.build(str(ctx), tags=["after"])
    assert eng.run("busybox", ["true"], remove=True) == 0
    eng.pull(f"{seeded_registry}/chaos/img:1")
    print(f"chaos: seed {seed}, {N} operations, {killed} killed, {len(completed)} completed")
