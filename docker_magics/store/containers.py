"""Container records: `containers/<id>/container.json` plus the container's own directories.

The record is rewritten atomically on every state change; the directory is created under tmp/ and
renamed into place, so a crash never leaves half a container.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import ConflictError, NotFoundError, StoreError
from .atomic import atomic_write_json
from .lock import locked

__all__ = ["Container", "ContainerStore"]

_ADJ = "admiring brave calm clever eager focused gentle happy jolly keen lucid modest nifty quirky \
serene sharp tender vibrant wise zealous".split()
_NOUN = "babbage curie darwin euler fermi galileo hopper johnson kepler lovelace meitner newton \
noether pascal ritchie shannon tesla turing wozniak yonath".split()


@dataclass
class Container:
    id: str
    name: str
    image: str  # image ID (config digest)
    image_ref: str  # what the user typed, for `ps`
    manifest_digest: str
    config: dict[str, Any]  # Env, Cmd, Entrypoint, WorkingDir, User, ...
    argv: list[str]
    created: float
    rootfs_mode: str  # "overlay" or "copy"
    runtime: str
    state: str = "created"  # created, running, restarting (between runs), exited
    pid: int | None = None
    exit_code: int | None = None
    started: float | None = None
    finished: float | None = None
    labels: dict[str, str] = field(default_factory=dict)
    # Restart policy bookkeeping (engine/restart.py): restarts since the last `start` by the
    # user, a `stop`/`kill` by the user (no restart after it), and the detached container's
    # monitor process (a record that says "restarting" dies with it).
    restart_count: int = 0
    manually_stopped: bool = False
    monitor_pid: int | None = None
    health: dict[str, Any] | None = None  # Docker's State.Health (engine/health.py)
    # The process that started it and writes its exit code ("pid:start time", see
    # engine/containers.py): while it lives, a gone container process is not yet a crash.
    writer: str | None = None

    @property
    def short_id(self) -> str:
        return self.id[:12]


class ContainerStore:
    def __init__(self, root: str, tmp_dir: str) -> None:
        self.root = root
        self.tmp_dir = tmp_dir
        self.lock_path = os.path.join(os.path.dirname(root), "containers.lock")

    def dir(self, cid: str) -> str:
        return os.path.join(self.root, cid)

    def _record(self, cid: str) -> str:
        return os.path.join(self.root, cid, "container.json")

    def all(self) -> list[Container]:
        out = []
        for cid in sorted(os.listdir(self.root)):
            try:
                out.append(self.load(cid))
            except (NotFoundError, StoreError):
                continue
        return sorted(out, key=lambda c: c.created, reverse=True)

    def load(self, cid: str) -> Container:
        try:
            with open(self._record(cid)) as fh:
                return Container(**json.load(fh))
        except FileNotFoundError:
            raise NotFoundError(f"no such container: {cid}")
        except (ValueError, TypeError) as exc:
            raise StoreError(f"container record {cid} is corrupt: {exc}")

    def save(self, c: Container) -> None:
        # Run state changes often and is re-derived from the live pid (engine refresh), so a
        # record that rolls back after a power cut costs nothing: skip the fsyncs.
        atomic_write_json(self._record(c.id), asdict(c), durable=False)

    def resolve(self, name_or_id: str) -> Container:
        text = name_or_id.strip().lstrip("/")
        containers = self.all()
        for c in containers:
            if c.name == text or c.id == text:
                return c
        hits = [c for c in containers if len(text) >= 3 and c.id.startswith(text)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise NotFoundError(f"container ID prefix {text!r} is ambiguous")
        raise NotFoundError(f"no such container: {name_or_id}")

    def _free_name(self) -> str:
        taken = {c.name for c in self.all()}
        rng = random.Random()
        for _ in range(1000):
            name = f"{rng.choice(_ADJ)}_{rng.choice(_NOUN)}"
            if name not in taken:
                return name
        return f"container_{secrets.token_hex(4)}"

    def create(self, fields: dict[str, Any], name: str | None, cid: str | None = None) -> Container:
        """Reserve the name and make the directory, atomically with respect to other processes.

        ``cid``: the ID, when the caller needed it before (a default hostname is derived from
        it, so the record is complete when first written)."""
        with locked(self.lock_path):
            if name:
                if any(c.name == name for c in self.all()):
                    raise ConflictError(
                        f'the container name "{name}" is already in use; remove it (rm -f {name}) '
                        "or choose another --name"
                    )
            else:
                name = self._free_name()
            cid = cid or secrets.token_hex(32)
            c = Container(id=cid, name=name, created=time.time(), **fields)
            staging = os.path.join(self.tmp_dir, f"container-{os.getpid()}-{cid[:12]}")
            os.makedirs(staging)
            # Not fsynced, as `save` is not: a container lost to a power cut had not run yet
            # (its name is reserved by the lock, not by the disk), and `run` should not wait.
            atomic_write_json(os.path.join(staging, "container.json"), asdict(c), durable=False)
            os.rename(staging, self.dir(cid))
            return c

    def update(
        self, cid: str, *, only_if: dict[str, Any] | None = None, **changes: Any
    ) -> Container:
        """Change fields of the record; with ``only_if``, only while it still has those values
        (else it is returned as another process left it)."""
        with locked(self.lock_path):
            c = self.load(cid)
            if only_if and any(getattr(c, k) != v for k, v in only_if.items()):
                return c
            for key, value in changes.items():
                setattr(c, key, value)
            self.save(c)
            return c
