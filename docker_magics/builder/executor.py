"""Walk a Dockerfile's stages and execute their steps against the store, with the cache.

Only the stages the target needs are built, each once, on first use (``FROM stage``,
``COPY --from=stage``). Each instruction is one step: operations (RUN, COPY, ADD, WORKDIR) have a
cache key and produce at most one layer; metadata instructions edit the config. A step is looked
up in the cache by key; a miss runs it and records the result, so a failed build keeps the cache
of every step that succeeded. Progress goes out as events (``options.Event``), never printed.
"""

from __future__ import annotations

import copy
import os
import time
from typing import Any

from ..dockerfile import Dockerfile, Stage, expand, parse_stages
from ..dockerfile import instructions as ins
from ..engine.passwd import resolve_user
from ..errors import (
    DiskFullError,
    DockerfileError,
    DockerMagicsError,
    Interrupted,
    RuntimeBackendError,
)
from ..layer.extract import safe_rmtree
from ..oci.image import history_entry, host_platform, timestamp
from ..oci.reference import parse_reference
from ..snapshot.prepare import RootfsPlan
from ..store.store import Store
from . import cachekey
from .args import foreign_platform, global_args, platform_args
from .base_unpack import unpack_base
from .cache import CacheIndex
from .context import BuildContext, load_ignore
from .copy_step import copy_op
from .imagefs import ImageFS
from .layerwrite import empty_layer
from .meta_steps import META_HANDLERS
from .options import BuildOptions, BuildResult, Event, EventSink
from .record import new_record_id, older_record, previous_record, save_record
from .resolve import resolve_image
from .run_step import run_op
from .state import StageState
from .step import Op
from .steplog import StepLog
from .workdir_step import workdir_op

__all__ = ["Builder", "build"]

HISTORY_COMMENT = "buildkit.dockerfile.v0"


class Builder:
    def __init__(self, store: Store, opts: BuildOptions, emit: EventSink | None = None) -> None:
        self.store = store
        self.opts = opts
        context = os.path.abspath(opts.context)
        self.dockerfile_path = os.path.abspath(
            opts.dockerfile or os.path.join(context, "Dockerfile")
        )
        self.filename = opts.dockerfile or "Dockerfile"
        if opts.dockerfile_text is not None:
            text = opts.dockerfile_text
        else:
            try:
                with open(self.dockerfile_path, encoding="utf-8") as fh:
                    text = fh.read()
            except OSError as exc:
                raise DockerfileError(
                    f"cannot read the Dockerfile: {exc.strerror}", filename=self.filename
                )
        self.df: Dockerfile = parse_stages(text, self.filename)
        if not self.df.stages:
            raise DockerfileError("the Dockerfile has no FROM instruction", filename=self.filename)
        for tag in opts.tags:
            parse_reference(tag)  # a bad tag fails before any work
        self.cache = CacheIndex(store)
        self.context = BuildContext(
            context,
            load_ignore(context, self.dockerfile_path if opts.dockerfile else None),
            self.cache.memo_path(context),
        )
        plat = host_platform()
        predefined = platform_args(plat)
        self.platform = predefined["TARGETPLATFORM"]
        self.meta_args = global_args(self.df.meta_args, opts.build_args, predefined, self.df.escape)
        self.states: dict[int, StageState] = {}
        self.building: list[int] = []
        self.cleanup: list[str] = []
        self._backend: Any = None
        self.record_id = new_record_id()
        self.previous = previous_record(store, self.dockerfile_path, opts.tags, self.record_id)
        self.log = StepLog(
            emit, self.previous, len(self.df.stages), lambda r: older_record(store, r)
        )

    # -- helpers used by the step modules -----------------------------------------------------
    def emit(self, event: Event) -> None:
        self.log.emit(event)

    @property
    def current_id(self) -> int:
        return self.log.current_id

    @property
    def backend(self) -> Any:
        if self._backend is None:
            from ..engine.containers import backend_for

            self._backend = backend_for(self.opts.runtime)
        return self._backend

    def error(self, item: ins.Instruction, message: str) -> DockerfileError:
        return DockerfileError(
            message,
            filename=self.filename,
            line=item.line,
            end_line=item.end_line,
            source=item.original,
        )

    def user_ids(self, state: StageState, user: str, item: ins.Instruction) -> tuple[int, int]:
        plan = RootfsPlan(
            mode="overlay", lowerdirs=tuple(ImageFS(self.store, state.image(self.store)).lowers)
        )
        try:
            uid, gid, _home = resolve_user(plan, user)
        except RuntimeBackendError as exc:
            raise self.error(item, str(exc))
        return uid, gid

    def chown_ids(self, state: StageState, spec: str, item: ins.Instruction) -> tuple[int, int]:
        user, _, group = spec.partition(":")
        if user.isdigit() and (not group or group.isdigit()):
            return int(user), int(group or user)
        return self.user_ids(state, spec, item)

    def stage_for_copy(self, ref: str, item: ins.Instruction) -> StageState:
        """``--from``: an earlier stage by name or index, else an image (pulled if missing)."""
        current = self.building[-1] if self.building else len(self.df.stages)
        for stage in self.df.stages:
            if stage.name == ref.lower() or (ref.isdigit() and stage.index == int(ref)):
                if stage.index >= current:
                    raise self.error(item, f"--from={ref} refers to this stage or a later one")
                return self.stage_state(stage)
        image = resolve_image(self, ref, item, f"undefined --from={ref} (no such stage)")
        return StageState.from_image(ref, image, image.manifest_digest, ref)

    # -- stages -------------------------------------------------------------------------------
    def stage_state(self, stage: Stage) -> StageState:
        if stage.index not in self.states:
            if stage.index in self.building:
                raise self.error(stage.from_, "circular dependency between stages")
            self.building.append(stage.index)
            try:
                self.states[stage.index] = self._build_stage(stage)
            finally:
                self.building.pop()
        return self.states[stage.index]

    def _from(self, stage: Stage) -> tuple[StageState, cachekey.CacheKey]:
        scope = {k: v for k, v in self.meta_args.items() if v is not None}
        base = expand(stage.base, scope, self.df.escape)
        name = stage.name or str(stage.index)
        for other in self.df.stages[: stage.index]:
            if other.name is not None and other.name == base.lower():
                prev = self.stage_state(other)
                state = StageState.from_image(name, None, prev.chain, base)
                state.config, state.layers = copy.deepcopy(prev.config), list(prev.layers)
                return state, cachekey.key_of({"op": "stage", "chain": prev.chain}, {"ref": base})
        if base == "scratch":
            key = cachekey.from_key(None, self.platform, ref=base)
            return StageState.from_image(name, None, key.digest, base), key
        image = resolve_image(self, base, stage.from_, f"base image {base!r}")
        key = cachekey.from_key(image.manifest_digest, self.platform, ref=base)
        return StageState.from_image(name, image, key.digest, base), key

    def _stages_first(self, stage: Stage, state: StageState | None, item: ins.Instruction) -> None:
        """Build the stages a step reads (``FROM stage``, ``COPY --from``, ``RUN --mount=from=``)
        before the step begins, so each step's progress comes together (BuildKit's vertices:
        a dependency completes before the step that reads it starts)."""
        scope = state.expansion_env() if state is not None else {}
        if isinstance(item, ins.From):
            refs = [expand(stage.base, {k: v for k, v in self.meta_args.items() if v is not None})]
        elif isinstance(item, ins.Copy) and item.from_:
            refs = [expand(item.from_, scope)]
        elif isinstance(item, ins.Run):
            refs = [expand(v, scope) for m in item.mounts for k, v in m.options if k == "from"]
        else:
            return
        for ref in refs:
            for other in self.df.stages[: stage.index]:
                if other.name == ref.lower() or (ref.isdigit() and other.index == int(ref)):
                    self.stage_state(other)

    def _build_stage(self, stage: Stage) -> StageState:
        total = len(stage.instructions) + 1
        start = time.monotonic()
        self._stages_first(stage, None, stage.from_)
        sid = self._begin(stage, stage.from_, 1, total)
        bad = foreign_platform(stage.platform, self.meta_args, self.platform, self.df.escape)
        if bad:
            raise self.error(stage.from_, bad)
        state, key = self._from(stage)
        unpack_base(self, state, stage)
        cached = self.cache.get(key.digest) is not None and not self._no_cache(stage)
        self.cache.put(key.digest, {"layer": None})
        self._finish(sid, stage, 0, stage.from_, key, cached, start, None)
        self.log.produced(
            state.chain,
            f"line {stage.from_.line}: {stage.from_.original.strip()}",
            self.log.steps[-1].get("reason"),
        )
        self._onbuild(stage, state)
        for pos, item in enumerate(stage.instructions, start=2):
            self._step(stage, state, item, pos, total)
        return state

    def _onbuild(self, stage: Stage, state: StageState) -> None:
        triggers = state.cfg.get("OnBuild") or []
        if not triggers:
            return
        state.cfg["OnBuild"] = None
        text = "FROM scratch\n" + "\n".join(triggers) + "\n"
        parsed = parse_stages(text, f"{self.filename} (ONBUILD of {state.base_ref})")
        for item in parsed.stages[0].instructions:
            self._step(stage, state, item, 1, len(stage.instructions) + 1)

    # -- steps --------------------------------------------------------------------------------
    def _op_for(self, state: StageState, item: ins.Instruction) -> Op | None:
        if isinstance(item, ins.Run):
            return run_op(self, state, item)
        if isinstance(item, (ins.Copy, ins.Add)):
            return copy_op(self, state, item)
        if isinstance(item, ins.Workdir):
            return workdir_op(self, state, item)
        return None

    def _step(
        self, stage: Stage, state: StageState, item: ins.Instruction, pos: int, total: int
    ) -> None:
        self._stages_first(stage, state, item)
        start = time.monotonic()
        sid = self._begin(stage, item, pos, total)
        index = pos - 1
        if isinstance(item, ins.From):
            raise self.error(item, "ONBUILD FROM is not allowed")
        handler = META_HANDLERS.get(type(item))
        if handler is not None:
            parent = state.chain
            created_by = handler(self, state, item)
            state.touch()
            key = cachekey.key_of(
                {"op": "meta", "parent": parent, "instruction": created_by or item.original}
            )
            entry = self.cache.get(key.digest)
            if created_by is not None:
                created = (entry or {}).get("created") or timestamp()
                state.add(
                    history_entry(
                        created_by, comment=HISTORY_COMMENT, empty_layer=True, created=created
                    ),
                    None,
                    None,
                )
                if entry is None:
                    self.cache.put(key.digest, {"layer": None, "created": created})
            cached = entry is not None and not self._no_cache(stage)
            self._finish(sid, stage, index, item, key, cached, start, None)
            return
        op = self._op_for(state, item)
        if op is None:  # WORKDIR /
            state.add(
                history_entry(
                    f"WORKDIR {state.workdir}", comment=HISTORY_COMMENT, empty_layer=True
                ),
                None,
                None,
            )
            key = cachekey.key_of({"op": "meta", "parent": state.chain, "instruction": "WORKDIR /"})
            self._finish(sid, stage, index, item, key, not self._no_cache(stage), start, None)
            return
        self._run_op(stage, state, item, op, sid, index, start)

    def _begin(self, stage: Stage, item: ins.Instruction, pos: int, total: int) -> int:
        return self.log.begin(stage, item, pos, total)

    def _finish(
        self,
        sid: int,
        stage: Stage,
        index: int,
        item: ins.Instruction,
        key: cachekey.CacheKey,
        cached: bool,
        start: float,
        layer: dict[str, Any] | None,
        reason: dict[str, Any] | None = None,
    ) -> None:
        if not cached and reason is None:
            reason = self.log.reason(stage, index, item, key, self._no_cache(stage))
        self.log.finish(
            sid, stage, index, item, key, cached=cached, start=start, layer=layer, reason=reason
        )

    def _no_cache(self, stage: Stage) -> bool:
        if self.opts.no_cache:
            return True
        names = {stage.name, str(stage.index)}
        return any(f.lower() in names for f in self.opts.no_cache_filter)

    def _run_op(
        self,
        stage: Stage,
        state: StageState,
        item: ins.Instruction,
        op: Op,
        sid: int,
        index: int,
        start: float,
    ) -> None:
        no_cache = self._no_cache(stage)
        entry = None if no_cache else self.cache.get(op.key.digest)
        if entry is not None or no_cache:
            self._make_op(stage, state, item, op, sid, index, start, entry)
            return
        with self.cache.producing(op.key.digest):  # one build at a time makes a given step
            entry = self.cache.get(op.key.digest)  # made by another build while we waited?
            self._make_op(stage, state, item, op, sid, index, start, entry)

    def _make_op(
        self,
        stage: Stage,
        state: StageState,
        item: ins.Instruction,
        op: Op,
        sid: int,
        index: int,
        start: float,
        entry: dict[str, Any] | None,
    ) -> None:
        """Apply the step to ``state``: from its cache ``entry``, or by making it."""
        no_cache = self._no_cache(stage)
        reason = None
        if entry is not None:
            layer, diff_id, created = entry.get("layer"), entry.get("diff_id"), entry.get("created")
            chain = entry.get("chain") or op.key.digest
            if layer is None or diff_id is None:  # recorded before every op had a layer
                layer, diff_id = empty_layer(self.store)
        else:
            reason = self.log.reason(stage, index, item, op.key, no_cache)
            self.log.miss(sid, reason)
            try:
                layer, diff_id = op.produce()
                if layer is None or diff_id is None:
                    layer, diff_id = empty_layer(self.store)
            except DiskFullError as exc:  # same error, but naming the Dockerfile line
                where = f"{self.filename}:{item.line}: {item.original.strip()!r}: {exc.what}"
                raise DiskFullError(where, exc.path) from exc
            created = timestamp()
            chain = op.key.digest
            if no_cache:
                # A forced re-execution may give other content under the same key: whatever
                # depends on it (later steps, FROM this stage, COPY --from) must not reuse
                # results made from the old content, so the chain continues from a new value,
                # which later hits of this key continue from as well.
                chain = cachekey.key_of(
                    {"op": "rebuilt", "key": op.key.digest, "build": self.record_id}
                ).digest
        hist = history_entry(op.created_by, comment=HISTORY_COMMENT, created=created)
        state.add(hist, layer, diff_id)
        state.chain = chain
        self.log.produced(state.chain, f"line {item.line}: {item.original.strip()}", reason)
        if entry is None:
            image = state.image(self.store)
            self.cache.put(
                op.key.digest,
                {
                    "layer": layer,
                    "diff_id": diff_id,
                    "chain": chain,
                    "created": created,
                    "image": image.manifest_digest,
                    "config": image.config_digest,
                },
            )
        self._finish(sid, stage, index, item, op.key, entry is not None, start, layer, reason)

    def target_stage(self) -> Stage:
        if self.opts.target is None:
            return self.df.stages[-1]
        try:
            return self.df.stage(self.opts.target)
        except KeyError:
            names = ", ".join(s.name for s in self.df.stages if s.name) or "none"
            raise DockerfileError(
                f"target stage {self.opts.target!r} could not be found (stages: {names})",
                filename=self.filename,
            )

    def run(self) -> BuildResult:
        record: dict[str, Any] = {
            "id": self.record_id,
            "dockerfile": self.dockerfile_path,
            "context": self.context.root,
            "tags": list(self.opts.tags),
            "target": self.opts.target,
            "build_args": dict(self.opts.build_args),
            "no_cache": self.opts.no_cache,
            "previous": self.previous.get("id") if self.previous else None,
            "started": time.time(),
            "steps": self.log.steps,
        }
        try:
            with self.store.writing():
                state = self.stage_state(self.target_stage())
                if self.opts.labels:
                    state.cfg["Labels"] = {**(state.cfg.get("Labels") or {}), **self.opts.labels}
                    state.touch()
                image = state.image(self.store)
                for tag in self.opts.tags:
                    self.store.images.tag(image, tag)
                if not self.opts.tags:
                    self.store.images.keep_untagged(image)
        except KeyboardInterrupt as exc:
            raise self._interrupted(record) from exc
        except DockerMagicsError as exc:
            self.log.fail(str(exc))
            record.update(status="failed", error=str(exc), finished=time.time())
            save_record(self.store, record)
            setattr(exc, "build_record", record)  # noqa: B010 (for --metadata-file on failure)
            self.emit({"event": "error", "id": self.current_id, "message": str(exc)})
            raise
        finally:
            self.context.save_memo()
            for path in self.cleanup:
                safe_rmtree(path)
        record.update(
            status="ok", image=image.manifest_digest, image_id=image.id, finished=time.time()
        )
        save_record(self.store, record)
        self.emit(
            {
                "event": "result",
                "image": image.id,
                "record": self.record_id,
                "tags": list(self.opts.tags),
            }
        )
        return BuildResult(image, self.log.steps, self.record_id, record)

    def _interrupted(self, record: dict[str, Any]) -> Interrupted:
        """Ctrl-C / a kernel interrupt: the step that was running is recorded as interrupted
        (finished steps stay in the cache) and the user is told where the build stopped."""
        step = self.log.open_step or {}
        where = "build interrupted"
        if step.get("line") is not None:
            where += f" at line {step['line']} ({step.get('instruction', '')})"
        self.log.fail("interrupted")
        record.update(status="interrupted", error=where, finished=time.time())
        save_record(self.store, record)
        self.emit({"event": "interrupted", "id": step.get("id"), "message": where})
        return Interrupted(where)


def build(store: Store, opts: BuildOptions, emit: EventSink | None = None) -> BuildResult:
    return Builder(store, opts, emit).run()
