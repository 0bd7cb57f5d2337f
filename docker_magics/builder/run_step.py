"""RUN: a temporary container from the current state, its change set committed as a layer.

The key (``cachekey.run_key``) is the parent chain key plus what the process sees: argv (SHELL
prefix included), environment (ENV and ARG values, proxy args excluded unless declared), user,
cwd, mount definitions and network mode. ``--mount=type=cache`` directories persist in the
store (``cache/mounts/``) and are bind-mounted; their contents never enter the key.
``--network=none`` runs the step with no network but loopback (a network namespace; under PRoot a
seccomp filter refusing IP sockets); ``default`` and ``host`` are the host's network.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import posixpath
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from ..dockerfile import expand
from ..dockerfile.heredocs import HeredocError, chomp, parse_heredoc
from ..dockerfile.instructions import Mount, Run
from ..engine.commit import container_changes
from ..engine.containers import (
    ContainerTimeout,
    RunOptions,
    create_container,
    remove_container,
    start_container,
)
from ..errors import BuildError, RuntimeBackendError
from ..layer.generate import write_layer
from ..layer.owner import owner_ops
from ..oci.digest import chain_ids
from ..oci.image import descriptor
from ..oci.mediatypes import OCI_LAYER
from ..phases import phase
from ..snapshot.ready import keep, settle
from ..snapshot.unpack import adopt_upper
from . import cachekey
from .bind_mount import context_bind, stage_bind, writable
from .lines import LineBuffer
from .secrets import secret_mount
from .state import StageState
from .step import Op, StepBuilder

__all__ = ["run_op", "run_argv"]

_TAIL_LINES = 20


PIPES = "/dev/pipes"  # where BuildKit mounts a ``#!`` heredoc script, read-only


def _single_heredoc(ins: Run) -> str | None:
    """The body when the command is exactly one heredoc (``RUN <<EOF``), chomped if ``<<-``."""
    if ins.exec_form or len(ins.heredocs) != 1:
        return None
    text = ins.command[0] if ins.command else ""
    try:
        opened = parse_heredoc(text.strip())
    except HeredocError:
        return None
    if opened is None or opened.name != ins.heredocs[0].name:
        return None
    body = ins.heredocs[0].content
    return chomp(body) if ins.heredocs[0].chomp else body


def heredoc_script(ins: Run) -> tuple[str, str] | None:
    """``(name, body)`` of a single heredoc starting with ``#!``: BuildKit writes it as a 0755
    file in ``/dev/pipes/`` and executes it directly, with no SHELL in front."""
    body = _single_heredoc(ins)
    if body is None or not body.startswith("#!"):
        return None
    return ins.heredocs[0].name, body


def run_argv(state: StageState, ins: Run) -> list[str]:
    """The process argv: exec form as is; shell form behind SHELL; heredocs as BuildKit does."""
    if ins.exec_form:
        return list(ins.command)
    script = heredoc_script(ins)
    if script is not None:
        return [f"{PIPES}/{script[0]}"]
    text = ins.command[0] if ins.command else ""
    body = _single_heredoc(ins)
    if body is not None:
        return [*state.shell, body]  # the body is the script
    if ins.heredocs:
        # The shell reads the heredocs itself: hand it the whole text, terminators included.
        text = text + "\n" + "".join(f"{h.content}{h.name}\n" for h in ins.heredocs)
    return [*state.shell, text]


def _mount(
    b: StepBuilder, state: StageState, ins: Run, m: Mount
) -> tuple[dict[str, Any], str | None]:
    """The key component of one mount, and the host dir to bind (None: nothing to bind)."""
    env = state.expansion_env()
    given = expand(m.target or "", env)
    # A relative target is below the working directory, for every mount type (BuildKit's
    # dispatchRunMounts joins it with the state's dir); `docker init` writes
    # `WORKDIR /app` + `--mount=type=bind,source=requirements.txt,target=requirements.txt`.
    target = posixpath.normpath(posixpath.join("/", state.workdir, given)) if given else ""
    if target == "/":
        raise b.error(ins, f'invalid mount target "{given}"')
    options = {k: expand(v, env) for k, v in m.options}
    if m.type == "cache":
        mount_id = options.get("id") or posixpath.normpath(given)  # BuildKit: the target as written
        return {"type": "cache", "target": target, "id": mount_id, **options}, b.cache.mount_dir(
            mount_id
        )
    if m.type == "tmpfs":
        path = b.store.tmp_path("tmpfs")
        b.cleanup.append(path)
        return {"type": "tmpfs", "target": target}, path
    if m.type == "secret":
        return secret_mount(b, ins, options, target)
    if m.type == "bind":
        if "from" in options:
            return stage_bind(b, state, ins, options, target)
        return context_bind(b, ins, options, target)
    raise b.error(ins, f"RUN --mount=type={m.type} is not supported yet")


def run_op(b: StepBuilder, state: StageState, ins: Run) -> Op:
    argv = run_argv(state, ins)
    arg_env = [
        f"{k}={v}" for k, v in state.args.items() if v is not None and k not in state.env_map()
    ]
    proxies = [
        f"{k}={v}"
        for k, v in b.opts.build_args.items()
        if k in cachekey.PROXY_ARGS and k not in state.args
    ]
    mounts, binds = [], []
    for m in ins.mounts:
        comp, host = _mount(b, state, ins, m)
        mounts.append(comp)
        if host is not None:
            read_only = comp["type"] == "secret" or (comp["type"] == "bind" and not writable(comp))
            binds.append(f"{host}:{comp['target']}" + (":ro" if read_only else ""))
    script = heredoc_script(ins)
    if script is not None:
        name, body = script
        pipes = b.store.tmp_path("pipes")
        b.cleanup.append(pipes)
        host = os.path.join(pipes, name)
        with open(host, "w", encoding="utf-8") as fh:
            fh.write(body)
        os.chmod(host, 0o755)
        os.chmod(pipes, 0o755)
        digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
        mounts.append({"type": "heredoc", "target": f"{PIPES}/{name}", "checksum": digest})
        binds.append(f"{pipes}:{PIPES}:ro")
    key = cachekey.run_key(
        state.chain,
        argv=argv,
        env=cachekey.key_env(state.env_list() + arg_env, state.args),
        user=state.user,
        workdir=state.workdir,
        platform=b.platform,
        mounts=mounts,
        network=ins.network or "default",
        security=ins.security or "sandbox",
    )
    shown_args = [f"{k}={v}" for k, v in state.args.items() if v is not None]
    prefix = f"|{len(shown_args)} {' '.join(shown_args)} " if shown_args else ""
    created_by = f"RUN {prefix}{' '.join(argv)} # buildkit"

    def produce() -> tuple[dict[str, Any] | None, str | None]:
        return _execute(b, state, ins, argv, arg_env + proxies, binds)

    return Op(key, created_by, produce)


def _network_hint(ins: Run, backend: str) -> str:
    if ins.network != "none":
        return ""
    if backend == "proot":
        return " (the step ran with --network=none: under PRoot every IP socket is refused)"
    return " (the step ran with --network=none: no network but its own loopback)"


class _Output:
    """The step's stdout and stderr as log events of whole lines (``lines.py``), and the last
    lines kept for the error message."""

    def __init__(self, b: StepBuilder, tail: deque[str]) -> None:
        self.b, self.tail, self.sid = b, tail, b.current_id
        self.lock = threading.Lock()  # two pipes and their idle timers feed one viewer
        self.buffers = {name: LineBuffer(self._emitter(name)) for name in ("stdout", "stderr")}

    def _emitter(self, stream: str) -> Callable[[str, bool], None]:
        def emit(text: str, partial: bool) -> None:
            event: dict[str, Any] = {"event": "log", "id": self.sid, "stream": stream, "data": text}
            if partial:
                event["partial"] = True
            with self.lock:
                if not partial:
                    self.tail.extend(text.splitlines())
                self.b.emit(event)

        return emit

    def sink(self, stream: str) -> Callable[[bytes], None]:
        # An incremental decoder: a UTF-8 character split between two chunks stays whole.
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        buffer = self.buffers[stream]
        return lambda data: buffer.feed(decoder.decode(data))

    def close(self) -> None:
        for buffer in self.buffers.values():
            buffer.close()


def _execute(
    b: StepBuilder, state: StageState, ins: Run, argv: list[str], env: list[str], binds: list[str]
) -> tuple[dict[str, Any] | None, str | None]:
    store = b.store
    # Handed to the container as it is: entered in the index for the step (and taken out after)
    # it made a kernel building the same step at the same time fail with "no such image".
    image = state.image(store)
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    output = _Output(b, tail)

    opts = RunOptions(
        image=image.manifest_digest,
        command=argv,
        entrypoint="",
        env=env,
        workdir=state.workdir,
        user=state.user,
        hostname="buildkitsandbox",
        volumes=binds,
        network="none" if ins.network == "none" else "host",
    )
    try:
        c = create_container(store, opts, b.backend, image)
    except RuntimeBackendError as exc:
        raise BuildError(f"line {ins.line}: {exc}", line=ins.line, instruction=ins.original)
    try:
        try:
            try:
                code = start_container(
                    store,
                    c,
                    b.backend,
                    out=output.sink("stdout"),
                    err=output.sink("stderr"),
                    timeout=b.opts.timeout,
                )
            finally:
                output.close()
        except ContainerTimeout as exc:
            raise BuildError(
                f"{b.filename}:{ins.line}: {ins.original.strip()!r} was still running after "
                f"--timeout {b.opts.timeout:g} s and was killed with every process it started; "
                "make the command finish or raise --timeout",
                line=ins.line,
                instruction=ins.original,
                exit_code=exc.exit_code,
                output_tail="\n".join(tail),
            )
        if code != 0:
            raise BuildError(
                f"{b.filename}:{ins.line}: {ins.original.strip()!r} did not complete "
                f"successfully: exit code {code}{_network_hint(ins, b.backend.name)}",
                line=ins.line,
                instruction=ins.original,
                exit_code=code,
                output_tail="\n".join(tail),
            )
        changes = container_changes(store, c)
        cdir = store.containers.dir(c.id)
        if not changes:
            if c.rootfs_mode == "copy" and image.diff_ids:  # still the image's tree
                keep(store, cdir, image.layers, chain_ids(list(image.diff_ids))[-1], [])
            return None, None
        with store.blobs.writer() as writer, phase("layer"):
            write_layer(iter(changes), writer, owner_ops())  # type: ignore[arg-type]
            diff_id = writer.commit()
        if c.rootfs_mode == "overlay":  # the next step's lower dir, without extracting it
            adopt_upper(store, diff_id, os.path.join(cdir, "upper"))
        else:  # the tree is now the next step's starting state: no copy for it
            settle(changes)
            chain = chain_ids([*image.diff_ids, diff_id])[-1]
            keep(store, cdir, image.layers, chain, [ch.path for ch in changes])
    finally:
        remove_container(store, c.id, force=True)
    return descriptor(OCI_LAYER, diff_id, store.blobs.size(diff_id)), diff_id
