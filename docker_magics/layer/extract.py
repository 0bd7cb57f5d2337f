"""Safe layer extraction: nothing is ever written outside the target directory.

Two ways to apply a layer:
- "overlay": into an empty per-layer directory that becomes an overlay lower dir; whiteouts
  become 0/0 character devices and opaque markers become overlay xattrs.
- "apply": onto a flattened tree (copy mode, PRoot); whiteouts delete what lower layers put there.

Member names with `..` or a leading `/` are refused outright rather than cleaned: a layer that
contains them was made by something we should not trust. Symlinks already in the tree are followed
only inside the target (like a chroot): a link to `/etc` cannot send a later write to the host.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ..errors import DiskFullError, LayerError, is_disk_full
from .owner import OwnerOps
from .stream import archive_errors

__all__ = ["extract_layer", "ExtractResult", "resolve_in_root", "safe_rmtree"]

_MAX_LINKS = 40
_CHUNK = 1 << 20


@dataclass
class ExtractResult:
    entries: int = 0
    written: set[str] = field(default_factory=set)


def _clean_name(raw: str) -> str:
    name = raw
    while name.startswith("./"):
        name = name[2:]
    name = name.rstrip("/")
    if name in ("", "."):
        return ""
    if name.startswith("/"):
        raise LayerError(f"layer entry {raw!r} has an absolute path; refusing the layer")
    parts = name.split("/")
    if ".." in parts:
        raise LayerError(f"layer entry {raw!r} climbs out with '..'; refusing the layer")
    return "/".join(p for p in parts if p not in ("", "."))


def resolve_in_root(root: str, rel: str, *, create: bool, ops: OwnerOps | None = None) -> str:
    """Host path of directory `rel`, following symlinks as if `root` were `/`."""
    queue = [p for p in rel.split("/") if p]
    done: list[str] = []
    links = 0
    while queue:
        comp = queue.pop(0)
        if comp == ".":
            continue
        if comp == "..":
            if done:
                done.pop()
            continue
        host = os.path.join(root, *done, comp)
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            if not create:
                raise
            os.mkdir(host, 0o755)
            if ops is not None:
                ops.set_owner(host, 0, 0)
            done.append(comp)
            continue
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > _MAX_LINKS:
                raise LayerError(f"too many levels of symbolic links resolving {rel!r}")
            target = os.readlink(host)
            if target.startswith("/"):
                done = []
            queue = [p for p in target.split("/") if p] + queue
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise LayerError(f"cannot place {rel!r}: {'/'.join(done + [comp])} is not a directory")
        done.append(comp)
    return os.path.join(root, *done)


def safe_rmtree(path: str) -> None:
    """Remove a tree even where directories lack write or search permission (rootless leftovers)."""

    def fix(func, p, exc):  # type: ignore[no-untyped-def]
        # e.g. overlay's work/work/incompat is mode 000: open each level up, then go on.
        try:
            os.chmod(os.path.dirname(p), 0o700)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, 0o700)
        except OSError:
            raise exc[1]  # not ours to open up: report the original failure
        if func in (os.rmdir, os.unlink):
            func(p)  # the parent was read-only; a second failure is real and raises
        elif os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, onerror=fix)
        elif os.path.lexists(p):
            os.unlink(p)

    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path, onerror=fix)
    else:
        os.unlink(path)


def _remove_existing(host: str, keep_dir: bool) -> bool:
    """Clear the way for a new entry; returns True if a directory was kept."""
    try:
        st = os.lstat(host)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(st.st_mode):
        if keep_dir:
            return True
        safe_rmtree(host)
    else:
        os.unlink(host)
    return False


def _identity(path: str) -> tuple[int, int]:
    st = os.lstat(path)
    return st.st_dev, st.st_ino


def _still_ours(path: str, made: tuple[int, int] | None, root: str) -> bool:
    """``path`` still resolves inside ``root`` to the directory we created."""
    real = os.path.realpath(path)
    if made is None or not (real == root or real.startswith(root + os.sep)):
        return False
    try:
        st = os.stat(path)
    except OSError:
        return False  # replaced by a dangling or looping link
    return stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) == made


class _Extractor:
    def __init__(self, target: str, overlay: bool, ops: OwnerOps) -> None:
        self.target = target
        self.overlay = overlay
        self.ops = ops
        self.result = ExtractResult()
        self.dir_times: list[tuple[str, int]] = []
        self.dir_modes: list[tuple[str, int]] = []
        self.root = os.path.realpath(target)
        self.made_dirs: dict[str, tuple[int, int]] = {}  # host path -> (st_dev, st_ino)

    def run(self, tar: tarfile.TarFile) -> ExtractResult:
        for member in tar:
            self.member(tar, member)
        # Directory modes and times are applied last (a read-only dir must still take its
        # children). By then a later entry may have replaced the dir, or one of its parents,
        # with a symlink, and chmod follows links: touch only the very dir we made.
        for path, mode in reversed(self.dir_modes):
            if _still_ours(path, self.made_dirs.get(path), self.root):
                os.chmod(path, mode)
        for path, mtime in reversed(self.dir_times):
            if _still_ours(path, self.made_dirs.get(path), self.root):
                os.utime(path, (mtime, mtime), follow_symlinks=False)
        return self.result

    def member(self, tar: tarfile.TarFile, m: tarfile.TarInfo) -> None:
        name = _clean_name(m.name)
        self.result.entries += 1
        if not name:
            return
        parent_rel, _, base = name.rpartition("/")
        if base.startswith(".wh."):
            self.whiteout(parent_rel, base)
            return
        parent = resolve_in_root(self.target, parent_rel, create=True, ops=self.ops)
        host = os.path.join(parent, base)
        self.result.written.add(name)
        if m.isdir():
            if not _remove_existing(host, keep_dir=True):
                os.mkdir(host, 0o700)
        else:
            _remove_existing(host, keep_dir=False)
            self.create(tar, m, host, name)
        self.attributes(m, host)

    def create(self, tar: tarfile.TarFile, m: tarfile.TarInfo, host: str, name: str) -> None:
        if m.isreg():
            src = tar.extractfile(m)
            fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                if src is not None:
                    shutil.copyfileobj(src, out, _CHUNK)
        elif m.issym():
            os.symlink(m.linkname, host)
        elif m.islnk():
            self.hardlink(m, host, name)
        elif m.isfifo():
            os.mkfifo(host, 0o600)
        elif m.ischr() or m.isblk():
            self.device(m, host)
        else:
            raise LayerError(f"layer entry {m.name!r} has an unsupported type {m.type!r}")

    def hardlink(self, m: tarfile.TarInfo, host: str, name: str) -> None:
        link = _clean_name(m.linkname)
        if not link:
            raise LayerError(f"hard link {m.name!r} has an empty target")
        lparent, _, lbase = link.rpartition("/")
        try:
            src = os.path.join(resolve_in_root(self.target, lparent, create=False), lbase)
            st = os.lstat(src)
        except (FileNotFoundError, NotADirectoryError):
            raise LayerError(f"hard link {m.name!r} points at {m.linkname!r}, which is not there")
        if stat.S_ISDIR(st.st_mode):
            raise LayerError(f"hard link {m.name!r} points at a directory")
        os.link(src, host, follow_symlinks=False)

    def device(self, m: tarfile.TarInfo, host: str) -> None:
        kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK
        try:
            os.mknod(host, kind | 0o600, os.makedev(m.devmajor, m.devminor))
        except PermissionError:
            # Unprivileged: a placeholder file keeps the path; devices come from /dev at run time.
            os.close(os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))

    def attributes(self, m: tarfile.TarInfo, host: str) -> None:
        is_link = m.issym()
        self.ops.set_owner(host, m.uid, m.gid, is_link=is_link)
        for key, value in sorted(m.pax_headers.items()):
            if key.startswith("SCHILY.xattr."):
                try:
                    os.setxattr(
                        host,
                        key[13:],
                        value.encode("utf-8", "surrogateescape"),
                        follow_symlinks=False,
                    )
                except OSError:
                    pass  # security.* or trusted.* need privileges we may not have
        if m.isdir():
            os.chmod(host, 0o755 | stat.S_IMODE(m.mode))
            self.dir_modes.append((host, stat.S_IMODE(m.mode)))
            self.made_dirs[host] = _identity(host)
            self.dir_times.append((host, int(m.mtime)))
        else:
            if not is_link and not m.islnk():
                os.chmod(host, stat.S_IMODE(m.mode))
            if not m.islnk():
                os.utime(host, (int(m.mtime), int(m.mtime)), follow_symlinks=False)

    def whiteout(self, parent_rel: str, base: str) -> None:
        parent = resolve_in_root(self.target, parent_rel, create=True, ops=self.ops)
        if base == ".wh..wh..opq":
            self.opaque(parent, parent_rel)
            return
        victim = base[4:]
        if victim in ("", ".", "..") or "/" in victim:
            raise LayerError(f"invalid whiteout {base!r} (it names no file in its directory)")
        host = os.path.join(parent, victim)
        if self.overlay:
            _remove_existing(host, keep_dir=False)
            os.mknod(host, stat.S_IFCHR | 0o000, 0)
        else:
            _remove_existing(host, keep_dir=False)

    def opaque(self, parent: str, parent_rel: str) -> None:
        if self.overlay:
            names = ["user.overlay.opaque"] + (
                ["trusted.overlay.opaque"] if not self.ops.rootless else []
            )
            for xname in names:
                try:
                    os.setxattr(parent, xname, b"y", follow_symlinks=False)
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP):
                        raise
            return
        prefix = f"{parent_rel}/" if parent_rel else ""
        for entry in os.listdir(parent):
            if prefix + entry not in self.result.written:
                _remove_existing(os.path.join(parent, entry), keep_dir=False)


def _open_tar(src: BinaryIO) -> tarfile.TarFile:
    try:
        return tarfile.open(fileobj=src, mode="r|*")
    except tarfile.TarError as exc:
        raise LayerError(f"not a readable tar archive: {exc}")


def extract_layer(src: BinaryIO, target: str, *, overlay: bool, ops: OwnerOps) -> ExtractResult:
    """Extract a (possibly compressed) layer stream into `target`, which must exist."""
    try:
        with archive_errors("layer archive"), _open_tar(src) as tar:
            return _Extractor(target, overlay, ops).run(tar)
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFullError("extracting a layer", target) from exc
        raise


def iter_members(src: BinaryIO) -> Iterator[tarfile.TarInfo]:
    with _open_tar(src) as tar:
        yield from tar
