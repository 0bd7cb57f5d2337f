"""Images named by ``FROM`` and ``COPY --from``: the store's, else pulled from a registry.

A pull here is the engine's ``pull`` (verified, unpacked, tagged last, undone on failure), with
mirrors and insecure hosts from the environment and the store's ``config.json`` as for ``pull``.
Its per-blob progress becomes ``log`` events of the step that asked, so the terminal prints it
under that step and the notebook's live view folds it into that step's log. Any failure becomes
a ``DockerfileError`` naming the instruction's line: the user sees which line wanted the image.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..dockerfile import instructions as ins
from ..errors import DockerMagicsError, ImageReferenceError, NotFoundError
from ..oci.digest import short_id
from ..oci.reference import parse_reference
from ..store.images import Image
from .step import StepBuilder

if TYPE_CHECKING:  # the registry package loads only when an image must be pulled
    from ..registry.progress import Progress

__all__ = ["resolve_image"]

_LABELS = {"exists": "already exists", "downloaded": "pull complete"}


def _mib(n: int | None) -> str:
    return f"{(n or 0) / (1 << 20):.1f} MiB"


class _PullLog:
    """Turns registry progress into step log lines: a line per blob state change, and one per
    quarter of a large download (the callbacks come from the download threads, hence the lock)."""

    def __init__(self, builder: StepBuilder, sid: int) -> None:
        self.builder = builder
        self.sid = sid
        self.lock = threading.Lock()
        self.quarter: dict[str, int] = {}

    def line(self, text: str) -> None:
        with self.lock:
            self.builder.emit({"event": "log", "id": self.sid, "stream": "pull", "data": text})

    def __call__(self, p: Progress) -> None:
        if p.action == "note":  # where the image came from (a mirror, a stand-in made here)
            self.line(p.message + "\n")
            return
        if p.kind == "manifest":
            return
        name = f"{p.kind} {short_id(p.digest)}"
        if p.action in _LABELS:
            self.line(f"{name}: {_LABELS[p.action]} ({_mib(p.total)})\n")
        elif p.action == "downloading" and p.total:
            q = min(3, 4 * p.current // p.total)
            with self.lock:
                if q <= self.quarter.get(p.digest, 0):
                    return
                self.quarter[p.digest] = q
            self.line(f"{name}: {_mib(p.current)} / {_mib(p.total)}\n")


def _looks_like_id(ref: str) -> bool:
    bare = ref.removeprefix("sha256:")
    return ref.startswith("sha256:") or (
        len(bare) == 64 and all(c in "0123456789abcdef" for c in bare)
    )


def resolve_image(builder: StepBuilder, ref: str, item: ins.Instruction, what: str) -> Image:
    """The image `ref` for `item`, pulled if missing; `what` names it in messages."""
    store = builder.store
    try:
        return store.images.resolve(ref)
    except (NotFoundError, ValueError):
        pass
    if _looks_like_id(ref):  # an image ID is local by nature: nothing to pull
        raise builder.error(item, f"{what}: no such image in the store")
    try:
        normalised = str(parse_reference(ref))
    except ImageReferenceError as exc:
        raise builder.error(item, f"{what}: not a valid image reference: {exc}")
    from ..engine.pull import RegistryOptions, pull

    log = _PullLog(builder, builder.current_id)
    log.line(f"pulling {normalised} (not in the store)\n")
    try:
        image = pull(store, ref, RegistryOptions(progress=log))
    except DockerMagicsError as exc:
        raise builder.error(item, f"{what}: no such image locally, and the pull failed: {exc}")
    log.line(f"pulled {normalised}: {image.manifest_digest}\n")
    return image
