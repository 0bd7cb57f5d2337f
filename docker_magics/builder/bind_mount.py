"""``RUN --mount=type=bind``: what the step sees at the target, from the context or another stage.

BuildKit mounts the source read-only, or with ``rw`` writable with every write thrown away at the
end of the step. The context is bind-mounted as it is when the backend can make the mount
read-only; otherwise (``rw``, or PRoot, which has no read-only binds) the step gets a private
copy, so nothing it does can reach the user's files. ``from=STAGE|IMAGE`` is always a private
copy of that filesystem's ``source`` subtree: a step must never write into the store's unpacked
layers, which other images share.

Keys follow BuildKit: a context bind by the checksum of the files it selects (``.dockerignore``
applied), a stage bind likewise by the files it shows (``stagefiles.py``).
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..dockerfile.instructions import mount_flag
from . import cachekey
from .imagefs import ImageFS
from .stagefiles import stage_files
from .step import StepBuilder

if TYPE_CHECKING:
    from ..dockerfile.instructions import Run
    from .state import StageState

__all__ = ["context_bind", "stage_bind", "writable"]


def writable(options: Mapping[str, Any]) -> bool:
    """BuildKit's binds are read-only unless ``rw``/``readwrite`` (and not also ``ro``)."""
    return mount_flag(options, "rw", "readwrite") and not mount_flag(options, "ro", "readonly")


def _copy(b: StepBuilder, name: str, entries: Iterator[tuple[str, str, os.stat_result]]) -> str:
    """A private copy of ``(relative path, host path, lstat)`` entries (parents first); its path.

    Directories are made writable while they fill and get their own modes back at the end,
    deepest first.
    """
    path = os.path.join(b.store.tmp_path(f"bind-{name}"), "source")  # a directory or one file
    b.cleanup.append(os.path.dirname(path))
    dir_modes: list[tuple[str, int]] = []
    for rel, host, st in entries:
        dest = os.path.join(path, rel) if rel else path
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISDIR(st.st_mode):
            os.makedirs(dest, exist_ok=True)
            os.chmod(dest, mode | 0o700)
            dir_modes.append((dest, mode))
        elif stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(host), dest)
        elif stat.S_ISREG(st.st_mode):
            shutil.copyfile(host, dest)
            os.chmod(dest, mode)
        else:
            continue  # devices, fifos and whiteouts are not part of what a bind shows
        if os.geteuid() == 0:
            os.lchown(dest, st.st_uid, st.st_gid)
    for dest, mode in reversed(dir_modes):
        os.chmod(dest, mode)
    return path


def context_bind(
    b: StepBuilder, ins: Run, options: dict[str, str], target: str
) -> tuple[dict[str, Any], str]:
    source = options.get("source", options.get("src", "."))
    selected = b.context.select(source, b.error(ins, ""))
    files = b.context.files(selected)
    comp = {
        "type": "bind",
        "target": target,
        "source": source,
        "checksum": cachekey.files_checksum(files),
        "files": files,  # into the key's notes, not the key: says which file changed
        **({"rw": True} if writable(options) else {}),
    }
    sel = selected[0]
    if not writable(options) and b.backend.read_only_binds:
        return comp, sel.host
    if not sel.is_dir:
        st = os.stat(sel.host)
        return comp, _copy(b, "context", iter([("", os.path.realpath(sel.host), st)]))
    prefix = len(sel.rel) + 1 if sel.rel else 0
    walked = ((rel[prefix:], host, st) for rel, host, st in b.context.walk(sel.rel))
    return comp, _copy(b, "context", walked)


def stage_bind(
    b: StepBuilder, state: StageState, ins: Run, options: dict[str, str], target: str
) -> tuple[dict[str, Any], str]:
    ref = options["from"]
    other = b.stage_for_copy(ref, ins)
    fs = ImageFS(b.store, other.image(b.store))
    source = options.get("source", options.get("src", "/"))
    rel = fs.resolve(source)
    entry = fs.lstat_raw(rel)
    if entry is None:
        raise b.error(ins, f"RUN --mount=type=bind,from={ref}: {source} not found in {ref}")
    prefix = len(rel) + 1 if rel else 0
    walked = ((e.path[prefix:], e.host, e.st) for e in fs.walk(rel))
    # Keyed by the content of what the step sees, as BuildKit keys a bind with no output.
    files = stage_files(b, fs, rel)
    comp = {
        "type": "bind",
        "target": target,
        "from": "stage",
        "source": source,
        "checksum": cachekey.files_checksum(files),
        "files": files,  # into the key's notes, not the key: says which file changed
        **({"rw": True} if writable(options) else {}),
    }
    return comp, _copy(b, "stage", walked)
