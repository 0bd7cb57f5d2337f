"""The namespace backends: "root" (real root, no user namespace) and "userns" (rootless).

Process tree of a run, host pids:

    caller --fork--> supervisor --unshare(NEWNS|NEWPID|NEWUTS|NEWIPC[|NEWUSER][|NEWNET]), fork-->
        init (pid 1 inside: mounts, pivot_root, reaps, forwards signals) --fork--> payload

The supervisor exists because a new PID namespace only applies to children of the process
that unshares it, and the caller (a Jupyter kernel with threads) must not unshare itself.
``on_start`` receives the *init's* host pid: signals sent to it are forwarded to the
payload, SIGKILL to it ends the PID namespace, so the kernel kills every process left.

Rootless limitations (userns): exactly one id is mapped (container 0 = the caller's euid)
and no helper (newuidmap) is used, because Binder/JupyterHub run with no_new_privs. A
requested non-zero uid/gid (an image's USER) therefore runs as 0; only HOME follows the
requested user's /etc/passwd entry. chown/setuid & co. are faked to succeed by a seccomp
filter (see ``seccomp``), so files keep the caller's ownership on disk.
"""

from __future__ import annotations

import os
import select
import signal

from ..errors import RuntimeBackendError
from ..layer.extract import safe_rmtree
from . import _sys
from .base import Backend, Report, Reporter, supervise
from .mounts import assemble, pivot
from .network import OWN_NETNS, join_netns, loopback_up
from .payload import FORWARDED_SIGNALS, exec_payload, exit_code
from .scratch import Scratch
from .spec import ProcessSpec, RootfsSpec

__all__ = ["NamespaceBackend", "write_id_maps"]

_NS_FLAGS = _sys.CLONE_NEWNS | _sys.CLONE_NEWPID | _sys.CLONE_NEWUTS | _sys.CLONE_NEWIPC


def write_id_maps(uid: int, gid: int) -> None:
    """Map container 0 to (uid, gid) from inside a fresh user namespace.

    setgroups must be denied first: an unprivileged process may only write gid_map then.
    """
    try:
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
    except FileNotFoundError:
        pass  # kernels before 3.19 have no such file and no such rule
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")


def _init_loop(payload: int) -> int:
    """PID 1's job: forward signals to the payload, reap orphans, return the payload's code."""
    wanted = {*FORWARDED_SIGNALS, signal.SIGCHLD}
    while True:
        info = signal.sigwaitinfo(wanted)
        if info.si_signo != signal.SIGCHLD:
            try:
                os.kill(payload, info.si_signo)
            except ProcessLookupError:
                pass
            continue
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == payload:
                # Returning ends PID 1; the kernel then SIGKILLs the rest of the namespace.
                return exit_code(status)


class NamespaceBackend(Backend):
    """Overlay + namespaces; ``userns=True`` adds a user namespace and the fake-root filter."""

    def __init__(self, *, userns: bool, supports_overlay: bool = True) -> None:
        self.userns = userns
        self.name = "userns" if userns else "root"
        self.supports_overlay = supports_overlay

    def _check_rootfs(self, rootfs: RootfsSpec) -> None:
        if rootfs.is_overlay and not self.supports_overlay:
            raise RuntimeBackendError(f"the {self.name} backend cannot mount overlays here")

    def _prepare(self, rootfs: RootfsSpec, proc: ProcessSpec) -> None:
        if rootfs.is_overlay and rootfs.workdir:
            _reset_workdir(rootfs.workdir)

    def _after(self, report: Report) -> None:
        _remove_created(report)

    # --- children -------------------------------------------------------------------------

    def _supervisor(
        self, rep: Reporter, rootfs: RootfsSpec, proc: ProcessSpec, scratch: Scratch
    ) -> int:
        uid, gid = os.geteuid(), os.getegid()
        new_user = self.userns
        if proc.netns_pid:
            # A shared namespace: its holder's user namespace (rootless) is ours from now on,
            # so the namespaces made below belong to it and the holder's tools can reach them.
            try:
                joined_user = join_netns(proc.netns_pid)
                new_user = self.userns and not joined_user
            except OSError as exc:
                raise RuntimeBackendError(f"the network's namespace is gone: {exc}") from None
        flags = _NS_FLAGS | (_sys.CLONE_NEWUSER if new_user else 0)
        own_net = proc.network in OWN_NETNS and not proc.netns_pid
        _sys.unshare(flags | (_sys.CLONE_NEWNET if own_net else 0))
        if new_user:
            write_id_maps(uid, gid)
        # Only we hold the write end, and nothing is ever written: init sees EOF on the read
        # end once we are gone, the one way it can tell (its getppid() is 0 in its namespace).
        alive_r, alive_w = os.pipe2(os.O_CLOEXEC)
        init = os.fork()
        if init == 0:
            try:
                os.close(alive_w)
                self._init(rep, rootfs, proc, scratch, alive_r)
            except BaseException as exc:
                rep.send(f"error {self.name} backend: {exc}")
            os._exit(125)
        os.close(alive_r)
        rep.send(f"pid {init}")
        rep.close()
        return supervise(init)

    def _init(
        self, rep: Reporter, rootfs: RootfsSpec, proc: ProcessSpec, scratch: Scratch, alive: int
    ) -> None:
        os.setsid()  # no controlling terminal: guards TIOCSTI like bwrap --new-session
        _sys.prctl(_sys.PR_SET_PDEATHSIG, signal.SIGKILL)  # supervisor gone -> container gone
        # A supervisor killed between our fork and that prctl sent no signal: without this
        # check the container would run on, orphaned, until its command ends by itself.
        if select.select([alive], [], [], 0)[0]:
            os._exit(137)
        os.close(alive)
        if proc.network in OWN_NETNS and not proc.netns_pid:
            loopback_up()  # a new namespace's lo is down; Docker's --network none has it up
        pivot(assemble(rootfs, proc, scratch, rep, userns=self.userns))
        _sys.sethostname(proc.hostname)
        os.makedirs(proc.cwd, exist_ok=True)  # Docker creates a missing WORKDIR
        # Blocked before the fork so no SIGCHLD or forwarded signal can slip past the loop.
        signal.pthread_sigmask(signal.SIG_BLOCK, {*FORWARDED_SIGNALS, signal.SIGCHLD})
        payload = os.fork()
        if payload == 0:
            exec_payload(proc, drop_ids=not self.userns, fake_root=self.userns)
        rep.send("ready")
        rep.close()
        os._exit(_init_loop(payload))

    def _enter(self, rep: Reporter, target: int, rootfs: RootfsSpec, proc: ProcessSpec) -> int:
        """setns into a running container's namespaces (user first), then fork the payload."""
        os.setsid()  # a process group of its own: a timed-out exec is ended whole (killpg)
        names = ["ipc", "uts", "pid", "mnt"]
        for ns in ("net", "user"):  # joined only when the container has its own
            if os.stat(f"/proc/{target}/ns/{ns}").st_ino != os.stat(f"/proc/self/ns/{ns}").st_ino:
                names.insert(0, ns)
        try:
            fds = [os.open(f"/proc/{target}/ns/{n}", os.O_RDONLY) for n in names]
            root_fd = os.open(f"/proc/{target}/root", os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise RuntimeBackendError(f"container process {target} is not running: {exc}")
        for fd in fds:
            _sys.setns(fd)
            os.close(fd)
        # setns(mnt) already lands in the namespace's root; chroot makes it explicit.
        os.fchdir(root_fd)
        os.chroot(".")
        os.close(root_fd)
        payload = os.fork()
        if payload == 0:
            exec_payload(proc, drop_ids=not self.userns, fake_root=self.userns)
        rep.send(f"pid {payload}")
        rep.send("ready")
        rep.close()
        return supervise(payload)


def _reset_workdir(workdir: str) -> None:
    """Empty overlay's scratch dir before a mount: a `volatile` mount leaves
    work/incompat/volatile behind, and the kernel refuses to mount over it again."""
    inner = os.path.join(workdir, "work")
    if os.path.lexists(inner):
        safe_rmtree(inner)


def _remove_created(report: Report) -> None:
    """Delete the mount points directory mode had to create, newest first, if still empty."""
    created = [n.split(" ", 1)[1] for n in report.notes if n.startswith("created ")]
    for path in reversed(created):
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            elif os.path.getsize(path) == 0:
                os.unlink(path)
        except OSError:
            pass
