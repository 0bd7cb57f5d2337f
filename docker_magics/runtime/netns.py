"""The holder of a shared network namespace: a user network's "pod", kept while members run.

Rootless podman keeps a pod's namespaces alive with an infra ("pause") process; this is ours.
Run as ``python -m docker_magics.runtime.netns --members FILE --record FILE [--userns]
[--join PID]``, detached from its caller (it outlives a kernel or a CLI). It forks a *pin*:

    holder (host's namespaces) --fork--> pin: unshare(NEWNET[|NEWUSER]), lo up, sleeps

Containers join the pin's namespaces (``ProcessSpec.netns_pid``). The holder stays in the host's
network namespace, where ``slirp4netns`` must run to give the namespace outbound traffic
(tap0 10.0.2.100, gateway 10.0.2.2 = the host's loopback, DNS 10.0.2.3), as rootless podman
does; without slirp4netns, or without access to /dev/net/tun, the namespace has loopback only
and the first line says why. ``--join PID`` adopts the namespaces of a running member when an
earlier holder was killed.

Lifetime: every member's caller holds a shared flock on FILE while its container runs; the
holder waits for the exclusive lock, i.e. for the last member to end, then removes FILE and
its RECORD (if it still names this holder) under ``<dir>/netns.lock`` and exits, killing the
pin and slirp4netns. Killed itself, the pin dies with it (PDEATHSIG) and slirp4netns sees its
exit fd close.

First line on stdout: ``ready PIN_PID outbound`` or ``ready PIN_PID none REASON`` or
``error REASON``.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

from . import _sys
from .network import join_netns, loopback_up

__all__ = ["main", "SLIRP_GATEWAY", "SLIRP_DNS", "outbound_problem"]

SLIRP_GATEWAY = "10.0.2.2"
SLIRP_DNS = "10.0.2.3"


def outbound_problem() -> str | None:
    """Why a namespace here would get no outbound network, or None when slirp4netns can run."""
    if not shutil.which("slirp4netns"):
        return "slirp4netns is not installed (apt-get install slirp4netns)"
    if not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        return "/dev/net/tun is not readable and writable by this user (slirp4netns needs it)"
    return None


def _pin(args: argparse.Namespace, parent: int, ready_w: int) -> None:
    """The pin's body: make (or join) the namespaces, say so, then sleep until killed."""
    _sys.prctl(_sys.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
    try:
        if args.join:
            join_netns(args.join)
        else:
            uid, gid = os.geteuid(), os.getegid()
            _sys.unshare(_sys.CLONE_NEWNET | (_sys.CLONE_NEWUSER if args.userns else 0))
            if args.userns:
                from .namespaces import write_id_maps

                write_id_maps(uid, gid)
            loopback_up()
        os.write(ready_w, b"ok\n")
    except BaseException as exc:
        os.write(ready_w, f"{exc}\n".encode())
        os._exit(1)
    os.close(ready_w)
    while True:
        signal.pause()


def _start_slirp(
    pin: int, userns: bool, log: str
) -> tuple[subprocess.Popen[bytes] | None, int, str]:
    """slirp4netns on the pin's namespace: (process, its exit fd's write end, problem).
    Its messages go to ``log`` (a pipe nobody reads could fill up and stall it)."""
    problem = outbound_problem()
    if problem:
        return None, -1, problem
    ready_r, ready_w = os.pipe()
    exit_r, exit_w = os.pipe2(os.O_CLOEXEC)
    cmd = ["slirp4netns", "--configure", "--mtu=65520"]
    cmd += [f"--ready-fd={ready_w}", f"--exit-fd={exit_r}"]
    if userns:
        cmd.append(f"--userns-path=/proc/{pin}/ns/user")
    cmd += [str(pin), "tap0"]
    os.set_inheritable(exit_r, True)
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            cmd,
            pass_fds=(ready_w, exit_r),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    os.close(ready_w)
    os.close(exit_r)
    ok = select.select([ready_r], [], [], 5.0)[0] and os.read(ready_r, 1) == b"1"
    os.close(ready_r)
    if ok:
        return proc, exit_w, ""
    proc.kill()
    proc.wait()
    os.close(exit_w)
    with open(log, errors="replace") as fh:
        said = fh.read().strip().splitlines()
    return None, -1, f"slirp4netns did not start: {said[-1] if said else 'no output'}"


def _wait_for_last_member(members: int, lock: int, record: str) -> None:
    """Return once no member holds the shared lock, with the record removed under the lock."""
    while True:
        fcntl.flock(members, fcntl.LOCK_EX)
        try:
            # Never block on the store's lock while holding ours: a member joining holds the
            # store's lock and waits for the shared lock on FILE (see engine/netpods.py).
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(members, fcntl.LOCK_UN)
            time.sleep(0.05)
            continue
        try:
            with open(record) as fh:
                mine = json.load(fh).get("holder") == os.getpid()
        except (OSError, ValueError):
            mine = False
        if mine:
            os.unlink(record)
        return  # both locks are released when this process exits


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="netns")
    ap.add_argument("--members", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--userns", action="store_true")
    ap.add_argument("--join", type=int)
    args = ap.parse_args(argv)
    # Detached for good: the caller reaps this first process at once (no zombie in a kernel)
    # and the holder, reparented, outlives the caller.
    if os.fork():
        os._exit(0)
    os.setsid()
    os.chdir("/")  # hold no directory of the caller's
    members = os.open(args.members, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    # Opened now: a store deleted under running containers must not keep this holder alive.
    lock_path = os.path.join(os.path.dirname(args.record), "netns.lock")
    lock = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    ready_r, ready_w = os.pipe()
    pin = os.fork()
    if pin == 0:
        os.close(ready_r)
        _pin(args, os.getppid(), ready_w)
    os.close(ready_w)
    with os.fdopen(ready_r) as fh:
        said = fh.readline().strip()
    if said != "ok":
        print(f"error cannot make a network namespace: {said or 'no reason given'}", flush=True)
        os.kill(pin, signal.SIGKILL)
        os.waitpid(pin, 0)
        os.unlink(args.members)
        sys.exit(1)
    own_userns = os.stat(f"/proc/{pin}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino
    log = args.record[: -len(".json")] + ".slirp.log"
    slirp, exit_w, problem = _start_slirp(pin, own_userns, log)
    print(f"ready {pin} " + ("outbound" if slirp else f"none {problem}"), flush=True)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)  # the caller reads only the first line; then nothing is held
    try:
        _wait_for_last_member(members, lock, args.record)
    finally:
        os.kill(pin, signal.SIGKILL)
        os.waitpid(pin, 0)
        if slirp is not None:
            os.close(exit_w)  # slirp4netns polls this fd and exits
            try:
                slirp.wait(5)
            except subprocess.TimeoutExpired:
                slirp.kill()
                slirp.wait()
        for path in (args.members, log):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


if __name__ == "__main__":
    main()
