"""The backend interface and the fork/report plumbing every backend shares.

A run forks a *supervisor* child. Setup happens in children, where failures cannot hurt the
caller's process (a Jupyter kernel); they report back over a close-on-exec pipe, one line per
message:

    pid N        host pid of the container's outermost process
    ready        setup is done, the payload is about to exec (on_start is called now)
    error TEXT   setup failed: the caller raises RuntimeBackendError(TEXT)

The pipe reaches EOF when the payload execs (close-on-exec) or every writer has exited.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import RuntimeBackendError
from . import _sys
from .payload import FORWARDED_SIGNALS, close_fds, exit_code
from .scratch import Scratch, prepare_scratch
from .spec import ProcessSpec, RootfsSpec

__all__ = [
    "Backend",
    "OnStart",
    "Reporter",
    "Report",
    "spawn",
    "wait_report",
    "kill_and_reap",
    "supervise",
]

OnStart = Callable[[int], None]


class Backend:
    """One way of running a process in a root filesystem ("root", "userns" or "proot").

    ``run`` and ``exec`` are the one skeleton every backend shares (checks, scratch dir, the
    forked child, its report); a backend supplies only the steps that differ: ``_check_rootfs``
    and ``_prepare`` on the caller's side, ``_supervisor`` and ``_enter`` in the forked child,
    and ``_after`` to undo what the child reported it created.
    """

    name: str = ""
    supports_overlay: bool = False
    # Can a bind be made read-only? (PRoot maps paths and cannot refuse writes through them.)
    read_only_binds: bool = True

    def run(
        self,
        rootfs: RootfsSpec,
        proc: ProcessSpec,
        *,
        stdin: int | None = None,
        stdout: int | None = None,
        stderr: int | None = None,
        on_start: OnStart | None = None,
    ) -> int:
        self._check_proc(proc)
        self._check_rootfs(rootfs)
        self._prepare(rootfs, proc)
        scratch = prepare_scratch(proc)
        report = Report()
        try:
            pid, rfd = spawn(
                lambda rep: self._supervisor(rep, rootfs, proc, scratch), (stdin, stdout, stderr)
            )
            report = wait_report(pid, rfd, on_start)
        finally:
            self._after(report)
            shutil.rmtree(scratch.path, ignore_errors=True)
        report.raise_error()
        return report.code

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
        """``on_start`` gets a pid whose process group is the whole exec (to end it by force)."""
        self._check_proc(proc)
        pid, rfd = spawn(
            lambda rep: self._enter(rep, target_pid, rootfs, proc), (stdin, stdout, stderr)
        )
        report = wait_report(pid, rfd, on_start)
        report.raise_error()
        return report.code

    # --- what a backend supplies ----------------------------------------------------------

    def _check_rootfs(self, rootfs: RootfsSpec) -> None:
        """Raise RuntimeBackendError if this backend cannot run that kind of rootfs."""

    def _prepare(self, rootfs: RootfsSpec, proc: ProcessSpec) -> None:
        """Caller-side work before the fork (the scratch dir is made right after)."""

    def _supervisor(
        self, rep: Reporter, rootfs: RootfsSpec, proc: ProcessSpec, scratch: Scratch
    ) -> int:
        """In the forked child: start the container, report on ``rep``, return its exit code."""
        raise NotImplementedError

    def _enter(self, rep: Reporter, target: int, rootfs: RootfsSpec, proc: ProcessSpec) -> int:
        """In the forked child: run ``proc`` in the running container ``target``."""
        raise NotImplementedError

    def _after(self, report: Report) -> None:
        """Caller-side cleanup from what the child reported (run even if the run failed)."""

    def _check_proc(self, proc: ProcessSpec) -> None:
        if not proc.argv:
            raise RuntimeBackendError("no command given (empty argv)")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} overlay={self.supports_overlay}>"


class Reporter:
    """The child's end of the report pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, line: str) -> None:
        os.write(self.fd, (line.replace("\n", " ") + "\n").encode())

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _install_stdio(stdin: int | None, stdout: int | None, stderr: int | None) -> None:
    # dup everything first: the caller may pass e.g. stdout as stdin's number.
    wanted = [(i, os.dup(fd)) for i, fd in enumerate((stdin, stdout, stderr)) if fd is not None]
    for target, fd in wanted:
        os.dup2(fd, target)
        os.close(fd)


def spawn(
    child: Callable[[Reporter], int],
    stdio: tuple[int | None, int | None, int | None],
) -> tuple[int, int]:
    """Fork ``child(reporter)`` with the given stdio and no other fds; return (pid, read fd)."""
    rfd, wfd = os.pipe2(os.O_CLOEXEC)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # child: never return from here
        code = 125
        try:
            # If the caller is SIGKILLed (a kernel restarted, a CLI killed), the container must
            # not outlive it: our death takes init (namespaces) or PRoot's tracees down too.
            _sys.prctl(_sys.PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:  # the caller died before prctl took effect
                os._exit(137)
            os.close(rfd)
            _install_stdio(*stdio)
            close_fds(keep=(0, 1, 2, wfd))
            code = child(Reporter(wfd))
        except BaseException as exc:
            try:
                Reporter(wfd).send(f"error {exc}")
            except BaseException:
                pass
        os._exit(code)
    os.close(wfd)
    return pid, rfd


@dataclass
class Report:
    """What the children said: the exit code, a setup error, and other lines (``created``)."""

    code: int = 125
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def raise_error(self) -> None:
        if self.error is not None:
            raise RuntimeBackendError(self.error)


def wait_report(pid: int, rfd: int, on_start: OnStart | None) -> Report:
    """Read the child's report until EOF, call on_start on "ready", then reap the child.

    Any exception on the way (KeyboardInterrupt in a kernel, a failing on_start) kills the
    child instead of waiting for it: an interrupted caller must not block on a container
    that may never end, and the child's death tears the container down (PDEATHSIG).
    """
    report = Report()
    host_pid = pid
    try:
        with os.fdopen(rfd, "rb") as pipe:
            for raw in pipe:
                kind, _, rest = raw.decode(errors="replace").rstrip("\n").partition(" ")
                if kind == "pid":
                    host_pid = int(rest)
                elif kind == "ready" and on_start is not None:
                    on_start(host_pid)
                elif kind == "error":
                    report.error = rest
                else:
                    report.notes.append(f"{kind} {rest}")
        _, status = os.waitpid(pid, 0)
    except BaseException:
        kill_and_reap(pid)
        raise
    report.code = exit_code(status)
    return report


def kill_and_reap(pid: int) -> None:
    """SIGKILL our child and collect it, so no zombie is left in the caller's process."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def supervise(child_pid: int, forward_to: Callable[[], int | None] | None = None) -> int:
    """Wait for ``child_pid`` while forwarding the usual signals; return its Docker exit code.

    ``forward_to`` picks the target at signal time (PRoot's tracee appears only later).
    """

    def forward(signum: int, _frame: object) -> None:
        target = forward_to() if forward_to is not None else child_pid
        if target:
            try:
                os.kill(target, signum)
            except ProcessLookupError:
                pass

    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, forward)
    _, status = os.waitpid(child_pid, 0)  # PEP 475: retried after each handler runs
    return exit_code(status)
