"""Publishing a container's ports for one start: checks, listening sockets, the forwarder.

Before the container starts, every host port is checked against the other running containers
(a clash names the container holding the port) and bound here, so "already in use" is an error
before anything runs. Ports that need a hop (the container has its own network namespace, or
HOST != CONTAINER on the host's network) are handed to a ``runtime.portfwd`` process once the
container is up; on the host's network a port with HOST == CONTAINER is the app's own socket.
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys

from ..errors import ConflictError
from ..store.containers import Container
from ..store.store import Store
from .netpods import component, needs_pod
from .networks import networks_of
from .ports import Binding, bindings_of

__all__ = ["Publisher"]


def _holder(
    store: Store, c: Container, host_port: int, cport: int, shared: bool
) -> tuple[str, int, str] | None:
    """(name, port, why) of a running container already using ``host_port``, or ``cport``
    when both share the host's network (its app listens on that port of the host) or one
    network namespace (containers of linked user networks)."""
    pod = component(store, c) if not shared else set()
    for other in store.containers.all():
        if other.id == c.id or not _running(other):
            continue
        other_shared = not needs_pod(other, other.runtime)
        same_pod = not other_shared and bool(pod & set(networks_of(other)))
        for _ip, h, cp in bindings_of(other.config):
            if h == host_port:
                return other.name, h, ""
            if shared and other_shared and cport in (cp, h):
                return other.name, cport, " (containers share the host's network here)"
            if same_pod and cp == cport:
                why = " (containers of one network share one network namespace here)"
                return other.name, cport, why
    return None


def _running(c: Container) -> bool:
    if c.state != "running" or not c.pid:
        return False
    try:
        os.kill(c.pid, 0)
    except ProcessLookupError:
        return False  # a crashed container whose record was not updated yet
    except PermissionError:
        pass
    return True


class Publisher:
    def __init__(self, store: Store, c: Container, own_netns: bool | None = None) -> None:
        self.store = store
        self.c = c
        # A namespace of its own or its network's (root/userns), else the host's network.
        self.own_netns = needs_pod(c, c.runtime) if own_netns is None else own_netns
        self.bindings: list[Binding] = bindings_of(c.config)
        self.listeners: list[tuple[socket.socket, int]] = []
        self.helper: subprocess.Popen[bytes] | None = None

    def prepare(self) -> None:
        try:
            for ip, host, cport in self.bindings:
                self._check(ip, host, cport)
        except BaseException:
            self.close()
            raise

    def _check(self, ip: str, host: int, cport: int) -> None:
        shared = not self.own_netns
        holder = _holder(self.store, self.c, host, cport, shared)
        if holder is not None:
            name, port, why = holder
            raise ConflictError(
                f"port {port} is already taken by container {name}{why}: publish another "
                "host port, or stop that container"
            )
        s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip, host))
        except OSError as exc:
            s.close()
            if exc.errno == errno.EADDRINUSE:
                raise ConflictError(
                    f"cannot publish port {host}: it is already in use on this host by a "
                    "process that is not a container; choose another host port"
                ) from None
            raise ConflictError(f"cannot publish port {ip}:{host}: {exc.strerror}") from None
        if shared and host == cport:
            s.close()  # the app itself listens on this port of the host's network
            return
        s.listen(64)
        s.set_inheritable(True)
        self.listeners.append((s, cport))

    def started(self, pid: int) -> None:
        """Start the forwarder for the container whose init is ``pid``."""
        if not self.listeners:
            return
        cmd = [sys.executable, "-m", "docker_magics.runtime.portfwd"]
        if self.own_netns:
            cmd += ["--pid", str(pid)]
        cmd += [f"{s.fileno()}:{port}" for s, port in self.listeners]
        env = dict(os.environ)
        pkg_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pkg_parent, env.get("PYTHONPATH")]))
        with open(os.path.join(self.store.containers.dir(self.c.id), "portfwd.err"), "ab") as err:
            self.helper = subprocess.Popen(
                cmd,
                pass_fds=[s.fileno() for s, _ in self.listeners],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )
        self._close_listeners()

    def _close_listeners(self) -> None:
        for s, _ in self.listeners:
            s.close()
        self.listeners = []

    def close(self) -> None:
        self._close_listeners()
        if self.helper is not None:
            self.helper.terminate()
            try:
                self.helper.wait(5)
            except subprocess.TimeoutExpired:
                self.helper.kill()
                self.helper.wait()
            self.helper = None
