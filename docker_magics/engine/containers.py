"""Container verbs: create, start (foreground), exec, stop, rm."""

from __future__ import annotations

import errno
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import (
    ConflictError,
    DockerMagicsError,
    Interrupted,
    NotFoundError,
    RuntimeBackendError,
)
from ..layer.extract import safe_rmtree
from ..oci.digest import chain_ids
from ..phases import phase
from ..snapshot.prepare import (
    RootfsPlan,
    plan_for,
)
from ..snapshot.ready import keep_finished
from ..store.containers import Container
from ..store.store import Store
from .create import create_container
from .logfile import STDERR, STDOUT, CappedLog
from .mountspec import parse_volume_flag, runtime_binds
from .netpods import Membership, join_pod, needs_pod
from .networks import networks_of, refresh_hosts, write_hosts, write_resolv_conf
from .options import RunOptions, Sink
from .passwd import resolve_user
from .publish import Publisher

if TYPE_CHECKING:  # the runtime is imported on first use: listing images should not pay for it
    from ..runtime import Backend, ProcessSpec, RootfsSpec

__all__ = [
    "RunOptions",
    "create_container",
    "start_container",
    "stop_container",
    "remove_container",
    "Sink",
    "backend_for",
    "ContainerTimeout",
]


def backend_for(runtime: str | None, store: Store | None = None) -> Backend:
    from ..runtime import select

    cache = os.path.join(store.root, "runtime-probe.json") if store is not None else None
    return select(runtime, cache_path=cache)


def plan_of(store: Store, c: Container) -> RootfsPlan:
    image = store.images.load(c.manifest_digest)
    return plan_for(store.containers.dir(c.id), c.rootfs_mode, store, image)


def process_specs(
    store: Store,
    c: Container,
    argv: list[str] | None = None,
    env: list[str] | None = None,
    workdir: str | None = None,
    user: str | None = None,
    pod: Membership | None = None,
) -> tuple[RootfsSpec, ProcessSpec]:
    from ..runtime import ProcessSpec, RootfsSpec

    plan = plan_of(store, c)
    cfg = c.config
    uid, gid, home = resolve_user(plan, user if user is not None else cfg.get("User") or "")
    environ = list(cfg.get("Env") or [])
    if not any(e.startswith("HOME=") for e in environ):
        environ.append(f"HOME={home}")
    environ += env or []
    # Records written before volumes existed hold only Docker's Binds strings (all binds).
    mounts = cfg.get("Mounts") or [parse_volume_flag(b) for b in cfg.get("Binds") or []]
    binds = runtime_binds(store.containers.dir(c.id), mounts)
    if cfg.get("Network") or cfg.get("ExtraNetworks") or cfg.get("ExtraHosts"):
        binds.append((write_hosts(store, c), "/etc/hosts", False))
    if pod is not None and pod.outbound is None:
        binds.append((write_resolv_conf(store, c), "/etc/resolv.conf", False))
    rootfs = RootfsSpec(
        lowerdirs=plan.lowerdirs,
        upperdir=plan.upperdir,
        workdir=plan.workdir,
        directory=plan.directory,
        mountpoint=plan.mountpoint,
    )
    proc = ProcessSpec(
        argv=tuple(argv or c.argv),
        env=tuple(environ),
        cwd=workdir or cfg.get("WorkingDir") or "/",
        uid=uid,
        gid=gid,
        hostname=cfg.get("Hostname") or c.id[:12],
        binds=tuple(binds),
        network=_runtime_network(cfg.get("NetworkMode") or "host"),
        netns_pid=pod.pin if pod is not None else None,
    )
    return rootfs, proc


def _runtime_network(mode: str) -> str:
    # "bridge" is Docker's name; the runtime's is "private": lo only, ports forwarded in.
    # User networks share the host's network unless a pod is joined (see netpods.py).
    return {"bridge": "private", "none": "none"}.get(mode, "host")


def _pump(fd: int, stream: int, log: CappedLog, sink: Sink | None, lock: threading.Lock) -> None:
    with os.fdopen(fd, "rb", buffering=0) as src:
        while chunk := src.read(65536):
            with lock:
                log.write(chunk, stream)
                log.flush()
            if sink is not None:
                sink(chunk)


def run_piped(
    run: Callable[[int, int], int], log_path: str, out: Sink | None, err: Sink | None
) -> int:
    """Run with stdout/stderr through pipes so output is both logged and streamed live."""
    r_out, w_out = os.pipe()
    r_err, w_err = os.pipe()
    lock = threading.Lock()
    with CappedLog(log_path) as log:
        threads = [
            threading.Thread(target=_pump, args=(r, n, log, s, lock), daemon=True)
            for r, n, s in ((r_out, STDOUT, out), (r_err, STDERR, err))
        ]
        for t in threads:
            t.start()
        interrupted = True
        try:
            code = run(w_out, w_err)
            interrupted = False
        finally:
            os.close(w_out)
            os.close(w_err)
            # After an interrupt the container is being killed; a process that escaped it
            # could hold the pipe open forever, and the caller must not hang on it.
            for t in threads:
                t.join(5.0 if interrupted else None)
    return code


def start_container(
    store: Store,
    c: Container,
    backend: Backend,
    *,
    out: Sink | None,
    err: Sink | None,
    stdin: int | None = None,
    timeout: float | None = None,
    restart_policy: bool = False,
) -> int:
    """Run the container in the foreground; returns its exit code.

    ``restart_policy`` (a detached container's monitor): the exit is recorded as "restarting"
    when the policy will restart it, in the same write, so nobody sees it exited in between.

    ``timeout``: SIGKILL it after that many seconds (its outermost process: the namespace
    backends' init takes the PID namespace with it, PRoot's supervisor all its tracees);
    ``ContainerTimeout`` is raised then.
    """
    if c.state == "running" and _alive(c.pid):
        raise ConflictError(f"container {c.name} is already running")
    publisher = Publisher(store, c, own_netns=needs_pod(c, backend.name))
    publisher.prepare()
    pod: Membership | None = None
    try:
        if publisher.own_netns:  # the namespace of its network, or of its own
            pod = join_pod(store, c, userns=backend.name == "userns")
        rootfs, proc = process_specs(store, c, pod=pod)
    except BaseException:
        _release(publisher, pod)
        raise
    log_path = os.path.join(store.containers.dir(c.id), "log")
    timers: list[threading.Timer] = []

    def started(pid: int) -> None:
        store.containers.update(
            c.id,
            state="running",
            pid=pid,
            started=time.time(),
            exit_code=None,
            writer=_process_key(os.getpid()),
        )
        publisher.started(pid)
        if timeout is not None:
            timer = threading.Timer(timeout, kill_quietly, (pid,))
            timer.daemon = True
            timers.append(timer)
            timer.start()

    def run(w_out: int, w_err: int) -> int:
        return backend.run(
            rootfs,
            proc,
            stdin=stdin if stdin is not None else devnull_fd(),
            stdout=w_out,
            stderr=w_err,
            on_start=started,
        )

    try:
        with phase("process"):
            code = run_piped(run, log_path, out, err)
    except KeyboardInterrupt as exc:
        # Docker's code for a process ended by SIGINT: the container was stopped on purpose.
        store.containers.update(c.id, state="exited", pid=None, exit_code=130, finished=time.time())
        raise Interrupted(f"container {c.name} stopped (exit code 130)") from exc
    except BaseException:
        store.containers.update(c.id, state="exited", pid=None, exit_code=-1, finished=time.time())
        raise
    finally:
        _release(publisher, pod)
        for timer in timers:
            timer.cancel()
    if restart_policy:
        from .restart import record_exit

        record_exit(store, c.id, code)
    else:
        store.containers.update(
            c.id, state="exited", pid=None, exit_code=code, finished=time.time()
        )
    if timers and timers[0].finished.is_set() and code == 128 + signal.SIGKILL:
        raise ContainerTimeout(f"container {c.name} was killed after {timeout:g} s", code)
    return code


def _release(publisher: Publisher, pod: Membership | None) -> None:
    publisher.close()
    if pod is not None:
        pod.close()  # the network's holder may end now, if this was its last member


class ContainerTimeout(RuntimeBackendError):
    """A foreground run outlived its ``timeout`` and was killed (exit code 137)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


def kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


_DEVNULL: list[int] = []


def devnull_fd() -> int:
    if not _DEVNULL:
        _DEVNULL.append(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
    return _DEVNULL[0]


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _process_key(pid: int) -> str | None:
    """``pid:start time`` of a live process (None once it ended, a zombie too): names one
    process, where a pid alone may name the next one to get that number."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in "ZX" else f"{pid}:{fields[19]}"


def _writer_alive(c: Container) -> bool:
    if not c.writer:
        return False
    return _process_key(int(c.writer.split(":", 1)[0])) == c.writer


# How long a living writer gets to record the exit code of a container that has ended; a writer
# that takes longer is taken to be stuck. Without a writer record (older records), one second.
WRITER_GRACE = 10.0


def refresh(store: Store, c: Container) -> Container:
    """A record that says running while its process is gone (a crash) is marked exited.

    A process that has just ended normally is gone a moment before whoever started it (the
    record's writer: a kernel, a CLI, a detached container's monitor) writes its exit code,
    and on a loaded machine that moment can last seconds: while the writer lives it is waited
    for, so `stop` and `wait` report the container's own exit code, not a crash's 137.
    A record "restarting" whose monitor is gone (killed) is exited too."""
    if c.state == "restarting" and not _alive(c.monitor_pid):
        return store.containers.update(c.id, state="exited", pid=None)
    if c.state == "running" and not _alive(c.pid):
        deadline = time.monotonic() + (WRITER_GRACE if _writer_alive(c) else 1.0)
        while time.monotonic() < deadline:
            try:
                now = store.containers.load(c.id)
            except NotFoundError:
                return c
            if now.state != "running" or now.pid != c.pid:
                return now
            if c.writer and not _writer_alive(c):
                deadline = min(deadline, time.monotonic() + 0.1)  # one last look, then a crash
            time.sleep(0.02)
        try:
            return store.containers.update(
                c.id,
                only_if={"state": "running", "pid": c.pid},  # the writer may have just written
                state="exited",
                pid=None,
                exit_code=c.exit_code if c.exit_code is not None else 137,
            )
        except NotFoundError:
            return c
    return c


def mark_stopped(store: Store, c: Container) -> Container:
    """A stop or kill by the user: the restart policy must not bring the container back.
    One waiting to restart ends now (its monitor sees the mark and records it exited)."""
    if c.state not in ("running", "restarting"):
        return c
    c = store.containers.update(c.id, manually_stopped=True)
    deadline = time.monotonic() + 5.0
    while c.state == "restarting" and time.monotonic() < deadline:
        time.sleep(0.05)
        c = refresh(store, store.containers.load(c.id))
    return c


def stop_container(
    store: Store, c: Container, *, timeout: float = 10.0, sig: int = signal.SIGTERM
) -> Container:
    c = mark_stopped(store, refresh(store, c))
    c = refresh(store, c)
    if c.state != "running" or c.pid is None:
        return c
    try:
        os.kill(c.pid, sig)
    except ProcessLookupError:
        return refresh(store, c)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c = store.containers.load(c.id)
        if c.state != "running" or not _alive(c.pid):
            break
        time.sleep(0.05)
    else:
        if c.pid:
            try:
                os.kill(c.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for _ in range(100):
        c = refresh(store, store.containers.load(c.id))
        if c.state != "running":
            break
        time.sleep(0.05)
    return c


def remove_container(
    store: Store, name: str, *, force: bool = False, volumes: bool = False
) -> Container:
    """Remove a container; with ``volumes`` its anonymous volumes too (named ones stay)."""
    c = refresh(store, store.containers.resolve(name))
    if c.state in ("running", "restarting"):  # restarting: its monitor must not start it again
        if not force:
            raise ConflictError(
                f"container {c.name} is {c.state}: stop it first, or use rm -f to kill and "
                "remove it"
            )
        c = stop_container(store, c, timeout=0.0, sig=signal.SIGKILL)
    cdir = store.containers.dir(c.id)
    if c.rootfs_mode == "copy" and os.path.isdir(os.path.join(cdir, "rootfs")):
        with phase("keep"):  # kept for the next container (snapshot/ready.py), not deleted
            try:
                image = store.images.load(c.manifest_digest)
            except DockerMagicsError:
                image = None  # its image is gone: its layers' paths are unknown
            if image is not None and image.diff_ids:
                keep_finished(store, cdir, image.layers, chain_ids(list(image.diff_ids))[-1])
    _remove_dir(store, c.id)
    refresh_hosts(store, list(networks_of(c)))
    if volumes:
        from .volumes import remove_volume

        for m in c.config.get("Mounts") or []:
            if m.get("Type") == "volume" and m.get("Anonymous"):
                try:
                    remove_volume(store, m["Name"])
                except (NotFoundError, ConflictError):
                    pass  # gone already, or shared with another container: Docker keeps it
    return c


def _remove_dir(store: Store, cid: str) -> None:
    """Delete a container's directory while a detached container's monitor may still be
    finishing: its record update waits for the lock (then finds the container gone), and a last
    log write can still add a file while we delete, so "not empty" is retried."""
    from ..store.lock import locked

    with locked(store.containers.lock_path):
        for attempt in range(100):
            try:
                with phase("remove"):
                    safe_rmtree(store.containers.dir(cid))
                return
            except OSError as exc:
                if exc.errno != errno.ENOTEMPTY or attempt == 99:
                    raise
                time.sleep(0.02)


def check_backend_ok(backend: Backend) -> None:
    if backend is None:
        raise RuntimeBackendError("no runtime backend is available")
