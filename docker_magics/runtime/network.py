"""Network modes of a container: the host's network, or none at all.

There is no daemon to own a bridge, so the only modes are Docker's ``host`` and ``none``
(BuildKit's ``RUN --network=default`` is the host's network here, as with ``buildah
--isolation chroot``). ``none`` is a fresh network namespace whose only interface, ``lo``, is
brought up, as Docker does: 127.0.0.1 works inside, nothing outside is reachable. PRoot cannot
make a namespace; there ``none`` is a seccomp filter refusing IPv4, IPv6 and packet sockets
(see ``seccomp.build_no_inet_filter``), so loopback is refused too.
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct

from . import _sys

__all__ = ["NETWORK_MODES", "OWN_NETNS", "check_mode", "loopback_up", "join_netns"]

NETWORK_MODES = ("host", "none")
# Modes with a network namespace of their own (namespace backends only). "private" is not a
# user-facing mode: lo only, its ports reached through a forwarder. The engine now gives such
# containers (and user networks) a namespace held by ``netns`` instead (ProcessSpec.netns_pid,
# which wins over the mode), so that slirp4netns can be attached before the payload runs.
OWN_NETNS = ("none", "private")
_ALIASES = {"default": "host"}  # BuildKit's name for "whatever the builder gives"

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
# struct ifreq: a 16-byte name, then a union whose first member here is `short ifr_flags`.
_IFREQ = "16sH22x"


def check_mode(mode: str) -> str:
    """The canonical mode for ``mode``, or ValueError saying what is accepted."""
    mode = _ALIASES.get(mode, mode)
    if mode in NETWORK_MODES:
        return mode
    if mode == "bridge":
        raise ValueError(
            "network 'bridge' needs a daemon that owns a bridge; docker-magics has none: use "
            "--network host (the default, the host's network) or --network none"
        )
    raise ValueError(f"unsupported network {mode!r}: use host (the default) or none")


def loopback_up() -> None:
    """Set IFF_UP on ``lo`` in the caller's network namespace (needs CAP_NET_ADMIN there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        raw = fcntl.ioctl(s.fileno(), _SIOCGIFFLAGS, struct.pack(_IFREQ, b"lo", 0))
        flags = struct.unpack(_IFREQ, raw)[1]
        fcntl.ioctl(s.fileno(), _SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | _IFF_UP))


def join_netns(pid: int) -> bool:
    """setns into ``pid``'s user namespace (when it is not ours: CAP_SYS_ADMIN over the network
    namespace is needed, and its owner gets it there) and network namespace. Returns whether a
    user namespace was joined. The caller must be single-threaded (setns(user) refuses else)."""
    joined = False
    for ns in ("user", "net"):
        target = f"/proc/{pid}/ns/{ns}"
        if os.stat(target).st_ino == os.stat(f"/proc/self/ns/{ns}").st_ino:
            continue
        fd = os.open(target, os.O_RDONLY)
        try:
            _sys.setns(fd)
        finally:
            os.close(fd)
        joined = joined or ns == "user"
    return joined
