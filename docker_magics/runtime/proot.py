"""The "proot" backend: no namespaces at all, for hosts without user namespaces (Binder).

PRoot (Debian 5.1.0) traces the guest with ptrace and rewrites paths. Differences from the
namespace backends, all because PRoot cannot do better or because 5.1.0 lacks an option:
- only ``RootfsSpec.directory`` (no overlay); read-only binds are bound writable;
- no hostname (uname is not faked), /proc /dev /sys are the host's;
- PRoot ignores SIGTERM/SIGINT and has no ``--kill-on-exit`` in 5.1.0, and it exits 255
  when the guest is killed by a signal. So a Python supervisor sits on top: ``on_start``
  gets *its* pid, it forwards signals to the guest's first process, kills the guest's
  remaining processes when that one exits, and turns "255 after we forwarded signal N"
  into 128+N. If the supervisor is SIGKILLed, PRoot receives SIGQUIT (parent-death signal),
  on which it kills every tracee.
- ``PROOT_NO_SECCOMP`` is passed through only if the caller sets it: measured here (kernel
  6.18) it changes nothing in speed, and any PROOT_* variable would leak into the guest's env.
"""

from __future__ import annotations

import os
import select as _select
import shutil
import signal
import time

from ..errors import RuntimeBackendError
from . import _sys, seccomp
from .base import Backend, OnStart, Reporter
from .paths import contain
from .payload import FORWARDED_SIGNALS, container_env, exit_code, reset_signals, resolve_command
from .scratch import Scratch
from .spec import ProcessSpec, RootfsSpec

__all__ = ["PRootBackend", "find_proot", "proot_env", "proot_command"]

INSTALL_HINT = "install proot (apt-get install proot)"


def find_proot() -> str:
    path = shutil.which("proot")
    if path is None:
        raise RuntimeBackendError(f"the proot binary was not found: {INSTALL_HINT}")
    return path


def proot_env(env: list[str]) -> list[str]:
    extra = os.environ.get("PROOT_NO_SECCOMP")
    return env + ([f"PROOT_NO_SECCOMP={extra}"] if extra else [])


def proot_command(
    proot: str, root: str, proc: ProcessSpec, command: str, etc_dir: str
) -> list[str]:
    ids = ["-0"] if proc.uid == 0 else ["-i", f"{proc.uid}:{proc.gid}"]
    # -v -1 keeps PRoot's "terminated with signal" notes out of the container's stderr.
    cmd = [proot, "-v", "-1", *ids, "-r", root, "-w", proc.cwd]
    for host in ("/proc", "/dev", "/sys"):
        cmd += ["-b", host]
    for name in ("hosts", "resolv.conf", "hostname"):
        cmd += ["-b", f"{etc_dir}/{name}:/etc/{name}"]
    for src, dst, _read_only in proc.binds:
        cmd += ["-b", f"{src}:{dst}"]
    return [*cmd, command, *proc.argv[1:]]


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(name))
    return kids


def _descendants(pid: int) -> list[int]:
    kids = _children_map()
    found, todo = [], list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(kids.get(p, []))
    return found


def _find_guest(tracer: int) -> int | None:
    """PRoot's first child is the guest's first process (pid reported by /proc, not by proot).

    None when it is already gone: a guest that exits at once (``sh -c 'sleep 9 &'``) may never
    be seen, but its orphans are then reparented to us (the subreaper), which tells us so.
    No time limit: a loaded machine may take long to start PRoot, and giving up would make
    us kill a guest that is just starting.
    """
    me = os.getpid()
    pause = 0.002
    while True:
        kids = _children_map()
        if kids.get(tracer):
            return min(kids[tracer])
        if any(p != tracer for p in kids.get(me, [])):
            return None
        # WNOWAIT: only look; the exit status is collected later by the main loop.
        if os.waitid(os.P_PID, tracer, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return None
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _guest_status(pid: int) -> int | None:
    """The guest's wait status from /proc while it is a zombie (field 52, Linux >= 3.5).

    Best effort: PRoot may reap it first; then the forwarded signal tells the story.
    """
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[-1]) if fields[0] in ("Z", "X") else None
    except (OSError, IndexError, ValueError):
        return None


def _kill_leftovers(me: int, tracer: int) -> None:
    """Emulate --kill-on-exit: SIGKILL every process below us except PRoot itself."""
    for _ in range(100):
        left = [p for p in _descendants(me) if p != tracer]
        if not left:
            return
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.005)


class _Forwarder:
    """Signal handler state: the guest appears only after PRoot has forked it."""

    def __init__(self) -> None:
        self.guest: int | None = None
        self.sent: int | None = None
        self.pending: list[int] = []

    def __call__(self, signum: int, _frame: object) -> None:
        if self.guest is None:
            self.pending.append(signum)
            return
        self.deliver(signum)

    def deliver(self, signum: int) -> None:
        self.sent = signum
        try:
            os.kill(int(self.guest or 0), signum)
        except ProcessLookupError:
            pass


def _supervise_proot(rep: Reporter, cmd: list[str], env: list[str], network: str) -> int:
    """The supervisor process (see the module docstring); returns the Docker exit code."""
    _sys.prctl(_sys.PR_SET_CHILD_SUBREAPER, 1)  # orphans of the guest stay findable
    os.setsid()
    forward = _Forwarder()
    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, forward)
    supervisor = os.getpid()
    tracer = os.fork()
    if tracer == 0:
        _sys.prctl(_sys.PR_SET_PDEATHSIG, signal.SIGQUIT)
        if os.getppid() != supervisor:  # killed before that prctl: no signal will come
            os._exit(137)
        reset_signals()
        try:
            seccomp.install_enosys_filter()
        except OSError:
            pass  # no seccomp here: guests that use statx see host metadata, as with bare PRoot
        if network == "none":
            try:
                seccomp.install_no_inet_filter()
            except OSError as exc:  # never run with the host's network when none was asked for
                os.write(2, f"docker-magics: --network none needs seccomp here: {exc}\n".encode())
                os._exit(125)
        os.execve(cmd[0], cmd, dict(e.split("=", 1) for e in env if "=" in e))
    rep.send(f"pid {os.getpid()}")
    rep.send("ready")
    rep.close()
    forward.guest = _find_guest(tracer)
    guest_status = None
    if forward.guest is not None:
        for signum in forward.pending:
            forward.deliver(signum)
        with _pidfd(forward.guest) as pidfd:
            if pidfd is not None:
                _select.select([pidfd], [], [])
        guest_status = _guest_status(forward.guest)
    # Seen or not, the guest has ended: whatever it started goes with it (as --kill-on-exit).
    _kill_leftovers(os.getpid(), tracer)
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == tracer:
            break
    code = exit_code(status)
    if code == 255 and guest_status is not None:
        code = exit_code(guest_status)
    elif code == 255 and forward.sent is not None:
        code = 128 + forward.sent
    return code


class _pidfd:
    """pidfd_open as a context manager; None where the kernel or Python lacks it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fd: int | None = None

    def __enter__(self) -> int | None:
        try:
            self.fd = os.pidfd_open(self.pid)
        except (OSError, AttributeError):
            self.fd = None
        return self.fd

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)


class PRootBackend(Backend):
    name = "proot"
    supports_overlay = False
    read_only_binds = False

    def _check_rootfs(self, rootfs: RootfsSpec) -> None:
        if rootfs.directory is None:
            raise RuntimeBackendError("the proot backend runs only a directory rootfs (no overlay)")
        find_proot()

    def _supervisor(
        self, rep: Reporter, rootfs: RootfsSpec, proc: ProcessSpec, scratch: Scratch
    ) -> int:
        root = os.path.realpath(str(rootfs.directory))
        env = container_env(proc, contain(root, "/etc/passwd"))
        command, code, message = resolve_command(proc.argv[0], env, root=root)
        if command is None:
            os.write(2, f"docker-magics: {message}\n".encode())
            return code
        os.makedirs(contain(root, proc.cwd), exist_ok=True)  # Docker creates a missing WORKDIR
        cmd = proot_command(find_proot(), root, proc, command, scratch.path)
        return _supervise_proot(rep, cmd, proot_env(env), proc.network)

    def exec(
        self,
        target_pid: int,
        rootfs: RootfsSpec,
        proc: ProcessSpec,
        *,
        stdin: int | None = None,
        stdout: int | None = None,
        stderr: int | None = None,
        on_start: OnStart | None = None,
    ) -> int:
        # No namespaces to join: a second PRoot over the same directory sees the same files.
        try:
            os.kill(target_pid, 0)
        except ProcessLookupError:
            raise RuntimeBackendError(f"container process {target_pid} is not running")
        return self.run(rootfs, proc, stdin=stdin, stdout=stdout, stderr=stderr, on_start=on_start)
