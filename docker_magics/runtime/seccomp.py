"""A seccomp filter that fakes success for ownership and identity changes (userns mode).

In a user namespace that maps a single id, ``chown 100:100 f`` fails with EINVAL and
``setuid(100)`` with EINVAL/EPERM, which breaks package managers (apt drops to ``_apt``,
dpkg chowns files). Like Charliecloud's seccomp mode, this filter makes those syscalls
return 0 without doing anything. It is lossy on purpose: the requested owner is not
recorded. ``mknod``/``mknodat`` are faked only for character and block devices, so FIFOs
and regular files are still really created.

The BPF program is assembled here by hand (``struct sock_filter``) because Python has no
libseccomp binding in the standard library. Syscalls of a foreign ABI (i386 or x32 on an
x86_64 host) are allowed untouched: the architecture check keeps the numbers honest.
"""

from __future__ import annotations

import ctypes
import socket
import stat
import struct

from . import _sys

__all__ = [
    "install_fake_root_filter",
    "install_enosys_filter",
    "build_filter",
    "build_enosys_filter",
    "install_no_inet_filter",
    "build_no_inet_filter",
    "FAKED_SYSCALLS",
]

# Syscall numbers per architecture: (AUDIT_ARCH, {name: nr}).
FAKED_SYSCALLS: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (
        0xC000003E,
        {
            "chown": 92,
            "fchown": 93,
            "lchown": 94,
            "fchownat": 260,
            "setuid": 105,
            "setgid": 106,
            "setreuid": 113,
            "setregid": 114,
            "setgroups": 116,
            "setresuid": 117,
            "setresgid": 119,
            "setfsuid": 122,
            "setfsgid": 123,
            "capset": 126,
            "mknod": 133,
            "mknodat": 259,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "fchownat": 54,
            "fchown": 55,
            "capset": 91,
            "setregid": 143,
            "setgid": 144,
            "setreuid": 145,
            "setuid": 146,
            "setresuid": 147,
            "setresgid": 149,
            "setfsuid": 151,
            "setfsgid": 152,
            "setgroups": 159,
            "mknodat": 33,
        },
    ),
}
_NR_SECCOMP = {"x86_64": 317, "aarch64": 277}

# Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_AND_K = 0x54
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO_0 = 0x00050000  # SECCOMP_RET_ERRNO with errno 0: skip the call, report success
_SECCOMP_SET_MODE_FILTER = 1
_S_IFMT = 0o170000  # stat.S_IFMT is a function in CPython, the mask is needed as a number
# Offsets in struct seccomp_data: nr, arch, then args[6] as u64 (little endian: low word first).
_OFF_NR, _OFF_ARCH = 0, 4


def _arg_low(index: int) -> int:
    return 16 + 8 * index


def build_filter(machine: str = _sys.MACHINE) -> list[tuple[int, int, int, int]]:
    """The program as (code, jt, jf, k) tuples; jumps count from the next instruction.

    Layout: load arch, wrong arch -> ALLOW; load nr; one JEQ per faked syscall (-> FAKE, or
    -> that mknod variant's mode check); RET ALLOW; mode checks; ALLOW; FAKE.
    """
    if machine not in FAKED_SYSCALLS:
        raise OSError(38, f"seccomp: no syscall table for {machine}")
    arch, table = FAKED_SYSCALLS[machine]
    plain = [nr for name, nr in table.items() if not name.startswith("mknod")]
    # mknod(path, mode, dev) has the mode in args[1]; mknodat(dirfd, path, mode, dev) in args[2].
    mknods = [(table[n], 1 if n == "mknod" else 2) for n in ("mknod", "mknodat") if n in table]
    first_mode = 3 + len(plain) + len(mknods) + 1
    allow_at = first_mode + 4 * len(mknods)
    fake_at = allow_at + 1
    prog: list[tuple[int, int, int, int]] = []

    def rel(target: int) -> int:
        return target - (len(prog) + 1)

    prog.append((_LD_W_ABS, 0, 0, _OFF_ARCH))
    prog.append((_JEQ_K, 0, rel(allow_at), arch))
    prog.append((_LD_W_ABS, 0, 0, _OFF_NR))
    for nr in plain:
        prog.append((_JEQ_K, rel(fake_at), 0, nr))
    for i, (nr, _arg) in enumerate(mknods):
        prog.append((_JEQ_K, rel(first_mode + 4 * i), 0, nr))
    prog.append((_RET_K, 0, 0, _RET_ALLOW))
    for _nr, arg in mknods:
        prog.append((_LD_W_ABS, 0, 0, _arg_low(arg)))
        prog.append((_AND_K, 0, 0, _S_IFMT))
        prog.append((_JEQ_K, rel(fake_at), 0, stat.S_IFCHR))
        prog.append((_JEQ_K, rel(fake_at), rel(allow_at), stat.S_IFBLK))
    prog.append((_RET_K, 0, 0, _RET_ALLOW))
    prog.append((_RET_K, 0, 0, _RET_ERRNO_0))
    assert len(prog) == fake_at + 1
    return prog


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_fake_root_filter() -> None:
    """Install the filter on the calling thread; it is inherited across fork and exec.

    PR_SET_NO_NEW_PRIVS is what lets an unprivileged process install a filter at all.
    """
    _install(build_filter())


# Syscalls newer than PRoot 5.1 (Debian 12's and Ubuntu's). PRoot passes path calls it does not
# know through untranslated, so they resolve against the host's tree (node's `statx` of a
# guest-only path fails with ENOENT); threads made by `clone3` (glibc >= 2.34) are not set up
# as PRoot's own tracees, and most path calls from them fail with EFAULT (node's thread pool:
# `npm install` fails). Refused with ENOSYS, glibc and libuv fall back to calls PRoot knows.
UNTRANSLATED_SYSCALLS: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (0xC000003E, {"statx": 332, "clone3": 435, "openat2": 437, "faccessat2": 439}),
    "aarch64": (0xC00000B7, {"statx": 291, "clone3": 435, "openat2": 437, "faccessat2": 439}),
}
_RET_ERRNO_ENOSYS = 0x00050000 | 38


def build_enosys_filter(machine: str = _sys.MACHINE) -> list[tuple[int, int, int, int]]:
    """Load arch (foreign -> ALLOW); load nr; one JEQ per syscall -> ENOSYS; ALLOW."""
    if machine not in UNTRANSLATED_SYSCALLS:
        raise OSError(38, f"seccomp: no syscall table for {machine}")
    arch, table = UNTRANSLATED_SYSCALLS[machine]
    numbers = list(table.values())
    allow_at = 3 + len(numbers)
    prog: list[tuple[int, int, int, int]] = [
        (_LD_W_ABS, 0, 0, _OFF_ARCH),
        (_JEQ_K, 0, allow_at - 2, arch),
        (_LD_W_ABS, 0, 0, _OFF_NR),
    ]
    for nr in numbers:
        prog.append((_JEQ_K, allow_at + 1 - (len(prog) + 1), 0, nr))
    prog.append((_RET_K, 0, 0, _RET_ALLOW))
    prog.append((_RET_K, 0, 0, _RET_ERRNO_ENOSYS))
    return prog


def install_enosys_filter() -> None:
    """Install :func:`build_enosys_filter` on the calling thread (inherited by PRoot's tracees)."""
    _install(build_enosys_filter())


# --network=none where no network namespace can be made (PRoot): socket() of these families is
# refused. socket()'s family is a plain register, so seccomp can see it; connect()'s address is
# behind a pointer, so loopback cannot be told apart and is refused as well.
_REFUSED_FAMILIES = (socket.AF_INET, socket.AF_INET6, 17)  # 17: AF_PACKET
_RET_ERRNO_EACCES = 0x00050000 | 13
_X32_BIT = 0x40000000
# native arch, its socket nr, and foreign ABIs the kernel may also run: (arch, [nrs]). A foreign
# ABI's socketcall multiplexer hides the family in memory, so there every socket call is refused.
SOCKET_SYSCALLS: dict[str, tuple[int, int, tuple[tuple[int, tuple[int, ...]], ...]]] = {
    "x86_64": (0xC000003E, 41, ((0x40000003, (359, 102)),)),  # i386: socket, socketcall
    "aarch64": (0xC00000B7, 198, ((0x40000028, (281,)),)),  # arm EABI: socket
}


def build_no_inet_filter(machine: str = _sys.MACHINE) -> list[tuple[int, int, int, int]]:
    """socket(AF_INET|AF_INET6|AF_PACKET, ...) -> EACCES, for the native ABI and foreign ones."""
    if machine not in SOCKET_SYSCALLS:
        raise OSError(38, f"seccomp: no syscall table for {machine}")
    arch, nr, foreign = SOCKET_SYSCALLS[machine]
    # Assembled with labels; jumps are resolved at the end (offsets count from the next insn).
    code: list[tuple[int, str | int, str | int, int]] = [(_LD_W_ABS, 0, 0, _OFF_ARCH)]
    for i, (farch, _nrs) in enumerate(foreign):
        code.append((_JEQ_K, f"foreign{i}", 0, farch))
    code.append((_JEQ_K, 0, "allow", arch))
    code.append((_LD_W_ABS, 0, 0, _OFF_NR))
    code.append((_JEQ_K, "family", 0, nr))
    code.append((_JEQ_K, "family", "allow", nr | _X32_BIT))
    labels = {"family": len(code)}
    code.append((_LD_W_ABS, 0, 0, _arg_low(0)))
    for family in _REFUSED_FAMILIES:
        code.append((_JEQ_K, "deny", 0, int(family)))
    code.append((_RET_K, 0, 0, _RET_ALLOW))
    for i, (_farch, nrs) in enumerate(foreign):
        labels[f"foreign{i}"] = len(code)
        code.append((_LD_W_ABS, 0, 0, _OFF_NR))
        for n in nrs:
            code.append((_JEQ_K, "deny", 0, n))
        code.append((_RET_K, 0, 0, _RET_ALLOW))
    labels["allow"] = len(code)
    code.append((_RET_K, 0, 0, _RET_ALLOW))
    labels["deny"] = len(code)
    code.append((_RET_K, 0, 0, _RET_ERRNO_EACCES))

    def jump(at: int, target: str | int) -> int:
        return target if isinstance(target, int) else labels[target] - (at + 1)

    return [(op, jump(i, jt), jump(i, jf), k) for i, (op, jt, jf, k) in enumerate(code)]


def install_no_inet_filter() -> None:
    """Install :func:`build_no_inet_filter` on the calling thread (inherited across exec)."""
    _install(build_no_inet_filter())


def _install(prog: list[tuple[int, int, int, int]]) -> None:
    raw = b"".join(struct.pack("=HBBI", *insn) for insn in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))
    fprog = _SockFprog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
    _sys.prctl(_sys.PR_SET_NO_NEW_PRIVS, 1)
    _sys.syscall(_NR_SECCOMP[_sys.MACHINE], _SECCOMP_SET_MODE_FILTER, 0, ctypes.byref(fprog))
