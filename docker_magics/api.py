"""The Python API: one Engine per store. The CLI and the notebook magics are thin layers over it.

from docker_magics.api import Engine
eng = Engine(root="/tmp/store")
eng.import_image("rootfs.tar", "base")
code = eng.run("base", ["sh", "-c", "echo hi > /hi"], name="c1")
eng.commit("c1", "base-hi", message="Add hi")
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from .engine.options import RunOptions, Sink
from .errors import ConflictError, DockerMagicsError, NotFoundError, RuntimeBackendError
from .store.containers import Container
from .store.images import Image
from .store.store import Store


def _lazy(name: str) -> Any:
    class _Module:
        def __getattr__(self, attr: str) -> Any:
            module = importlib.import_module(f"docker_magics.engine.{name}")
            return getattr(module, attr)

    return _Module()


if TYPE_CHECKING:
    from .engine import archive, commit, containers, images, networks, system
    from .engine.images import HistoryRow
else:
    # Verbs load their modules on first use: `images` or `ps` should not pay for tarfile,
    # the runtime or the registry client (CLI start time is a target; see benchmarks/).
    archive = _lazy("archive")
    commit = _lazy("commit")
    containers = _lazy("containers")
    images = _lazy("images")
    networks = _lazy("networks")
    system = _lazy("system")

__all__ = ["Engine", "RunOptions"]


class Engine:
    def __init__(self, root: str | None = None, runtime: str | None = None) -> None:
        self.store = Store(root)
        self.runtime_name = runtime

    # -- images -------------------------------------------------------------------------------
    def import_image(
        self,
        source: str | BinaryIO,
        ref: str | None = None,
        *,
        message: str | None = None,
        changes: list[str] | None = None,
    ) -> Image:
        name = source if isinstance(source, str) else "a stream"
        with self.store.writing(f"importing {name}"):
            if isinstance(source, str):
                if source == "-":
                    return images.import_tarball(
                        self.store, sys.stdin.buffer, ref=ref, message=message, changes=changes
                    )
                try:
                    fh = open(source, "rb")
                except FileNotFoundError:
                    raise NotFoundError(f"{source}: no such file to import")
                with fh:
                    return images.import_tarball(
                        self.store,
                        fh,
                        ref=ref,
                        message=message,
                        changes=changes,
                        source_name=os.path.basename(source),
                    )
            return images.import_tarball(
                self.store, source, ref=ref, message=message, changes=changes
            )

    def images(self) -> list[Image]:
        return sorted(
            self.store.images.all(), key=lambda i: i.config.get("created", ""), reverse=True
        )

    def image(self, name: str) -> Image:
        return images.require_image(self.store, name)

    def tag(self, source: str, target: str) -> None:
        self.store.images.tag(self.image(source), target)

    def rmi(self, name: str, *, force: bool = False) -> list[str]:
        return images.remove_image(self.store, name, force=force)

    def history(self, name: str) -> list[HistoryRow]:
        self.image(name)
        return images.history_rows(self.store, name)

    def inspect(self, name: str) -> dict[str, Any]:
        """An image if one matches, else a container (like `docker inspect`)."""
        try:
            return images.inspect_image(self.store, name)
        except (NotFoundError, ValueError):
            pass
        try:
            c = self.container(name)
        except NotFoundError:
            raise NotFoundError(f"no such object: {name} (neither an image nor a container)")
        return {
            "Id": c.id,
            "Name": c.name,
            "Image": c.image,
            "Config": {**c.config, "Labels": {**(c.config.get("Labels") or {}), **c.labels}},
            "Path": c.argv[0],
            "Args": c.argv[1:],
            "State": _state(c),
            "RestartCount": c.restart_count,
            "HostConfig": {
                "RestartPolicy": c.config.get("RestartPolicy")
                or {"Name": "no", "MaximumRetryCount": 0},
                "NetworkMode": c.config.get("NetworkMode") or "host",
                "Binds": c.config.get("Binds") or [],
                "PortBindings": c.config.get("PortBindings") or {},
            },
            # Docker lists exposed ports too, unpublished ones with null.
            "NetworkSettings": {
                "Ports": {
                    **{k: None for k in c.config.get("ExposedPorts") or {}},
                    **(c.config.get("PortBindings") or {}),
                },
                "Networks": {  # members of a network reach each other at 127.0.0.1 here
                    name: {"Aliases": aliases, "IPAddress": "127.0.0.1"}
                    for name, aliases in networks.networks_of(c).items()
                },
            },
            "Mounts": [
                {k: v for k, v in m.items() if k not in ("Anonymous", "NoCopy")}
                for m in c.config.get("Mounts") or []
            ],
            "Driver": c.rootfs_mode,
            "Runtime": c.runtime,
        }

    def save(self, names: list[str], out: BinaryIO) -> None:
        archive.save_images(self.store, names, out)

    def load(self, path: str, name: str | None = None) -> list[str]:
        return archive.load_archive(self.store, path, name)

    # -- registries ---------------------------------------------------------------------------
    def _registry_options(self, **kw: Any) -> Any:
        from .engine.pull import RegistryOptions

        return RegistryOptions(**{k: v for k, v in kw.items() if v is not None})

    def pull(
        self,
        ref: str,
        *,
        platform: str | None = None,
        mirrors: list[str] | None = None,
        insecure: list[str] | None = None,
        progress: Any = None,
    ) -> Image:
        """`docker pull`: every blob verified, then tagged; nothing is left behind on failure.

        Layers are unpacked (and checked against their diff_ids) on first use, not here.
        """
        from .engine import pull as registry_verbs

        opts = self._registry_options(
            platform=platform, mirrors=mirrors, insecure=insecure, progress=progress
        )
        with self.store.writing(f"pulling {ref}"):  # names the pull if the disk fills up
            return registry_verbs.pull(self.store, ref, opts)

    def push(
        self,
        name: str,
        target: str | None = None,
        *,
        insecure: list[str] | None = None,
        progress: Any = None,
        chunk_size: int | None = None,
    ) -> Any:
        """`docker push NAME` (or push local NAME as TARGET); returns a PushResult."""
        from .engine import pull as registry_verbs

        opts = self._registry_options(insecure=insecure, progress=progress, chunk_size=chunk_size)
        return registry_verbs.push(self.store, name, target, opts)

    def login(self, server: str | None, user: str, password: str) -> str:
        from .engine import pull as registry_verbs

        return registry_verbs.login(self.store, server, user, password)

    def logout(self, server: str | None = None) -> bool:
        from .engine import pull as registry_verbs

        return registry_verbs.logout(server)

    def bootstrap(
        self,
        ref: str = "debian:bookworm",
        *,
        suite: str | None = None,
        variant: str | None = None,
        refresh: bool = False,
        log: Any = None,
    ) -> Image:
        """A base image made here with no registry: a faithful stand-in for an official image
        of the catalogue (`node:20`, `python:3.11-slim`, ...), cached and reproducible; or, given
        `suite`/`variant`, any Debian suite made by mmdebstrap from this machine's apt sources."""
        from .engine import bootstrap as boot
        from .engine.standins import recipe_for

        debian = ref.split(":")[0].removeprefix("docker.io/").removeprefix("library/") == "debian"
        if suite is None and variant is None and (recipe_for(ref) is not None or not debian):
            # a stand-in from the catalogue; anything else not named debian is refused there
            return boot.stand_in(self.store, ref, log=log or (lambda _m: None), refresh=refresh)
        return boot.bootstrap_debian(self.store, ref, suite=suite, variant=variant or "minbase")

    def backend(self) -> Any:
        return containers.backend_for(self.runtime_name, self.store)

    def container(self, name: str) -> Container:
        return containers.refresh(self.store, self.store.containers.resolve(name))

    def ps(self, *, all: bool = False) -> list[Container]:
        out = [containers.refresh(self.store, c) for c in self.store.containers.all()]
        return out if all else [c for c in out if c.state in ("running", "restarting")]

    def create(self, opts: RunOptions) -> Container:
        # A writer: the container is staged and its root filesystem unpacked under tmp/,
        # which a concurrent `system prune` would otherwise sweep away mid-creation.
        with self.store.writing(f"creating a container of {opts.image}"):
            return containers.create_container(self.store, opts, self.backend())

    def run(
        self,
        image: str,
        command: list[str] | None = None,
        *,
        name: str | None = None,
        env: list[str] | None = None,
        workdir: str | None = None,
        user: str | None = None,
        entrypoint: str | None = None,
        remove: bool = False,
        out: Sink | None = None,
        err: Sink | None = None,
        volumes: list[str] | None = None,
        mounts: list[str] | None = None,
        network: str = "default",
        publish: list[str] | None = None,
    ) -> int:
        """Create and start a container in the foreground; returns its exit code."""
        opts = RunOptions(
            image=image,
            command=list(command or []),
            name=name,
            env=env or [],
            workdir=workdir,
            user=user,
            entrypoint=entrypoint,
            volumes=volumes or [],
            mounts=mounts or [],
            network=network,
            publish=publish or [],
        )
        c = self.create(opts)
        try:
            return self.start(c.id, out=out, err=err)
        finally:
            if remove:
                containers.remove_container(self.store, c.id, force=True, volumes=True)

    def start(
        self,
        name: str,
        *,
        out: Sink | None = None,
        err: Sink | None = None,
        restart_policy: bool = False,
    ) -> int:
        """Run a container in the foreground; ``restart_policy``: as its monitor, which
        applies the policy (engine/restart.py)."""
        c = self.container(name)
        return containers.start_container(
            self.store, c, self.backend(), out=out, err=err, restart_policy=restart_policy
        )

    def run_detached(self, opts: RunOptions, *, remove: bool = False) -> Container:
        c = self.create(opts)
        try:
            self.start_detached(c.id, remove=remove)
        except ConflictError:  # a port taken: nothing is left behind
            containers.remove_container(self.store, c.id, force=True, volumes=True)
            raise
        return self.container(c.id)

    def start_detached(self, name: str, *, remove: bool = False) -> None:
        from .engine.publish import Publisher

        c = self.container(name)
        if c.state in ("running", "restarting"):
            return  # as Docker: starting a running container changes nothing
        # A start by the user: the restart policy applies again, counted from zero (Docker).
        c = self.store.containers.update(c.id, manually_stopped=False, restart_count=0, health=None)
        before = (c.state, c.started)
        check = Publisher(self.store, c)  # a taken port is an error here, not in the monitor
        check.prepare()
        check.close()
        cmd = [sys.executable, "-m", "docker_magics.cli.monitor", self.store.root, c.id]
        if self.runtime_name:
            cmd += ["--runtime", self.runtime_name]
        if remove:
            cmd.append("--rm")
        err_path = os.path.join(self.store.containers.dir(c.id), "monitor.err")
        monitor = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(err_path, "ab"),
            start_new_session=True,
            close_fds=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            c = self.store.containers.load(c.id)
            # Returned only once this start shows: a restarted container was already "exited",
            # and a `wait` right after must not read the previous run's exit code.
            if (c.state, c.started) != before:
                return
            if monitor.poll() is not None:  # it ended: a quick run, or a failure before the start
                try:
                    again = self.store.containers.load(c.id)
                except NotFoundError:
                    return  # ran and went (--rm)
                if (again.state, again.started) != before:
                    return
                with open(err_path, errors="replace") as fh:
                    last = (fh.read().strip().splitlines() or ["no output"])[-1]
                raise RuntimeBackendError(f"container {c.name} did not start: {last}")
            time.sleep(0.02)
        raise RuntimeBackendError(
            f"container {c.name} did not start within 10 s; see "
            f"{self.store.containers.dir(c.id)}/monitor.err"
        )

    def exec(
        self,
        name: str,
        argv: list[str],
        *,
        env: list[str] | None = None,
        workdir: str | None = None,
        user: str | None = None,
        out: Sink | None = None,
        err: Sink | None = None,
        timeout: float | None = None,
    ) -> int:
        """``timeout``: kill the command (and what it started) after that many seconds and
        raise ``ContainerTimeout``."""
        c = self.container(name)
        from .engine.execin import exec_in

        return exec_in(
            self.store,
            c,
            self.backend(),
            argv,
            env=env or [],
            workdir=workdir,
            user=user,
            out=out,
            err=err,
            timeout=timeout,
        )

    def logs(self, name: str) -> bytes:
        """Both streams as they came, as one byte string."""
        from .engine.logfile import read_log

        c = self.container(name)
        return read_log(os.path.join(self.store.containers.dir(c.id), "log"))

    def log_records(self, name: str, *, follow: bool = False) -> Iterator[Any]:
        """The log's records (``engine.logfile.Record``); with ``follow``, a None when the
        past is read, then new records until the container stops."""
        from .engine.logfile import follow_records, read_records

        c = self.container(name)
        path = os.path.join(self.store.containers.dir(c.id), "log")
        if not follow:
            return read_records(path)

        def running() -> bool:
            try:
                now = containers.refresh(self.store, self.store.containers.load(c.id))
            except DockerMagicsError:  # removed while followed
                return False
            return now.state in ("running", "restarting")

        return follow_records(path, running)

    def stop(self, name: str, *, timeout: float = 10.0) -> Container:
        return containers.stop_container(self.store, self.container(name), timeout=timeout)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> Container:
        c = self.container(name)
        was_restarting = c.state == "restarting"
        c = containers.mark_stopped(self.store, c)
        if was_restarting and c.state != "running":
            return c  # as Docker: between two runs, the mark alone ends it
        if c.state != "running":
            # As Docker: a signal for a process that is not there is an error, not a no-op.
            raise ConflictError(f"cannot kill container {name}: it is not running")
        if sig != signal.SIGKILL and c.pid:
            # Only the signal, as `docker kill -s`: a container may catch it and go on (USR1,
            # HUP to reload); escalating to SIGKILL is `stop`'s job.
            try:
                os.kill(c.pid, sig)
            except ProcessLookupError:
                pass
            return containers.refresh(self.store, c)
        return containers.stop_container(self.store, c, timeout=0.5, sig=sig)

    def wait(self, name: str, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            c = self.container(name)
            if c.state == "exited":
                return c.exit_code if c.exit_code is not None else -1
            if deadline is not None and time.monotonic() > deadline:
                raise RuntimeBackendError(f"container {c.name} still running after {timeout} s")
            time.sleep(0.05)

    def rm(self, name: str, *, force: bool = False, volumes: bool = False) -> Container:
        return containers.remove_container(self.store, name, force=force, volumes=volumes)

    # -- volumes ------------------------------------------------------------------------------
    def volume_create(self, name: str | None = None, labels: dict[str, str] | None = None) -> str:
        from .engine.volumes import create_volume

        return str(create_volume(self.store, name, labels=labels)[0]["Name"])

    def volumes(self) -> list[dict[str, Any]]:
        from .engine.volumes import list_volumes

        return list_volumes(self.store)

    def volume_inspect(self, name: str) -> dict[str, Any]:
        from .engine.volumes import inspect_volume

        return inspect_volume(self.store, name)

    def volume_rm(self, name: str, *, force: bool = False) -> None:
        from .engine.volumes import remove_volume

        remove_volume(self.store, name, force=force)

    def volume_prune(self, *, all: bool = False) -> list[str]:
        from .engine.volumes import prune_volumes

        return prune_volumes(self.store, all=all)

    def commit(
        self,
        name: str,
        ref: str | None = None,
        *,
        message: str | None = None,
        author: str | None = None,
        changes: list[str] | None = None,
    ) -> Image:
        with self.store.writing(f"committing {name}"):
            return commit.commit_container(
                self.store,
                self.container(name),
                ref=ref,
                message=message,
                author=author,
                changes=changes,
            )

    def diff(self, name: str) -> list[str]:
        return commit.diff_lines(self.store, self.container(name))

    def export(self, name: str, out: BinaryIO) -> None:
        archive.export_container(self.store, self.container(name), out)

    # -- build --------------------------------------------------------------------------------
    def build(
        self,
        context: str,
        *,
        dockerfile: str | None = None,
        dockerfile_text: str | None = None,
        tags: list[str] | None = None,
        build_args: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        target: str | None = None,
        no_cache: bool = False,
        no_cache_filter: list[str] | None = None,
        progress: Any = None,
        timeout: float | None = None,
        secrets: list[str] | None = None,
    ) -> Any:
        """Build a Dockerfile (``docker build``); ``progress`` receives each event (a dict).

        ``secrets`` are Docker ``--secret`` values (``id=ID,src=FILE`` or ``id=ID,env=VAR``).
        Returns a ``build.BuildResult`` (image, steps, record id). Raises ``DockerfileError`` or
        ``BuildError`` with the Dockerfile line; nothing is tagged then, the cache is kept.
        """
        from .builder import BuildOptions, build
        from .builder.secrets import parse_secret

        opts = BuildOptions(
            context=context,
            dockerfile=dockerfile,
            dockerfile_text=dockerfile_text,
            tags=list(tags or []),
            build_args=dict(build_args or {}),
            labels=dict(labels or {}),
            target=target,
            no_cache=no_cache,
            no_cache_filter=list(no_cache_filter or []),
            runtime=self.runtime_name,
            timeout=timeout,
            secrets={s.id: s for s in map(parse_secret, secrets or [])},
        )
        return build(self.store, opts, progress)

    # -- system -------------------------------------------------------------------------------
    def check(self) -> system.CheckReport:
        return system.check_store(self.store)

    def prune(self) -> system.PruneReport:
        return system.prune_store(self.store)

    def backend_cost(self) -> str:
        """What the chosen backend costs against namespaces ("" where they work, or none does)."""
        from .runtime.probe import COST

        try:
            return COST.get(self.backend().name, "")
        except RuntimeBackendError:
            return ""

    def info(self) -> dict[str, Any]:
        from .runtime import probe
        from .runtime.probe import COST

        # `info` is the diagnostic: probe afresh (and refresh the store's cached answers).
        report = probe(refresh=True, cache_path=os.path.join(self.store.root, "runtime-probe.json"))
        try:
            chosen = self.backend().name
        except RuntimeBackendError as exc:
            chosen = f"none ({exc})"
        return {
            "root": self.store.root,
            "runtime": chosen,
            "cost": COST.get(chosen, ""),
            "probe": report,
            "images": len(self.store.index.entries()),
            "containers": len(self.store.containers.all()),
        }


def _state(c: Container) -> dict[str, Any]:
    """``State`` as ``docker inspect`` shows it (times in RFC 3339, Health when configured)."""
    from datetime import datetime, timezone

    def when(t: float | None) -> str:
        if not t:
            return "0001-01-01T00:00:00Z"
        return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")

    state: dict[str, Any] = {
        "Status": c.state,
        "Running": c.state == "running",
        "Restarting": c.state == "restarting",
        "Pid": c.pid or 0,
        "ExitCode": c.exit_code,
        "StartedAt": when(c.started),
        "FinishedAt": when(c.finished),
    }
    if c.health is not None:
        state["Health"] = c.health
    return state
