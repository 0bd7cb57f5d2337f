"""Find out which backends work here by trying them, and pick one.

Every rung is *done* in a forked child, never inferred from sysctls: inside
``bwrap --disable-userns`` ``user.max_user_namespaces`` still reads 2147483647 while
creating one fails with ENOSPC, and AppArmor or seccomp can deny a step after the
namespace exists. The reasons are kept so ``info`` can say why a mode is unavailable.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ..errors import RuntimeBackendError
from . import _sys
from .base import Backend, Reporter, spawn, wait_report
from .namespaces import NamespaceBackend, write_id_maps
from .proot import PRootBackend, find_proot, proot_env

__all__ = ["BackendStatus", "ProbeReport", "BACKEND_ORDER", "COST", "probe", "select"]

BACKEND_ORDER = ("root", "userns", "proot")
ENV_VAR = "DOCKER_MAGICS_RUNTIME"
_CACHE: dict[int, ProbeReport] = {}
# What a backend costs against the namespace ones, for `info` and the notebook's first note.
# Measured (issue 17): a build with file-heavy RUN steps, six containers and a commit on a Debian
# image took 4.2 s as root and 73.9 s under PRoot in a simulated Binder pod.
COST = {
    "proot": "PRoot (no namespace with mounts can be made here): every process runs under "
    "ptrace and each container starts from a copy of its image, so file-heavy steps "
    "(npm install, apt-get) run about 18x slower than with namespaces",
}


@dataclass(frozen=True)
class BackendStatus:
    name: str
    ok: bool
    reason: str
    overlay: bool = False
    overlay_reason: str = ""


@dataclass(frozen=True)
class ProbeReport:
    """Per backend: usable or not and why; ``chosen``/``overlay`` describe the default pick."""

    statuses: tuple[BackendStatus, ...]

    def __getitem__(self, name: str) -> BackendStatus:
        for status in self.statuses:
            if status.name == name:
                return status
        raise KeyError(name)

    @property
    def chosen(self) -> str | None:
        return next((s.name for s in self.statuses if s.ok), None)

    @property
    def overlay(self) -> bool:
        return self.chosen is not None and self[self.chosen].overlay

    def __str__(self) -> str:
        lines = []
        for s in self.statuses:
            mark = "ok" if s.ok else "unavailable"
            extra = f" (overlay: {'yes' if s.overlay else 'no'})" if s.ok else ""
            lines.append(f"{s.name:7} {mark}{extra}: {s.reason}")
        return "\n".join(lines)


def _try_overlay(rep: Reporter, *, userxattr: bool) -> None:
    """Mount a tiny overlay and check a write lands in the upper dir; report the outcome."""
    base = tempfile.mkdtemp(prefix="docker-magics-probe-")
    try:
        dirs = {n: os.path.join(base, n) for n in ("lower", "upper", "work", "mnt")}
        for d in dirs.values():
            os.mkdir(d)
        opts = f"lowerdir={dirs['lower']},upperdir={dirs['upper']},workdir={dirs['work']}"
        opts += ",userxattr" if userxattr else ",redirect_dir=off,metacopy=off"
        _sys.mount("overlay", dirs["mnt"], "overlay", 0, opts)
        open(os.path.join(dirs["mnt"], "probe"), "w").close()
        _sys.umount2(dirs["mnt"])
        ok = os.path.exists(os.path.join(dirs["upper"], "probe"))
        rep.send("overlay ok" if ok else "overlay-no write did not reach the upper dir")
    except OSError as exc:
        rep.send(f"overlay-no {exc}")
    finally:
        for root, subdirs, _files in os.walk(base):
            for d in subdirs:  # overlay leaves work/work with mode 000
                os.chmod(os.path.join(root, d), 0o700)
        shutil.rmtree(base, ignore_errors=True)


def _step(rep: Reporter, name: str, fn: Callable[..., object], *args: object) -> None:
    """Do one rung of a probe; report "step NAME ok", or fail naming the rung and its errno."""
    try:
        fn(*args)
    except OSError as exc:
        code = errno.errorcode.get(exc.errno or 0, "error")
        raise RuntimeBackendError(f"{name}: {code} ({os.strerror(exc.errno or 0)})") from None
    rep.send(f"step {name} ok")


def _probe_root(rep: Reporter) -> int:
    if os.geteuid() != 0:
        raise RuntimeBackendError(f"not running as root (euid {os.geteuid()})")
    ns = _sys.CLONE_NEWNS | _sys.CLONE_NEWPID | _sys.CLONE_NEWUTS | _sys.CLONE_NEWIPC
    _step(rep, "unshare(mount+pid+uts+ipc)", _sys.unshare, ns)
    _step(rep, "mount / private", _sys.mount, None, "/", None, _sys.MS_REC | _sys.MS_PRIVATE)
    _try_overlay(rep, userxattr=False)
    return 0


def _probe_userns(rep: Reporter) -> int:
    uid, gid = os.geteuid(), os.getegid()
    flags = _sys.CLONE_NEWUSER | _sys.CLONE_NEWNS | _sys.CLONE_NEWPID
    _step(
        rep,
        "unshare(user+mount+pid+uts+ipc)",
        _sys.unshare,
        flags | _sys.CLONE_NEWUTS | _sys.CLONE_NEWIPC,
    )
    _step(rep, "uid_map/gid_map", write_id_maps, uid, gid)
    _step(rep, "mount / private", _sys.mount, None, "/", None, _sys.MS_REC | _sys.MS_PRIVATE)
    _try_overlay(rep, userxattr=True)
    return 0


def _run_probe(fn: Callable[[Reporter], int], name: str) -> BackendStatus:
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        pid, rfd = spawn(fn, (devnull, devnull, devnull))
        report = wait_report(pid, rfd, None)
    finally:
        os.close(devnull)
    steps = [n[len("step ") :] for n in report.notes if n.startswith("step ")]
    if report.error is not None:  # the rungs that worked, then the one that failed
        return BackendStatus(name, False, "; ".join([*steps, report.error]))
    overlay = "overlay ok" in report.notes
    why = next((n[len("overlay-no ") :] for n in report.notes if n.startswith("overlay-no ")), "")
    return BackendStatus(name, True, "namespaces and mounts work", overlay, why)


def _probe_proot() -> BackendStatus:
    try:
        proot = find_proot()
    except RuntimeBackendError as exc:
        return BackendStatus("proot", False, str(exc))
    true = shutil.which("true") or "/bin/true"
    try:
        done = subprocess.run(
            [proot, "-0", "-r", "/", true],
            env=dict(e.split("=", 1) for e in proot_env(["PATH=/usr/bin:/bin"])),
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return BackendStatus("proot", False, f"proot does not run: {exc}")
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        return BackendStatus("proot", False, f"proot failed ({done.returncode}): {tail[0]}")
    return BackendStatus("proot", True, "ptrace works", False, "proot only runs directories")


def _context() -> str:
    """What the answers depend on: who we are, which boot, which user namespace, which proot."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            boot = fh.read().strip()
        userns = os.stat("/proc/self/ns/user").st_ino
    except OSError:
        return ""
    proot = find_proot() or ""
    return f"{os.geteuid()}:{os.getegid()}:{boot}:{userns}:{proot}"


def _load(path: str, context: str) -> ProbeReport | None:
    try:
        with open(path) as fh:
            data = json.load(fh)
        if data.get("context") != context:
            return None
        return ProbeReport(tuple(BackendStatus(**s) for s in data["statuses"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _save(path: str, context: str, report: ProbeReport) -> None:
    body = {"context": context, "statuses": [asdict(s) for s in report.statuses]}
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w") as fh:
            json.dump(body, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache only


def probe(*, refresh: bool = False, cache_path: str | None = None) -> ProbeReport:
    """Try every backend (cached per process; forked children never share the cache).

    With ``cache_path`` the answers are also kept on disk for as long as the same user, boot,
    user namespace and proot binary hold, so a CLI command does not pay ~30 ms of probing.
    """
    pid = os.getpid()
    if refresh or pid not in _CACHE:
        context = _context() if cache_path else ""
        cached = _load(cache_path, context) if cache_path and context and not refresh else None
        _CACHE[pid] = cached or ProbeReport(
            (_run_probe(_probe_root, "root"), _run_probe(_probe_userns, "userns"), _probe_proot())
        )
        if cache_path and context and cached is None:
            _save(cache_path, context, _CACHE[pid])
    return _CACHE[pid]


def select(name: str | None = None, *, cache_path: str | None = None) -> Backend:
    """The backend to use: ``name``, else $DOCKER_MAGICS_RUNTIME, else root > userns > proot."""
    name = name or os.environ.get(ENV_VAR) or None
    if name is not None and name not in BACKEND_ORDER:
        raise RuntimeBackendError(
            f"unknown runtime {name!r}; choose one of {', '.join(BACKEND_ORDER)}"
        )
    report = probe(cache_path=cache_path)
    chosen = name or report.chosen
    if chosen is None:
        raise RuntimeBackendError("no runtime backend works here:\n" + str(report))
    status = report[chosen]
    if not status.ok:
        raise RuntimeBackendError(f"runtime {chosen!r} is unavailable: {status.reason}")
    if chosen == "proot":
        return PRootBackend()
    return NamespaceBackend(userns=chosen == "userns", supports_overlay=status.overlay)
