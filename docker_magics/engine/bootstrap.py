"""`bootstrap`: base images made here, from reachable sources only (Debian's archive, npm).

A stand-in for an official image (see `standins.CATALOGUE`) is made once into a cache store
(`~/.cache/docker-magics/stand-ins`) and copied into the user's store from there, so a second
store, a second kernel or a fresh tutorial run gets it in seconds. Same inputs give the same
digests: mmdebstrap honours SOURCE_DATE_EPOCH, our own layers have fixed mtimes and owners,
and the config's times are pinned to the same moment.

mmdebstrap's modes: as root `root`; as an ordinary user `fakechroot`, which needs neither user
namespaces nor subuid ranges, so it also works on Binder (measured in binder-sim, uid 1000, no
user namespaces: minbase in 21 s; `chrootless` under fakeroot took 23 s; `unshare` fails there).

An interrupt (Ctrl-C, a kernel interrupt) stops mmdebstrap with everything it started: it runs
in a process group of its own, which gets SIGINT as a terminal would send it (mmdebstrap then
unmounts and removes its temp dir, kept inside one of ours), SIGKILL if it lingers; our temp
and work dirs go and nothing is tagged, so no half-made stand-in is left in the cache.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable

from ..errors import BuildError, Interrupted, NotFoundError, UsageError
from ..layer.extract import safe_rmtree
from ..oci.image import derive_config, descriptor, empty_config, history_entry
from ..oci.mediatypes import OCI_LAYER
from ..oci.reference import parse_reference
from ..store.images import Image
from ..store.lock import locked
from ..store.store import Store
from .aptsources import bootstrap_sources
from .images import import_layer, import_tarball
from .nodedist import NodePart, fetch_node, write_node_layer
from .standins import RECIPES_VERSION, SLIM_EXCLUDES, STAND_IN_LABEL, Recipe, recipe_for

__all__ = [
    "bootstrap_debian",
    "stand_in",
    "cached_stand_in",
    "cache_ref",
    "cache_root",
    "make_stand_in",
    "Log",
]

Log = Callable[[str], None]
# 2024-01-01T00:00:00Z unless SOURCE_DATE_EPOCH says otherwise: the stand-ins' "created".
DEFAULT_EPOCH = 1704067200
HOST_CA = "/etc/ssl/certs/ca-certificates.crt"
SILENT = ("--quiet", "--mode")  # mmdebstrap options that do not change what it makes
BUSYBOX = "/bin/busybox"


def _quiet(_: str) -> None:
    pass


def cache_root() -> str:
    env = os.environ.get("DOCKER_MAGICS_STAND_IN_CACHE")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "docker-magics", "stand-ins")


def _epoch() -> int:
    env = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(env) if env.isdigit() else DEFAULT_EPOCH


def _mmdebstrap(
    suite: str, variant: str, out: str, work: str, *, include: list[str], extra: list[str]
) -> str:
    """Run mmdebstrap into `out` (a tar); returns the command line, for the history."""
    exe = shutil.which("mmdebstrap")
    if exe is None:
        raise UsageError("bootstrap needs mmdebstrap (apt-get install mmdebstrap)")
    sources = os.path.join(work, "sources.list")
    with open(sources, "w", encoding="utf-8") as fh:
        fh.write(bootstrap_sources(suite))
    argv = [exe, f"--variant={variant}", "--quiet"]
    if os.geteuid() != 0:
        if shutil.which("fakechroot") is None:
            raise UsageError(
                "bootstrap as an ordinary user needs fakechroot (apt-get install fakechroot)"
            )
        argv.append("--mode=fakechroot")  # no user namespaces needed (Binder has none)
    if include:
        argv.append("--include=" + ",".join(include))
    argv += [*extra, suite, out, sources]
    # mmdebstrap's temp dir goes into one of ours, so an interrupt leaves none behind. In the
    # system's temp dir and open to all: apt (as root) downloads as `_apt` only where `_apt` can
    # reach, and owns its partial dirs to `_apt` then (as upstream's image has them); a private
    # dir (a cache under a 0700 home) would change the image, and so its digest.
    scratch = tempfile.mkdtemp(prefix="docker-magics-mmdebstrap-")
    os.chmod(scratch, 0o755)
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(_epoch()), "TMPDIR": scratch}
    try:
        proc = _run_group(argv, env)
    finally:
        _unmount_under(scratch)
        safe_rmtree(scratch)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        raise BuildError(f"mmdebstrap {suite} failed (exit {proc.returncode}):\n{tail}")
    # The mode is left out: root and fakechroot make byte-identical tars (measured), so the
    # image an ordinary user makes has the same digests as root's.
    shown = [a for a in argv[1:] if a not in (out, sources) and a.split("=")[0] not in SILENT]
    return "mmdebstrap " + " ".join(shown)


def _run_group(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `argv` in a new process group; any exception (an interrupt) stops the whole group."""
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # a terminal's Ctrl-C reaches us only; we pass it on below
    )
    try:
        out, err = proc.communicate()
    except BaseException:
        _stop_group(proc)
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGINT to the group (mmdebstrap cleans up on it), SIGKILL after 20 s or a second ^C."""
    pgid = proc.pid
    for sig, grace in ((signal.SIGINT, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        try:
            while time.monotonic() < deadline:
                proc.poll()  # reap the leader; the group may outlive it
                if proc.returncode is not None and not _group_alive(pgid):
                    break
                time.sleep(0.1)
        except KeyboardInterrupt:
            continue  # impatient: straight to SIGKILL
        if proc.returncode is not None and not _group_alive(pgid):
            break
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    proc.wait()


def _unmount_under(scratch: str) -> None:
    """What a killed root-mode mmdebstrap left mounted (its chroot's /proc, /sys, /dev) goes
    before its temp dir is removed, so removing it never reaches into the host's."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        for line in fh:
            point = line.split()[4].encode().decode("unicode_escape")
            if point.startswith(scratch.rstrip("/") + "/"):
                points.append(point)
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "--recursive", "--lazy", point], capture_output=True)


def _debian_release(tar: str) -> str:
    """`Debian 12.12` from the rootfs's etc/debian_version (what the point release was)."""
    import tarfile

    with tarfile.open(tar) as tf:
        for member in tf:
            if member.name.lstrip("./") == "etc/debian_version" and member.isfile():
                fh = tf.extractfile(member)
                return f"Debian {fh.read().decode().strip()}" if fh else "Debian"
    return "Debian"


def _debian_layer(recipe: Recipe, out: str, work: str) -> str:
    extra: list[str] = []
    if recipe.slim:
        extra += [f"--dpkgopt=path-exclude={p}" for p in SLIM_EXCLUDES]
        extra.append("--dpkgopt=path-include=/usr/share/doc/*/copyright")
    if recipe.python:  # upstream's pip installs into the image's Python; Debian's refuses to
        extra.append("--customize-hook=rm -f $1/usr/lib/python3.*/EXTERNALLY-MANAGED")
    by = _mmdebstrap(
        "bookworm", recipe.debian_variant, out, work, include=recipe.packages, extra=extra
    )
    return f"{by} ({_debian_release(out)})"


def _busybox_layer(out: str, mtime: int) -> str:
    """The host's busybox-static with its applet links, as one reproducible layer."""
    import io
    import tarfile

    if not os.path.exists(BUSYBOX):
        raise UsageError("a busybox stand-in needs busybox-static (apt-get install busybox-static)")
    applets = subprocess.run(
        [BUSYBOX, "--list-full"], capture_output=True, text=True, check=True
    ).stdout.split()
    files = {
        "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n"
        b"nobody:x:65534:65534:nobody:/home:/bin/false\n",
        "etc/group": b"root:x:0:\nnogroup:x:65534:\n",
    }
    with open(BUSYBOX, "rb") as fh:
        files["bin/busybox"] = fh.read()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        entries: list[tuple[str, tarfile.TarInfo, bytes | None]] = []
        for d in ("bin", "etc", "root", "sbin", "tmp", "usr", "usr/bin", "usr/sbin", "var"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            entries.append((d, ti, None))
        for path, data in files.items():
            ti = tarfile.TarInfo(path)
            ti.size, ti.mode = len(data), 0o755 if path == "bin/busybox" else 0o644
            entries.append((path, ti, data))
        for applet in applets:
            if applet != "bin/busybox" and applet not in files:
                ti = tarfile.TarInfo(applet)
                ti.type, ti.linkname = tarfile.SYMTYPE, "/bin/busybox"
                entries.append((applet, ti, None))
        for _path, ti, blob in sorted(entries, key=lambda e: e[0]):
            ti.mtime, ti.uname, ti.gname = mtime, "root", "root"
            tf.addfile(ti, io.BytesIO(blob) if blob is not None else None)
    version = subprocess.run([BUSYBOX], capture_output=True, text=True).stdout.split("\n")[0]
    return f"{version.strip() or 'busybox'} from this machine ({BUSYBOX})"


def _config(recipe: Recipe, layers: list[tuple[str, str, str]], node: list[NodePart]) -> dict:
    """The image config: one history entry per layer, labels saying what the image is."""
    created = _dt.datetime.fromtimestamp(_epoch(), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = empty_config()
    cfg = config["config"]
    versions = {p.package.split("-")[0]: p.version for p in node}
    what = recipe.what.format(node=versions.get("node", ""))
    if node:
        cfg["Env"] = cfg["Env"] + [
            f"NODE_VERSION={versions['node']}",
            f"YARN_VERSION={versions['yarn']}",
        ]
        # npm is pinned in a stand-in: its "new major version available" banner (on stderr,
        # drawn as an error in a notebook) would only distract from the lesson.
        cfg["Env"].append("NPM_CONFIG_UPDATE_NOTIFIER=false")
        if os.path.exists(HOST_CA):
            cfg["Env"].append(f"NODE_EXTRA_CA_CERTS={HOST_CA}")
    cfg["Cmd"] = list(recipe.cmd)
    provenance = "; ".join([by for _d, by, _c in layers] + [p.provenance() for p in node])
    cfg["Labels"] = {
        "org.opencontainers.image.description": (
            f"made locally by docker-magics as a stand-in for {recipe.name}: {what}"
        ),
        "org.opencontainers.image.ref.name": recipe.name,
        STAND_IN_LABEL: RECIPES_VERSION,
        "io.github.docker-magics.provenance": provenance,
    }
    for diff_id, created_by, comment in layers:
        hist = history_entry(created_by, comment=comment, created=created)
        config = derive_config(config, diff_id=diff_id, history=hist, container_config=cfg)
    return config


def make_stand_in(cache: Store, recipe: Recipe, log: Log = _quiet) -> Image:
    """Make `recipe` into the cache store and tag it there (no check whether it exists)."""
    epoch = _epoch()
    note = f"made locally by docker-magics as a stand-in for {recipe.name}"
    log(f"{recipe.name}: making it here, once (a few minutes), then kept in {cache.root}")
    work = tempfile.mkdtemp(dir=cache.tmp_dir, prefix="bootstrap-")
    layers: list[tuple[str, str, str]] = []
    node: list[NodePart] = []
    try:
        rootfs = os.path.join(work, "rootfs.tar")
        if recipe.busybox:
            by = _busybox_layer(rootfs, epoch)
        else:
            log(f"{recipe.name}: Debian bookworm with mmdebstrap ({recipe.debian_variant})")
            by = _debian_layer(recipe, rootfs, work)
        with open(rootfs, "rb") as fh:
            layers.append((import_layer(cache, fh, by), by, note))
        if recipe.node:
            log(f"{recipe.name}: the official Node.js binaries, npm, corepack, yarn (npm pack)")
            node = fetch_node(recipe.name.split(":")[1].split("-")[0], work)
            tar = os.path.join(work, "node.tar")
            ca = HOST_CA if os.path.exists(HOST_CA) else None
            write_node_layer(node, tar, epoch, ca)
            by = ", ".join(f"{p.package} {p.version}" for p in node)
            with open(tar, "rb") as fh:
                layers.append((import_layer(cache, fh, "node.tar"), f"Node.js: {by}", note))
        config = _config(recipe, layers, node)
        descs = [descriptor(OCI_LAYER, d, cache.blobs.size(d)) for d, _b, _c in layers]
        image = cache.images.create(config, descs)
        cache.images.tag(image, cache_ref(recipe))
        return image
    except KeyboardInterrupt as exc:
        # Untagged blobs already written stay for the next try; gc sweeps them otherwise.
        raise Interrupted(f"bootstrap of {recipe.name} interrupted; nothing was kept") from exc
    finally:
        safe_rmtree(work)


def _copy_image(src: Store, dst: Store, image: Image, ref: str) -> Image:
    digests = [d["digest"] for d in image.layers] + [image.config_digest, image.manifest_digest]
    for digest in digests:
        if not dst.blobs.has(digest):
            with src.blobs.open(digest) as fh:
                dst.blobs.put_stream(fh, digest)  # verified against the digest on the way
    copied = dst.images.load(image.manifest_digest)
    dst.images.tag(copied, ref)
    return dst.images.resolve(ref)


def cache_ref(recipe: Recipe) -> str:
    """The stand-in's name in the cache: per recipes version, so that checkouts of two versions
    sharing one cache (a class, a test machine) each keep theirs instead of remaking in turn."""
    return f"{recipe.name}-stand-in-v{RECIPES_VERSION}"


def _cached(cache: Store, recipe: Recipe) -> Image | None:
    try:
        image = cache.images.resolve(cache_ref(recipe))
    except NotFoundError:
        return None
    labels = (image.config.get("config") or {}).get("Labels") or {}
    return image if labels.get(STAND_IN_LABEL) == RECIPES_VERSION else None


def cached_stand_in(name: str, *, log: Log = _quiet, refresh: bool = False) -> tuple[Store, Image]:
    """The stand-in for official image `name` in the cache store, made there once."""
    recipe = recipe_for(name)
    if recipe is None:
        from .standins import catalogue_names

        raise UsageError(
            f"no stand-in for {name}: bootstrap knows {', '.join(catalogue_names())} "
            "(and any Debian suite, with --suite SUITE)"
        )
    cache = Store(cache_root())
    # A cache made once and shared read-only (by the tests, by a class) needs no lock to read.
    made = None if refresh else _cached(cache, recipe)
    if made is None:
        with locked(cache.lock_path("bootstrap")), cache.writing(f"bootstrapping {recipe.name}"):
            made = None if refresh else _cached(cache, recipe)  # made meanwhile?
            made = made or make_stand_in(cache, recipe, log)
    return cache, made


def stand_in(store: Store, name: str, *, log: Log = _quiet, refresh: bool = False) -> Image:
    """The stand-in for official image `name`, made once (cached), tagged `name` in `store`."""
    cache, made = cached_stand_in(name, log=log, refresh=refresh)
    ref = str(parse_reference(name))
    if os.path.realpath(cache.root) == os.path.realpath(store.root):
        with store.writing(f"tagging the stand-in for {name}"):
            store.images.tag(made, ref)
        return store.images.resolve(ref)
    with store.writing(f"copying the stand-in for {name}"):
        return _copy_image(cache, store, made, ref)


def bootstrap_debian(
    store: Store,
    ref: str,
    *,
    suite: str | None = None,
    variant: str = "minbase",
    include: list[str] | None = None,
) -> Image:
    """A Debian base image of any suite, straight into `store` (not a catalogue stand-in)."""
    parsed = parse_reference(ref)
    suite = suite or parsed.tag or "stable"
    work = tempfile.mkdtemp(dir=store.tmp_dir, prefix=f"bootstrap-{os.getpid()}-")
    try:
        out = os.path.join(work, "rootfs.tar")
        by = _mmdebstrap(suite, variant, out, work, include=include or [], extra=[])
        with store.writing(), open(out, "rb") as fh:
            return import_tarball(
                store,
                fh,
                ref=str(parsed),
                message=by,
                changes=['CMD ["bash"]'],
                source_name=f"mmdebstrap {suite}",
            )
    except KeyboardInterrupt as exc:
        raise Interrupted(f"bootstrap of {ref} interrupted; nothing was kept") from exc
    finally:
        safe_rmtree(work)
