"""Real root filesystems for tests, built from Debian's busybox-static (no mocks, no registry)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile

BUSYBOX = shutil.which("busybox") or "/bin/busybox"


def have_busybox() -> bool:
    if not os.path.exists(BUSYBOX):
        return False
    out = subprocess.run(["file", "-L", BUSYBOX], capture_output=True, text=True).stdout
    return "statically linked" in out or "static-pie" in out or not out


def make_busybox_tree(root: str) -> str:
    """A minimal distribution: busybox and its applets, /etc/passwd and group, /tmp."""
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "root", "home", "var/tmp"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin", "busybox"))
    applets = subprocess.run(
        [BUSYBOX, "--list-full"], capture_output=True, text=True, check=True
    ).stdout.split()
    for applet in applets:
        path = os.path.join(root, applet)
        if os.path.lexists(path) or applet == "bin/busybox":
            continue
        os.symlink(os.path.relpath("bin/busybox", os.path.dirname(applet)), path)
    with open(os.path.join(root, "etc", "passwd"), "w") as fh:
        fh.write(
            "root:x:0:0:root:/root:/bin/sh\n"
            "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
            "app:x:1000:1000:app:/home/app:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
        )
    with open(os.path.join(root, "etc", "group"), "w") as fh:
        fh.write("root:x:0:\ndaemon:x:1:\napp:x:1000:\nnogroup:x:65534:\n")
    return root


def make_hardlinked_busybox_tar(out_path: str) -> str:
    """The official busybox image's shape: one binary and every applet a hard link to it,
    in a gzipped tarball (``FROM scratch`` + ``ADD busybox.tar.gz /``)."""
    root = out_path + ".tree"
    make_busybox_tree(root)
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                os.unlink(path)
                os.link(os.path.join(root, "bin", "busybox"), path)
    tar_tree(root, out_path, compress="gz")
    shutil.rmtree(root)
    return out_path


def tar_tree(root: str, out_path: str, compress: str = "") -> str:
    mode = "w:gz" if compress == "gz" else "w"
    with tarfile.open(out_path, mode) as tar:
        for name in sorted(os.listdir(root)):
            tar.add(os.path.join(root, name), arcname=name)
    return out_path


def tar_bytes(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    """A tar built member by member: for hostile and edge-case layers."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def member(
    name: str,
    kind: bytes = tarfile.REGTYPE,
    *,
    linkname: str = "",
    mode: int = 0o644,
    uid: int = 0,
    gid: int = 0,
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = mode
    info.uid, info.gid = uid, gid
    info.mtime = 1_700_000_000
    return info
