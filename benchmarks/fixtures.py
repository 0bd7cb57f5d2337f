"""What the benchmarks build on: base images (the same tarballs for us and for buildah) and
build contexts, all made in code.

- busybox: a ~2 MB root filesystem from Debian's static busybox (``tests/rootfs.py``).
- Debian: ``docker-magics bootstrap debian:bookworm --variant minbase`` (mmdebstrap, ~170 MB),
  made once and kept in a cache store (``--debian-store``, default
  ``~/.cache/docker-magics-bench``) because it takes a minute and needs the apt sources; its
  single layer blob *is* the rootfs tarball, so both builders import byte-identical trees.
"""

from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests"))

from rootfs import have_busybox, make_busybox_tree, tar_tree  # noqa: E402

from docker_magics.api import Engine  # noqa: E402

__all__ = [
    "PATH_ENV",
    "busybox_tar",
    "debian_tar",
    "cached_context",
    "big_context",
    "one_file_context",
    "have_busybox",
    "SMALL_FILES_SCRIPT",
    "big_file_script",
]

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_DEBIAN_STORE = os.path.expanduser("~/.cache/docker-magics-bench/debian-store")


def busybox_tar(work: str) -> tuple[str, str]:
    """(tree, tarball) of the busybox root filesystem."""
    tree = make_busybox_tree(os.path.join(work, "busybox-tree"))
    for name in ("dev", "proc", "sys", "run"):
        # As in any distribution: buildah's chroot RUN would otherwise add these mount points
        # to its layers, and the trees would differ.
        os.makedirs(os.path.join(tree, name), mode=0o755, exist_ok=True)
    return tree, tar_tree(tree, os.path.join(work, "busybox.tar"))


def debian_tar(store_dir: str | None) -> str:
    """The uncompressed rootfs tar of a bootstrapped Debian bookworm (bootstrapped if missing)."""
    store_dir = store_dir or DEFAULT_DEBIAN_STORE
    eng = Engine(store_dir)
    try:
        image = eng.image("debian:bookworm")
    except Exception:  # noqa: BLE001 - not there yet: make it once
        print(f"bootstrapping debian:bookworm into {store_dir} (mmdebstrap, about a minute)")
        cmd = [sys.executable, "-m", "docker_magics", "--root", store_dir]
        subprocess.run([*cmd, "bootstrap", "debian:bookworm", "--variant", "minbase"], check=True)
        image = eng.image("debian:bookworm")
    if len(image.layers) != 1:
        raise SystemExit(f"{store_dir}: debian:bookworm should have one layer")
    return eng.store.blobs.path(image.layers[0]["digest"])


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)


# Ten instructions, four of them making layers; the last one a COPY of a file that changes.
CACHED_DOCKERFILE = """\
FROM busybox:latest
ENV APP=/app LANG=C.UTF-8
WORKDIR /app
RUN echo built > /built.txt
COPY lib /app/lib
RUN ls -R /app/lib > /app/lib.list
LABEL bench=cached
ENV MODE=prod
RUN echo "$MODE" > /mode
COPY main.txt /app/main.txt
"""


def cached_context(path: str) -> str:
    """A small app: 200 source files of 1-8 KB in 10 packages, and the file that changes."""
    for i in range(200):
        _write(os.path.join(path, "lib", f"pkg{i % 10}", f"mod{i}.py"), f"# {i}\n" * (50 + i * 5))
    _write(os.path.join(path, "main.txt"), "main 0\n")
    _write(os.path.join(path, "Dockerfile"), CACHED_DOCKERFILE)
    return path


SMALL_FILES_SCRIPT = (
    "mkdir /small && cd /small && i=0 && "
    'while [ $i -lt {n} ]; do echo "small file $i" > f$i; i=$((i+1)); done'
)


def big_file_script(megabytes: int) -> str:
    return f"head -c {megabytes << 20} /dev/urandom > /big.bin"


def big_context(path: str, files: int, megabytes: int) -> str:
    """RUN steps making ``files`` small files and one ``megabytes`` MB file."""
    _write(
        os.path.join(path, "Dockerfile"),
        "FROM busybox:latest\n"
        f"RUN {SMALL_FILES_SCRIPT.format(n=files)}\n"
        f"RUN {big_file_script(megabytes)}\n",
    )
    return path


def one_file_context(path: str, base: str) -> str:
    _write(os.path.join(path, "Dockerfile"), f"FROM {base}\nRUN echo hi > /one-file\n")
    return path
