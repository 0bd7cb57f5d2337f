"""The store: one directory holding everything (an OCI image layout plus our own records)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import DiskFullError, StoreError, is_disk_full
from .atomic import atomic_write_json
from .blobs import BlobStore
from .containers import ContainerStore
from .images import ImageStore
from .index import ImageIndex
from .lock import locked

__all__ = ["Store", "default_root"]


def default_root() -> str:
    env = os.environ.get("DOCKER_MAGICS_ROOT")
    if env:
        return env
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return os.path.join(data, "docker-magics")


def _make_private_root(root: str) -> None:
    """Create the store root 0700, whatever the umask, as rootless podman does with its storage:
    on a machine shared by several users (a classroom JupyterHub) images, containers' files and
    build records are nobody else's to read. An existing root keeps its mode (sharing one is
    the owner's choice; `system check` warns about it). Parents are made as usual."""
    os.makedirs(os.path.dirname(root), exist_ok=True)
    try:
        os.mkdir(root, 0o700)
    except FileExistsError:
        return
    os.chmod(root, 0o700)


class Store:
    def __init__(self, root: str | None = None) -> None:
        self.root = os.path.abspath(root or default_root())
        try:
            _make_private_root(self.root)
            for sub in ("blobs/sha256", "snapshots", "containers", "builds", "tmp", "cache"):
                os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store at {self.root}: {exc.strerror}")
        layout = os.path.join(self.root, "oci-layout")
        if not os.path.exists(layout):
            atomic_write_json(layout, {"imageLayoutVersion": "1.0.0"})
        self.tmp_dir = os.path.join(self.root, "tmp")
        self.snapshots_dir = os.path.join(self.root, "snapshots")
        self.blobs = BlobStore(self.root, self.tmp_dir)
        self.index = ImageIndex(self.root)
        self.images = ImageStore(self.blobs, self.index)
        self.containers = ContainerStore(os.path.join(self.root, "containers"), self.tmp_dir)

    def lock_path(self, name: str) -> str:
        return os.path.join(self.root, f"{name}.lock")

    @contextmanager
    def writing(self, what: str = "writing to the store") -> Iterator[None]:
        """Held (shared) by every writer so that `system prune` never sweeps work in progress.

        Also where a full disk becomes one clear error, whichever file hit it (an index, a
        record, a snapshot); the writers' temp files are removed by their own cleanups.
        """
        with locked(self.lock_path("gc"), shared=True):
            try:
                yield
            except DiskFullError as exc:
                if what == "writing to the store":
                    raise
                raise DiskFullError(f"{what} ({exc.what})", exc.path) from exc
            except OSError as exc:
                if is_disk_full(exc):
                    raise DiskFullError(what, self.root) from exc
                raise

    def tmp_path(self, prefix: str) -> str:
        """A fresh private directory under tmp/, named so prune can tell if its owner died."""
        import tempfile

        return tempfile.mkdtemp(dir=self.tmp_dir, prefix=f"{prefix}-{os.getpid()}-")
