"""Assemble a container's mount tree (namespace backends) and switch into it.

Runs inside the container's new mount namespace, in its PID 1, before the root switch.

Keeping the change set clean: the engine reads the overlay upper dir as the container's
diff, so nothing we need only at run time may be created through the merged view. The
caller prepares a *scratch* dir outside the rootfs (see ``scratch.prepare_scratch``) holding
private copies of /etc/hosts, /etc/resolv.conf, /etc/hostname and a *shim* tree. The shim
is added as the bottom-most overlay lower layer; it holds empty files and directories for
every mount point we need (etc/hosts, proc, dev, bind targets...). When the image lacks
one, the shim's placeholder shows through, we mount over it, and the upper dir never sees
it. Where an opaque dir or whiteout of the image hides the shim, etc files are skipped,
while user bind targets are created in the merged tree like Docker does. In directory
(copy) mode there is no overlay: missing mount points are created in the directory and
reported as ``created PATH`` so the caller deletes them after the run.

The hosts files are copies, not binds of the host's: in root mode a write to /etc/hosts
inside the container must not change the host's file.
"""

from __future__ import annotations

import errno
import os

from . import _sys
from .base import Reporter
from .network import OWN_NETNS
from .paths import contain
from .scratch import ETC_FILES, Scratch
from .spec import ProcessSpec, RootfsSpec

__all__ = ["assemble", "pivot", "overlay_options"]

DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
DEV_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
    "ptmx": "pts/ptmx",
}
# statvfs f_flag bits that share their value with MS_* and are locked in a user namespace:
# a remount inside one must repeat them or it fails with EPERM.
_LOCKED_FLAGS = _sys.MS_NOSUID | _sys.MS_NODEV | _sys.MS_NOEXEC | 1024 | 2048 | 4096


def overlay_options(rootfs: RootfsSpec, shim: str, *, userxattr: bool) -> tuple[str, str | None]:
    """The overlay mount data and the dir to chdir to first (relative paths) when it is long.

    Mount data is limited to one page; long layer lists are shortened by making every path
    relative to their common parent.
    """
    lowers = [*rootfs.lowerdirs, shim]
    dirs = list(lowers) + [d for d in (rootfs.upperdir, rootfs.workdir) if d]
    base = None
    if sum(len(d) + 1 for d in dirs) > 3000:
        base = os.path.commonpath(dirs)
        lowers = [os.path.relpath(d, base) for d in lowers]
    for d in lowers:
        if "," in d or ":" in d:
            raise OSError(errno.EINVAL, f"overlay cannot use a layer path with ',' or ':': {d}")
    opts = ["lowerdir=" + ":".join(lowers)]
    if rootfs.upperdir and rootfs.workdir:
        upper, work = rootfs.upperdir, rootfs.workdir
        if base:
            upper, work = os.path.relpath(upper, base), os.path.relpath(work, base)
        # volatile: unmounting skips the sync of the whole upper filesystem (~20 ms a run).
        # A container's upper dir only matters once committed, and commit writes its own blobs.
        opts += [f"upperdir={upper}", f"workdir={work}", "volatile"]
    # With userxattr the kernel itself forces redirect_dir=nofollow,metacopy=off and refuses
    # the explicit options; as root we must ask, so the upper dir stays a self-contained diff.
    opts += ["userxattr"] if userxattr else ["redirect_dir=off", "metacopy=off"]
    return ",".join(opts), base


def _mount_root(rootfs: RootfsSpec, scratch: Scratch, userns: bool) -> str:
    if not rootfs.is_overlay:
        root = os.path.realpath(str(rootfs.directory))
        _sys.mount(root, root, None, _sys.MS_BIND | _sys.MS_REC)
        return root
    if not rootfs.mountpoint:
        raise OSError(errno.EINVAL, "an overlay rootfs needs a mountpoint")
    data, base = overlay_options(rootfs, scratch.shim, userxattr=userns)
    if base:
        os.chdir(base)
    _sys.mount("overlay", rootfs.mountpoint, "overlay", 0, data)
    os.chdir("/")
    return os.path.realpath(rootfs.mountpoint)


def _ensure(path: str, is_dir: bool, report: Reporter, overlay: bool, create: bool) -> bool:
    """Make sure a mount point exists; report what directory mode had to create."""
    if os.path.lexists(path):
        return True
    if overlay and not create:
        return False  # hidden shim placeholder: creating it would dirty the upper dir
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        _ensure(parent, True, report, overlay, create)
    if is_dir:
        os.mkdir(path, 0o755)
    else:
        open(path, "w").close()
    if not overlay:
        report.send(f"created {path}")
    return True


def _remount_ro(path: str) -> None:
    flags = os.statvfs(path).f_flag & _LOCKED_FLAGS
    _sys.mount(None, path, None, _sys.MS_REMOUNT | _sys.MS_BIND | _sys.MS_RDONLY | flags)


def _submounts(prefix: str) -> list[str]:
    """Mount points at or below ``prefix``, parents first (from /proc/self/mountinfo)."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")  # octal \040 escapes
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return found


def _mount_proc(root: str, report: Reporter, overlay: bool) -> None:
    target = os.path.join(root, "proc")
    _ensure(target, True, report, overlay, create=True)
    try:
        flags = _sys.MS_NOSUID | _sys.MS_NODEV | _sys.MS_NOEXEC
        _sys.mount("proc", target, "proc", flags)
    except OSError:
        # A fresh procfs is refused under a masked host /proc ("mount_too_revealing"): fall
        # back to the host's, as ch-run does. ps then shows host processes too.
        _sys.mount("/proc", target, None, _sys.MS_BIND | _sys.MS_REC)


def _mount_dev(root: str, report: Reporter, overlay: bool, userns: bool) -> None:
    dev = os.path.join(root, "dev")
    _ensure(dev, True, report, overlay, create=True)
    flags = _sys.MS_NOSUID | _sys.MS_NOEXEC
    _sys.mount("tmpfs", dev, "tmpfs", flags, "mode=755,size=65536k")
    # Device nodes are bind-mounted from the host: mknod is impossible in a user namespace
    # and binding keeps one code path for both modes.
    for name in DEVICES:
        target = os.path.join(dev, name)
        open(target, "w").close()
        try:
            _sys.mount(f"/dev/{name}", target, None, _sys.MS_BIND)
        except OSError:
            os.unlink(target)
    for name, link in DEV_LINKS.items():
        os.symlink(link, os.path.join(dev, name))
    for sub in ("pts", "shm"):
        os.mkdir(os.path.join(dev, sub), 0o755)
    pts = "newinstance,ptmxmode=0666,mode=0620" + ("" if userns else ",gid=5")
    try:
        _sys.mount("devpts", os.path.join(dev, "pts"), "devpts", flags, pts)
    except OSError:
        pass  # no terminals inside; everything else still works
    shm_flags = flags | _sys.MS_NODEV
    _sys.mount("shm", os.path.join(dev, "shm"), "tmpfs", shm_flags, "mode=1777,size=65536k")


def _mount_sys(root: str, report: Reporter, overlay: bool, own_netns: bool) -> None:
    target = os.path.join(root, "sys")
    _ensure(target, True, report, overlay, create=True)
    if own_netns:
        # sysfs shows the network devices of the namespace that mounts it: a fresh one lists
        # only the container's `lo` (allowed in a user namespace that owns the network one).
        try:
            flags = _sys.MS_RDONLY | _sys.MS_NOSUID | _sys.MS_NODEV | _sys.MS_NOEXEC
            _sys.mount("sysfs", target, "sysfs", flags)
            return
        except OSError:
            pass
    _sys.mount("/sys", target, None, _sys.MS_BIND | _sys.MS_REC)
    # Read-only applies per mount, so every submount (cgroup, ...) is remounted too.
    for point in _submounts(target):
        try:
            _remount_ro(point)
        except OSError:
            pass


def _bind_etc_files(root: str, scratch: Scratch, report: Reporter, overlay: bool) -> None:
    for name in ETC_FILES:
        target = contain(root, f"/etc/{name}")
        if os.path.lexists(target) and not os.path.isfile(target):
            continue
        if not _ensure(target, False, report, overlay, create=not overlay):
            continue
        _sys.mount(os.path.join(scratch.path, name), target, None, _sys.MS_BIND)


def _bind_user(
    root: str, binds: tuple[tuple[str, str, bool], ...], report: Reporter, overlay: bool
) -> None:
    for src, dst, read_only in binds:
        target = contain(root, dst)
        _ensure(target, os.path.isdir(src), report, overlay, create=True)
        _sys.mount(src, target, None, _sys.MS_BIND | _sys.MS_REC)
        if read_only:
            _remount_ro(target)


def assemble(
    rootfs: RootfsSpec, proc: ProcessSpec, scratch: Scratch, report: Reporter, *, userns: bool
) -> str:
    """Mount the root and everything in it; returns the new root's path (not yet switched)."""
    # Private first: otherwise our mounts propagate to the host and pivot_root fails (EINVAL).
    _sys.mount(None, "/", None, _sys.MS_REC | _sys.MS_PRIVATE)
    root = _mount_root(rootfs, scratch, userns)
    overlay = rootfs.is_overlay
    _mount_proc(root, report, overlay)
    _mount_dev(root, report, overlay, userns)
    _mount_sys(root, report, overlay, proc.network in OWN_NETNS)
    _bind_etc_files(root, scratch, report, overlay)
    _bind_user(root, proc.binds, report, overlay)
    return root


def pivot(root: str) -> None:
    """Switch to ``root`` and drop the host's tree.

    ``pivot_root(".", ".")`` stacks the old root on top of the new one, so no put-old
    directory has to be created inside the rootfs (it would show up in the change set).
    """
    os.chdir(root)
    _sys.pivot_root(".", ".")
    _sys.umount2(".", _sys.MNT_DETACH)
    os.chdir("/")
