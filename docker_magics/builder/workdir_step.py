"""WORKDIR: set the config's working dir and create it (with parents) owned by the current USER."""

from __future__ import annotations

import os
import posixpath
from typing import Any

from ..dockerfile import expand
from ..dockerfile.instructions import Workdir
from ..layer.extract import safe_rmtree
from . import cachekey
from .imagefs import ImageFS
from .layerwrite import TarItem, with_mode, write_items
from .state import StageState
from .step import Op, StepBuilder

__all__ = ["workdir_op"]


def workdir_op(b: StepBuilder, state: StageState, ins: Workdir) -> Op | None:
    path = posixpath.normpath(
        posixpath.join(state.workdir, expand(ins.path, state.expansion_env()))
    )
    state.cfg["WorkingDir"] = path
    state.touch()
    if path == "/":
        return None
    owner = b.user_ids(state, state.user, ins) if state.user else (0, 0)
    key = cachekey.workdir_key(state.chain, path=path, owner=owner)

    def produce() -> tuple[dict[str, Any] | None, str | None]:
        fs = ImageFS(b.store, state.image(b.store))
        target = fs.resolve(path)
        parts = target.split("/")
        missing = [
            "/".join(parts[: i + 1])
            for i in range(len(parts))
            if fs.lstat_raw("/".join(parts[: i + 1])) is None
        ]
        if not missing:
            return None, None
        staging = b.store.tmp_path("workdir")
        try:
            os.chmod(staging, 0o755)
            st = with_mode(os.lstat(staging), 0o755)
            items = [TarItem(name, staging, st, owner) for name in missing]
            return write_items(b.store, items)
        finally:
            safe_rmtree(staging)

    return Op(key, f"WORKDIR {path}", produce)
