"""The log of a build's steps: progress events out, step objects for the record, miss reasons.

A step object (one per executed instruction) is what ``--metadata-file`` and the build record
hold: instruction as written, stage, line, cache key and its components, cached, duration,
layer, and for a miss the reason against the closest previous build (``explain.py``).
"""

from __future__ import annotations

import time
from typing import Any

from ..dockerfile import Stage
from ..dockerfile import instructions as ins
from . import explain
from .cachekey import CacheKey
from .options import Event, EventSink

__all__ = ["StepLog"]


def _stage_name(stage: Stage) -> str:
    return stage.name or str(stage.index)


class StepLog:
    def __init__(
        self, emit: EventSink | None, previous: dict[str, Any] | None, stages: int
    ) -> None:
        self._emit = emit
        self.previous = previous
        self.multi_stage = stages > 1
        self.steps: list[dict[str, Any]] = []
        self.current_id = 0
        # chain key -> "line N: INSTRUCTION" of the step that produced it, for "parent changed"
        self.step_of_chain: dict[str, str] = {}
        # chain key -> the first miss it descends from in this build ({"step", "summary"}), so
        # that "parent changed" can say what changed at the root (a file, a base image)
        self.cause_of_chain: dict[str, dict[str, str]] = {}
        self.open_step: dict[str, Any] | None = None  # begun, not finished (for a failure)
        self._miss_sent: set[int] = set()

    def emit(self, event: Event) -> None:
        if self._emit is not None:
            self._emit(event)

    def begin(self, stage: Stage, item: ins.Instruction, pos: int, total: int) -> int:
        self.current_id += 1
        self.open_step = {
            "id": self.current_id,
            "stage": _stage_name(stage),
            "line": item.line,
            "end_line": item.end_line,
            "instruction": item.original.strip(),
            "started": time.monotonic(),
        }
        label = f"{pos}/{total}"
        if self.multi_stage:
            label = f"{stage.name or f'stage-{stage.index}'} {label}"
        self.emit(
            {
                "event": "step",
                "id": self.current_id,
                "stage": _stage_name(stage),
                "pos": label,
                "instruction": item.original.strip(),
                "line": item.line,
            }
        )
        return self.current_id

    def produced(self, chain: str, label: str, reason: dict[str, Any] | None) -> None:
        """``chain`` is the state after the step ``label``; ``reason`` is its miss (None: hit)."""
        self.step_of_chain[chain] = label
        if reason is None:
            return
        cause = reason.get("cause") if reason.get("kind") == "parent changed" else None
        if cause is None:
            cause = {"step": label, "summary": str(reason.get("summary") or "")}
        self.cause_of_chain[chain] = cause

    def miss(self, sid: int, reason: dict[str, Any]) -> None:
        """Announce a miss and why, before the step runs (its output comes after)."""
        self._miss_sent.add(sid)
        self.emit({"event": "miss", "id": sid, "reason": reason})

    def fail(self, message: str) -> None:
        """Record the step that was running when the build failed."""
        step = self.open_step
        if step is None:
            return
        started = step.pop("started")
        step.update(
            cached=False,
            duration_s=round(time.monotonic() - started, 3),
            layer=None,
            error=message,
        )
        self.steps.append(step)
        self.open_step = None

    def reason(
        self, stage: Stage, index: int, item: ins.Instruction, key: CacheKey, no_cache: bool
    ) -> dict[str, Any]:
        if no_cache:
            return dict(explain.NO_CACHE)
        if self.previous is None:
            return dict(explain.NO_PREVIOUS)
        prev = explain.find_previous_step(
            self.previous.get("steps") or [], _stage_name(stage), index, key.components
        )
        if prev is None:
            summary = "a new step: nothing like it in the previous build"
            return {"kind": "new step", "changes": [], "summary": summary}
        parent = key.components.get("parent") or ""
        return explain.explain_miss(
            item.original.strip(),
            key.components,
            key.notes,
            prev,
            parent_step=self.step_of_chain.get(parent),
            source_step=self.step_of_chain.get(key.components.get("source") or ""),
            cause=self.cause_of_chain.get(parent),
        )

    def finish(
        self,
        sid: int,
        stage: Stage,
        index: int,
        item: ins.Instruction,
        key: CacheKey,
        *,
        cached: bool,
        start: float,
        layer: dict[str, Any] | None,
        reason: dict[str, Any] | None,
    ) -> None:
        step: dict[str, Any] = {
            "id": sid,
            "stage": _stage_name(stage),
            "index": index,
            "line": item.line,
            "end_line": item.end_line,
            "instruction": item.original.strip(),
            "cache_key": key.digest,
            "cached": cached,
            "duration_s": round(time.monotonic() - start, 3),
            "layer": {"digest": layer["digest"], "size": layer["size"]} if layer else None,
            "components": key.components,
            "notes": key.notes,
        }
        if not cached:
            step["reason"] = reason
            if sid not in self._miss_sent and reason is not None:
                self.miss(sid, reason)
        self.steps.append(step)
        self.open_step = None
        self.emit(
            {
                "event": "done",
                **{k: step[k] for k in ("id", "cached", "duration_s", "layer")},
                "reason": step.get("reason"),
            }
        )
