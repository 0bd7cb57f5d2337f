"""A user-space port forwarder: host port -> a port on a container's (or the host's) loopback.

Rootless podman's ``rootlessport`` is the model: listening sockets are bound by the caller in
the host's network namespace (so "port already in use" is an error before the container starts)
and handed to this process as inherited fds; for each accepted connection it opens a socket in
the *container's* network namespace and connects to 127.0.0.1:CONTAINER_PORT, then copies bytes
both ways. It joins the container's namespaces with setns (user namespace first when the
container has its own: CAP_SYS_ADMIN over the net namespace is needed, and the caller, as its
owner, gets it there). Without ``--pid`` it connects on the host's own loopback (containers
sharing the host's network, where HOST != CONTAINER needs a hop).

Run as ``python -m docker_magics.runtime.portfwd [--pid PID] FD:PORT ...``; it ends when its
parent (the process running the container) dies, or on SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading

from . import _sys
from .network import join_netns

__all__ = ["main"]


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass


def _serve(listener: socket.socket, port: int) -> None:
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()  # nothing listens in the container (yet): the client sees a reset
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="portfwd")
    ap.add_argument("--pid", type=int, help="enter this process's network namespace")
    ap.add_argument("pairs", nargs="+", metavar="FD:PORT")
    args = ap.parse_args(argv)
    parent = os.getppid()
    _sys.prctl(_sys.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        return
    listeners = []
    for pair in args.pairs:
        fd, _, port = pair.partition(":")
        listeners.append((socket.socket(fileno=int(fd)), int(port)))
    if args.pid:
        join_netns(args.pid)  # before any thread: setns(user) refuses multithreaded callers
    # Blocked before the threads start, so they inherit the mask and sigwait gets the signal.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    for listener, port in listeners:
        threading.Thread(target=_serve, args=(listener, port), daemon=True).start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


if __name__ == "__main__":
    main()
