"""The measurements of issue 7, one function each; every one returns table rows.

A row compares ours with one peer as a speed-up, ``peer time / our time`` (above 1: we are
faster), against a target in the same unit, so "10x faster" is ``>= 10`` and "within 3x of the
floor" is ``>= 0.33``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import fixtures
from peers import Buildah
from timing import Race, Series, peak_rss, run_cmd, timed

from docker_magics.api import Engine
from docker_magics.engine.containers import plan_of

__all__ = ["Bench", "Row", "ALL"]


@dataclass
class Row:
    measure: str
    ours: Series
    peer: Series
    target: float | None  # minimum speed-up, None: shown for context only
    ours_is_ours: bool = True  # False: a peer-against-peer row, shown for context

    @property
    def speedup(self) -> float:
        return self.peer.median / self.ours.median

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.speedup >= self.target


@dataclass
class Bench:
    work: str
    runs: int
    buildah: Buildah
    busybox_tree: str
    busybox_tar: str
    debian_tar: str
    cli_env: dict[str, str]
    files: int = 20_000
    megabytes: int = 500
    counter: list[int] = field(default_factory=lambda: [0])

    def engine(self, name: str) -> Engine:
        """A fresh store with both bases imported from the same tarballs buildah gets."""
        eng = Engine(os.path.join(self.work, "stores", name))
        eng.import_image(self.busybox_tar, "busybox:latest", changes=[f"ENV {fixtures.PATH_ENV}"])
        return eng

    def with_debian(self, eng: Engine) -> Engine:
        eng.import_image(self.debian_tar, "debian:bookworm", changes=[f"ENV {fixtures.PATH_ENV}"])
        return eng

    def __post_init__(self) -> None:
        self._rss_later: list[tuple[Series, list[str], dict[str, str] | None]] = []

    def cmd(
        self, race: Race, name: str, argv: list[str], env: dict[str, str] | None = None
    ) -> Series:
        """A contender that is a command line (timed as a child process)."""
        series = race.add(name, lambda: run_cmd(argv, env=env))
        self._rss_later.append((series, argv, env))
        return series

    def cli(self, race: Race, name: str, eng: Engine, *args: str) -> Series:
        argv = [sys.executable, "-m", "docker_magics", "--root", eng.store.root, *args]
        return self.cmd(race, name, argv, self.cli_env)

    def in_process(
        self, race: Race, name: str, fn: Callable[[], object], root: str, code: str
    ) -> Series:
        """A contender that is an API call in this process; ``code`` does the same call in a
        fresh interpreter (``eng`` is ``Engine(root)``), run once for its peak RSS."""
        series = race.add(name, lambda: timed(fn))
        prelude = f"from docker_magics.api import Engine\neng = Engine({root!r})\n"
        argv = [sys.executable, "-c", prelude + code]
        self._rss_later.append((series, argv, self.cli_env))
        return series

    def measure_rss(self, before: Callable[[], object] | None = None) -> None:
        """One extra, untimed run of each contender for its peak RSS (see ``peak_rss``)."""
        for series, argv, env in self._rss_later:
            if before is not None:
                before()
            series.rss_kb = peak_rss(argv, env)
        self._rss_later.clear()

    def next(self) -> str:
        """A new unique name part."""
        self.counter[0] += 1
        return str(self.counter[0])

    def sweep(self, prefix: str) -> None:
        """Remove stores named ``prefix*``."""
        stores = os.path.join(self.work, "stores")
        for name in os.listdir(stores) if os.path.isdir(stores) else []:
            if name.startswith(prefix):
                _rmtree(os.path.join(stores, name))


def cached_rebuild(b: Bench) -> list[Row]:
    """A fully cached rebuild, and a rebuild after the last COPY's source changed."""
    eng = b.engine("cached")
    ours_ctx = fixtures.cached_context(os.path.join(b.work, "ctx-cached-ours"))
    peer_ctx = fixtures.cached_context(os.path.join(b.work, "ctx-cached-buildah"))
    rows = []
    for changed in (False, True):

        def prepare(_: int, changed: bool = changed) -> None:
            if changed:  # every contender sees a main.txt it has not built yet
                n = b.next()
                for ctx in (ours_ctx, peer_ctx):
                    with open(os.path.join(ctx, "main.txt"), "w") as fh:
                        fh.write(f"main {n}\n")

        race = Race(b.runs)
        build = f"eng.build({ours_ctx!r}, tags=['b:c'])"
        inproc = b.in_process(
            race, "in-process", lambda: eng.build(ours_ctx, tags=["b:c"]), eng.store.root, build
        )
        cli = b.cli(race, "CLI", eng, "build", "-q", "-t", "b:c", ours_ctx)
        peer = b.cmd(race, "buildah", b.buildah.bud_argv(peer_ctx, "b:c"))
        race.go(prepare)
        b.measure_rss(lambda: prepare(0))
        what = "rebuild, last COPY changed" if changed else "cached rebuild, 10 steps"
        rows += [
            Row(f"{what} (in-process)", inproc, peer, 2 if changed else 10),
            Row(f"{what} (CLI)", cli, peer, 2 if changed else 4),
        ]
    b.buildah.prune()
    return rows


def first_build(b: Bench) -> list[Row]:
    """A first build of RUN steps writing many small files and one big one (fresh stores)."""
    ctx = fixtures.big_context(os.path.join(b.work, "ctx-big"), b.files, b.megabytes)
    fresh: list[Engine] = []

    def ours() -> None:
        fresh[-1].build(ctx, tags=["b:big"], no_cache=True)

    def prepare(_: int) -> None:  # untimed: drop the last round's stores, make a new one
        b.sweep("big-")
        fresh.append(b.engine(f"big-{b.next()}"))
        b.buildah.prune()

    race = Race(b.runs, warmup=0)
    rss_store = os.path.join(b.work, "stores", "big-rss")
    build = f"eng.build({ctx!r}, tags=['b:big'], no_cache=True)"
    ours_s = b.in_process(race, "ours", ours, rss_store, build)
    peer = b.cmd(race, "buildah", b.buildah.bud_argv(ctx, "b:big", "--no-cache"))
    race.go(prepare)

    def rss_prepare() -> None:
        prepare(0)
        b.engine("big-rss")

    b.measure_rss(rss_prepare)
    b.sweep("big-")
    b.buildah.prune()
    label = f"first build: {b.files} files + {b.megabytes} MB file"
    return [Row(label, ours_s, peer, 1)]


def layer_creation(b: Bench) -> list[Row]:
    """Committing a RUN's upper dir against ``tar -cf - DIR | sha256sum`` of that same dir."""
    eng = b.engine("layers")
    rows = []
    for what, script in (
        (f"{b.files} small files", fixtures.SMALL_FILES_SCRIPT.format(n=b.files)),
        (f"one {b.megabytes} MB file", fixtures.big_file_script(b.megabytes)),
    ):
        name = f"src-{b.next()}"
        eng.run("busybox:latest", ["sh", "-c", script], name=name)
        upper = plan_of(eng.store, eng.container(name)).upperdir
        assert upper is not None, "layer creation is measured on the overlay backend"
        race = Race(b.runs)
        ours = b.in_process(
            race,
            "commit",
            lambda name=name: eng.commit(name),
            eng.store.root,
            f"eng.commit({name!r})",
        )
        tar = b.cmd(race, "tar|sha256sum", ["sh", "-c", f"tar -cf - -C {upper} . | sha256sum"])
        race.go()
        b.measure_rss()
        rows.append(Row(f"layer creation, {what}", ours, tar, 0.7))
        eng.rm(name)
    _rmtree(eng.store.root)
    return rows


def base_size(b: Bench) -> list[Row]:
    """A one-file RUN on the 170 MB Debian base and on busybox: commit must not grow with it."""
    eng = b.with_debian(b.engine("bases"))
    b.buildah.import_tar(b.debian_tar, "debian:bookworm", [fixtures.PATH_ENV])
    ctxs = {
        base: fixtures.one_file_context(os.path.join(b.work, f"ctx-one-{base}"), f"{base}:latest")
        for base in ("busybox", "debian")
    }
    with open(os.path.join(ctxs["debian"], "Dockerfile"), "w") as fh:
        fh.write("FROM debian:bookworm\nRUN echo hi > /one-file\n")
    race = Race(b.runs)
    ours: dict[str, Series] = {}
    peer: dict[str, Series] = {}
    for base, ctx in ctxs.items():
        build = f"eng.build({ctx!r}, tags=['b:one'], no_cache=True)"
        ours[base] = b.in_process(
            race,
            f"ours {base}",
            lambda ctx=ctx: eng.build(ctx, tags=["b:one"], no_cache=True),
            eng.store.root,
            build,
        )
        peer[base] = b.cmd(race, f"buildah {base}", b.buildah.bud_argv(ctx, "b:one", "--no-cache"))
    race.go()
    b.measure_rss()
    b.buildah.prune()
    return [
        Row("one-file RUN: Debian vs busybox base (ours)", ours["debian"], ours["busybox"], 0.5),
        Row(
            "one-file RUN: Debian vs busybox base (buildah)",
            peer["debian"],
            peer["busybox"],
            None,
            ours_is_ours=False,
        ),
        Row("one-file RUN on Debian, ours vs buildah", ours["debian"], peer["debian"], None),
    ]


def run_true(b: Bench) -> list[Row]:
    """``run IMAGE true`` against the namespace floor and ``buildah run`` on the same tree."""
    eng = b.engine("run")
    root = b.busybox_tree
    unshare = [
        "unshare", "--mount", "--pid", "--uts", "--ipc", "--fork", "--mount-proc",
        "chroot", root, "/bin/true",
    ]  # fmt: skip
    bwrap = [
        "bwrap", "--bind", root, "/", "--proc", "/proc", "--dev", "/dev",
        "--unshare-pid", "--unshare-ipc", "--unshare-uts", "/bin/true",
    ]  # fmt: skip
    ctr = b.buildah.out("from", "busybox:latest")
    race = Race(b.runs)
    inproc = b.in_process(
        race,
        "in-process",
        lambda: eng.run("busybox:latest", ["true"], remove=True),
        eng.store.root,
        "eng.run('busybox:latest', ['true'], remove=True)",
    )
    cli = b.cli(race, "CLI", eng, "run", "--rm", "busybox:latest", "true")
    floor_u = b.cmd(race, "unshare", unshare)
    floor_b = b.cmd(race, "bwrap", bwrap)
    peer = b.cmd(
        race, "buildah run", [*b.buildah.base, "run", "--isolation", "chroot", ctr, "true"]
    )
    race.go()
    b.measure_rss()
    b.buildah.out("rm", ctr)
    floor = floor_u if floor_u.median <= floor_b.median else floor_b
    return [
        Row(f"run IMAGE true (in-process) vs {floor.name}", inproc, floor, 1 / 3),
        Row("run IMAGE true (CLI) vs buildah run --isolation chroot", cli, peer, 2),
        Row("run IMAGE true (CLI) vs unshare", cli, floor_u, None),
    ]


def save_load(b: Bench) -> list[Row]:
    """``save``/``load`` of the Debian image against ``skopeo copy`` between the same formats."""
    eng = b.with_debian(b.engine("archive"))
    out = os.path.join(b.work, "saved.tar")
    peer_out = os.path.join(b.work, "skopeo.tar")
    ref = "docker.io/library/debian:bookworm"
    skopeo = ["skopeo", "--insecure-policy", "copy", "--quiet"]

    def save() -> None:
        with open(out, "wb") as fh:
            eng.save(["debian:bookworm"], fh)

    def no_output(_: int = 0) -> None:
        if os.path.exists(peer_out):
            os.unlink(peer_out)  # docker-archive refuses to overwrite

    race = Race(b.runs)
    code = f"eng.save(['debian:bookworm'], open({out!r}, 'wb'))"
    ours_save = b.in_process(race, "save", save, eng.store.root, code)
    cli_save = b.cli(race, "save CLI", eng, "save", "-o", out, "debian:bookworm")
    peer_save = b.cmd(
        race, "skopeo", [*skopeo, f"oci:{eng.store.root}:{ref}", f"docker-archive:{peer_out}:{ref}"]
    )
    race.go(no_output)
    b.measure_rss(no_output)

    load_root = os.path.join(b.work, "stores", "load")
    oci_dir = os.path.join(b.work, "oci-load")

    def fresh(_: int = 0) -> None:  # untimed: both load into an empty place every time
        _rmtree(load_root)
        _rmtree(oci_dir)

    race = Race(b.runs)
    ours_load = b.in_process(
        race, "load", lambda: Engine(load_root).load(out), load_root, f"eng.load({out!r})"
    )
    # The archive's layers are uncompressed and our load stores them so; without this flag
    # skopeo gzips each into its OCI layout, and the row would time a compression we never do.
    uncompressed = "--dest-oci-accept-uncompressed-layers"
    peer_load = b.cmd(
        race, "skopeo", [*skopeo, uncompressed, f"docker-archive:{out}", f"oci:{oci_dir}:debian"]
    )
    race.go(fresh)
    b.measure_rss(fresh)
    fresh()
    return [
        Row("save 170 MB image (in-process) vs skopeo oci: -> docker-archive:",
            ours_save, peer_save, None),
        Row("save 170 MB image (CLI) vs skopeo", cli_save, peer_save, None),
        Row("load 170 MB archive (verified, unpacked on first run) vs skopeo -> oci: uncompressed",
            ours_load, peer_load, None),
    ]  # fmt: skip


def _rmtree(path: str) -> None:
    from docker_magics.layer.extract import safe_rmtree

    if os.path.lexists(path):
        safe_rmtree(path) if os.path.isdir(path) else os.unlink(path)
    shutil.rmtree(path, ignore_errors=True)


ALL: dict[str, Callable[[Bench], list[Row]]] = {
    "cached": cached_rebuild,
    "first": first_build,
    "layers": layer_creation,
    "bases": base_size,
    "run": run_true,
    "archive": save_load,
}


def describe(row: Row) -> dict[str, Any]:
    return {
        "measure": row.measure,
        "ours_s": row.ours.median,
        "peer": row.peer.name,
        "peer_s": row.peer.median,
        "speedup": row.speedup,
        "target": row.target,
        "met": row.met,
        "ours_rss_mb": row.ours.rss_kb / 1024,
        "peer_rss_mb": row.peer.rss_kb / 1024,
        "ours_runs": row.ours.times,
        "peer_runs": row.peer.times,
        "ours_is_ours": row.ours_is_ours,
    }
