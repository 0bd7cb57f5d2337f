"""FROM's own phase: unpack a packed base (pulled, loaded) before the first step that reads it.

BuildKit shows the extraction under FROM; without this, the first step that reads files (often
a WORKDIR) was charged with the whole unpacking, and looked slow for no reason of its own.
"""

from __future__ import annotations

import os
import time

from ..dockerfile import Stage
from ..dockerfile import instructions as ins
from ..snapshot.prepare import lower_dirs
from ..snapshot.unpack import snapshot_path
from .state import StageState
from .step import StepBuilder

__all__ = ["unpack_base"]

READS_FILES = (ins.Run, ins.Copy, ins.Add, ins.Workdir)


def unpack_base(b: StepBuilder, state: StageState, stage: Stage) -> None:
    """Unpack the stage's base now, said on FROM's output, when a later step will read it."""
    if not state.layers or not any(isinstance(i, READS_FILES) for i in stage.instructions):
        return
    image = state.image(b.store)
    packed = [d for d in image.diff_ids if not os.path.isdir(snapshot_path(b.store, d))]
    if not packed:
        return
    start = time.monotonic()
    lower_dirs(b.store, image)
    took = time.monotonic() - start
    n = len(packed)
    text = f"unpacked {n} layer{'s' * (n != 1)} of {state.base_ref} in {took:.1f}s\n"
    b.emit({"event": "log", "id": b.current_id, "stream": "stdout", "data": text})
