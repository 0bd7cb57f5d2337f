"""The log of a build's steps: progress events out, step objects for the record, miss reasons.

A step object (one per executed instruction) is what ``--metadata-file`` and the build record
hold: instruction as written, stage, line, cache key and its components, cached, duration,
layer, and for a miss the reason against the closest previous build (``explain.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from ..dockerfile import Stage
from ..dockerfile import instructions as ins
from . import explain
from .cachekey import CacheKey
from .options import Event, EventSink

__all__ = ["StepLog", "is_build_step"]

# How many builds back a step is looked for when the previous build stopped before it.
LOOKBACK = 20
_OPS = (ins.Run, ins.Copy, ins.Add, ins.Workdir)

Record = Mapping[str, Any]


def _stage_name(stage: Stage) -> str:
    return stage.name or str(stage.index)


def is_build_step(stage: Stage, item: ins.Instruction) -> bool:
    """BuildKit's vertices: FROM (but not ``FROM scratch``), RUN, COPY, ADD, WORKDIR. The other
    instructions only edit the image config: no vertex, no cache, nothing to show as a step."""
    if isinstance(item, ins.From):
        return stage.base.lower() != "scratch"
    return isinstance(item, _OPS)


def _vertex_total(stage: Stage) -> int:
    return sum(1 for i in (stage.from_, *stage.instructions) if is_build_step(stage, i))


class StepLog:
    def __init__(
        self,
        emit: EventSink | None,
        previous: dict[str, Any] | None,
        stages: int,
        older: Callable[[Record], Record | None] | None = None,
    ) -> None:
        self._emit = emit
        self.previous = previous
        # the build before a given one (its record's "previous"), to look further back
        self._older = older
        self._chain: list[Record] = [previous] if previous else []
        self._taken: dict[str, set[int]] = {}  # record id -> ids of its steps compared with
        self._args: dict[str, set[str]] = {}  # stage -> ARG names declared so far
        self._vertices: dict[str, int] = {}  # stage -> build steps begun so far
        # chain key -> environment changes reported at or above it: a build argument's change
        # is told on the first step that sees it; later steps say their parent changed
        self._env_told: dict[str, frozenset[tuple[str, Any, Any]]] = {}
        self._env_pending: frozenset[tuple[str, Any, Any]] = frozenset()
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
        """A step starts. ``pos``/``total`` count every instruction; the label shown counts
        build steps only, as BuildKit does (``[2/3]``; metadata instructions have none)."""
        self.current_id += 1
        name = _stage_name(stage)
        meta = not is_build_step(stage, item)
        if isinstance(item, ins.Arg):
            self._args.setdefault(name, set()).update(d.name for d in item.args)
        self.open_step = {
            "id": self.current_id,
            "stage": name,
            "index": pos - 1,
            "line": item.line,
            "end_line": item.end_line,
            "instruction": item.original.strip(),
            "started": time.monotonic(),
        }
        label = ""
        if not meta:
            self._vertices[name] = self._vertices.get(name, 0) + 1
            label = f"{self._vertices[name]}/{max(_vertex_total(stage), self._vertices[name])}"
            if self.multi_stage:
                label = f"{stage.name or f'stage-{stage.index}'} {label}"
        event: dict[str, Any] = {
            "event": "step",
            "id": self.current_id,
            "stage": name,
            "pos": label,
            "instruction": item.original.strip(),
            "line": item.line,
        }
        if meta:
            event["meta"] = True
            self.open_step["meta"] = True
        self.emit(event)
        return self.current_id

    def produced(self, chain: str, label: str, reason: dict[str, Any] | None) -> None:
        """``chain`` is the state after the step ``label``; ``reason`` is its miss (None: hit)."""
        self.step_of_chain[chain] = label
        self._env_told[chain] = self._env_pending if reason is not None else frozenset()
        self._env_pending = frozenset()
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

    def _previous_step(
        self, stage: Stage, index: int, instruction: str, components: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """The step to compare with in the last build that reached it: when the previous build
        failed before this step (or failed at it without recording its inputs), look further
        back, following each record's "previous"."""
        for n in range(LOOKBACK):
            if n == len(self._chain):
                older = self._older(self._chain[-1]) if self._older and self._chain else None
                if older is None:
                    return None
                self._chain.append(older)
            record = self._chain[n]
            taken = self._taken.setdefault(str(record.get("id")), set())
            found = explain.find_previous_step(
                record.get("steps") or [],
                _stage_name(stage),
                index,
                components,
                instruction,
                taken,
                {i.original.strip() for i in (stage.from_, *stage.instructions)},
            )
            if found is not None and found.get("id") is not None:
                taken.add(found["id"])  # each earlier step stands for one step of this build
            if found is not None and found.get("components") is not None:
                return found
            if found is None and record.get("status") != "failed":
                return None
        return None

    def _context(self, stage: Stage, item: ins.Instruction, key: CacheKey) -> explain.Context:
        parent = key.components.get("parent") or ""
        ctx = explain.Context(
            parent_step=self.step_of_chain.get(parent),
            cause=self.cause_of_chain.get(parent),
            args=frozenset(self._args.get(_stage_name(stage), ())),
            explained_env=self._env_told.get(parent, frozenset()),
        )
        source = key.components.get("source") or key.components.get("chain") or ""
        if isinstance(item, ins.Copy) and item.from_:
            ctx.stage = item.from_
        elif key.components.get("op") == "stage":
            ctx.stage = str(key.notes.get("ref") or "") or None
        if isinstance(item, ins.Run):
            ctx.mount_stages = tuple(m.option("from") for m in item.mounts)
            ctx.causes = self.cause_of_chain
        if ctx.stage:
            ctx.stage_step = self.step_of_chain.get(source)
            ctx.stage_cause = self.cause_of_chain.get(source)
        return ctx

    def reason(
        self, stage: Stage, index: int, item: ins.Instruction, key: CacheKey, no_cache: bool
    ) -> dict[str, Any]:
        if self.open_step is not None and self.open_step.get("id") == self.current_id:
            # what a failed step is compared by when the build is run again
            self.open_step.update(components=key.components, notes=key.notes)
        if not is_build_step(stage, item):
            return {"kind": "config", "changes": [], "summary": "edits the image config"}
        if no_cache:
            return dict(explain.NO_CACHE)
        if self.previous is None:
            return dict(explain.NO_PREVIOUS)
        text = item.original.strip()
        prev = self._previous_step(stage, index, text, key.components)
        if prev is None:
            summary = "a new step: nothing like it in the previous build"
            return {"kind": "new step", "changes": [], "summary": summary}
        ctx = self._context(stage, item, key)
        reason = explain.explain_miss(text, key.components, key.notes, prev, ctx)
        self._env_pending = ctx.explained_env | explain.env_changes_of(reason)
        return reason

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
        if not is_build_step(stage, item):
            step["meta"] = True  # a config edit: nothing was cached or built
        elif not cached:
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
