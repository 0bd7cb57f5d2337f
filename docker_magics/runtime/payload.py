"""The last steps before the container's command runs, shared by every backend.

These functions run in a forked child *after* the root has been switched, so they must not
import anything lazily (the host's Python library is no longer reachable) and must never
return into the caller's code: every path ends in ``execve`` or ``os._exit``.
"""

from __future__ import annotations

import os
import signal
import stat

from . import seccomp
from .paths import contain
from .spec import DEFAULT_PATH, ProcessSpec

__all__ = [
    "FORWARDED_SIGNALS",
    "container_env",
    "passwd_home",
    "resolve_command",
    "exec_payload",
    "reset_signals",
    "close_fds",
    "exit_code",
]

# The signals docker-init/tini forward to the payload; the rest keep their default action.
FORWARDED_SIGNALS = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)


def exit_code(status: int) -> int:
    """A wait status as Docker reports it: the exit code, or 128+N when killed by signal N."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def passwd_home(passwd_path: str, uid: int) -> str:
    """HOME for ``uid`` from the container's /etc/passwd; "/" when unknown, like runc."""
    try:
        with open(passwd_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split(":")
                if len(parts) >= 6 and parts[2] == str(uid):
                    return parts[5] or "/"
    except OSError:
        pass
    return "/root" if uid == 0 else "/"


def container_env(proc: ProcessSpec, passwd_path: str) -> list[str]:
    """The payload's environment: the given one plus the defaults Docker adds when missing."""
    env = list(proc.env)
    keys = {item.split("=", 1)[0] for item in env}
    if "PATH" not in keys:
        env.append(f"PATH={DEFAULT_PATH}")
    if "HOSTNAME" not in keys:
        env.append(f"HOSTNAME={proc.hostname}")
    if "HOME" not in keys:
        env.append(f"HOME={passwd_home(passwd_path, proc.uid)}")
    return env


def resolve_command(name: str, env: list[str], root: str = "/") -> tuple[str | None, int, str]:
    """Find argv[0] like runc (Go's exec.LookPath): returns (path, exit code, message).

    ``root`` lets PRoot resolve inside a directory from the host; the returned path is then
    relative to that root (a container path).
    """
    if "/" in name:
        host = contain(root, name) if root != "/" else name
        if not os.path.exists(host):
            return None, 127, f'exec: "{name}": stat {name}: no such file or directory'
        if os.path.isdir(host) or not os.access(host, os.X_OK):
            return None, 126, f'exec: "{name}": permission denied'
        return name, 0, ""
    path = next((e[5:] for e in env if e.startswith("PATH=")), DEFAULT_PATH)
    for entry in path.split(":"):
        candidate = os.path.join(entry or ".", name)
        host = contain(root, candidate) if root != "/" else candidate
        try:
            st = os.stat(host)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and os.access(host, os.X_OK):
            return candidate, 0, ""
    return None, 127, f'exec: "{name}": executable file not found in $PATH'


def reset_signals() -> None:
    """Undo what Python and our init changed: masks and ignored signals survive execve."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for sig in (*FORWARDED_SIGNALS, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)


def close_fds(keep: tuple[int, ...] = (0, 1, 2)) -> None:
    """Close every fd not in ``keep``: nothing of the host (kernel sockets, locks) may leak."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the directory fd listdir used is already gone


def _fail(code: int, message: str) -> None:
    try:
        os.write(2, f"docker-magics: {message}\n".encode())
    finally:
        os._exit(code)


def exec_payload(proc: ProcessSpec, *, drop_ids: bool, fake_root: bool = False) -> None:
    """chdir, drop ids, optionally install the fake-root filter, then exec argv. Never returns."""
    try:
        env = container_env(proc, "/etc/passwd")
        os.chdir(proc.cwd)
        if drop_ids:
            os.setgroups([])
            os.setgid(proc.gid)
            os.setuid(proc.uid)
        reset_signals()
        close_fds()
        if fake_root:
            seccomp.install_fake_root_filter()
        path, code, message = resolve_command(proc.argv[0], env)
        if path is None:
            _fail(code, message)
            return
        os.execve(path, list(proc.argv), dict(e.split("=", 1) for e in env if "=" in e))
    except OSError as exc:
        code = 126 if exc.errno in (13, 8) else 127 if exc.errno == 2 else 125
        _fail(code, f'exec: "{proc.argv[0]}": {exc.strerror}')
    except BaseException as exc:  # never fall back into the caller's stack
        _fail(125, f"cannot start {proc.argv[0]!r}: {exc}")
    os._exit(125)
