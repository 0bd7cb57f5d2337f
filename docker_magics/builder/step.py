"""What a step module and the executor share: the operation record and the builder it runs in.

The step modules (``copy_step``, ``run_step``, ``workdir_step``, ...) are called by the executor
and need a few of its services; they see them through ``StepBuilder`` so that neither side has to
import the other (the executor imports the steps, the steps import only this module).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from . import cachekey

if TYPE_CHECKING:
    from ..dockerfile import instructions as ins
    from ..errors import DockerfileError
    from ..store.store import Store
    from .cache import CacheIndex
    from .context import BuildContext
    from .options import BuildOptions, Event
    from .state import StageState

__all__ = ["Op", "StepBuilder"]


@dataclass
class Op:
    """An operation step: its key, its history text, and how to run it on a miss."""

    key: cachekey.CacheKey
    created_by: str
    produce: Callable[[], tuple[dict[str, Any] | None, str | None]]


class StepBuilder(Protocol):
    """The builder's services a step uses (``executor.Builder`` provides them)."""

    store: Store
    opts: BuildOptions
    filename: str
    cache: CacheIndex
    context: BuildContext
    cleanup: list[str]
    meta_args: dict[str, str | None]
    platform: str

    @property
    def backend(self) -> Any: ...

    @property
    def current_id(self) -> int: ...

    def emit(self, event: Event) -> None: ...

    def error(self, item: ins.Instruction, message: str) -> DockerfileError: ...

    def user_ids(self, state: StageState, user: str, item: ins.Instruction) -> tuple[int, int]: ...

    def chown_ids(self, state: StageState, spec: str, item: ins.Instruction) -> tuple[int, int]: ...

    def stage_for_copy(self, ref: str, item: ins.Instruction) -> StageState: ...
