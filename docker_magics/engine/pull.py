"""Engine verbs over the registry client: pull, push, login/logout.

A pull is all or nothing: every blob is checked against its descriptor's digest and size while it
streams into the store, and only when all of them are in is the tag written. If anything fails,
the blobs this pull created are removed again, so the store is exactly as before.

A pull does not unpack. Layers stay as the registry sent them and are unpacked on first use
(`run`, `create`, `build`), as `load` leaves them and as skopeo and containerd do; a layer's
diff_id (the digest of its uncompressed tar) is checked then, by `snapshot.unpack`, which refuses
a mismatch and installs no snapshot. The diff_id is not checked at pull time: for a compressed
layer that means decompressing and hashing it, which costs more than the download itself
(170 MB of Debian, 60 MB gzipped: 0.85 s of gunzip and SHA-256 against 0.2 s to fetch and verify
the blob on a local registry), and the first unpack does that work anyway.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import ImageReferenceError, NotFoundError, RegistryError, UsageError
from ..oci.reference import DEFAULT_REGISTRY, Reference, parse_reference
from ..registry.client import RegistryClient
from ..registry.config import load_config
from ..registry.credentials import remove_auth, store_auth
from ..registry.progress import Progress, ProgressFn, ignore
from ..registry.pull import pull_image
from ..registry.push import CHUNK_SIZE, PushResult, push_image
from ..registry.sources import record_source
from ..registry.transport import Transport
from ..store.images import Image
from ..store.store import Store

__all__ = [
    "RegistryOptions",
    "pull",
    "pull_if_missing",
    "push",
    "login",
    "logout",
]


@dataclass
class RegistryOptions:
    """How to reach registries; None/empty fields fall back to env and `<store>/config.json`."""

    mirrors: list[str] = field(default_factory=list)
    insecure: list[str] = field(default_factory=list)
    platform: str | None = None
    transport: Transport | None = None
    progress: ProgressFn = ignore
    chunk_size: int = CHUNK_SIZE
    stand_ins: bool | None = None  # None: DOCKER_MAGICS_STAND_INS decides

    def wants_stand_ins(self) -> bool:
        if self.stand_ins is not None:
            return self.stand_ins
        return os.environ.get("DOCKER_MAGICS_STAND_INS", "").lower() in ("1", "true", "yes", "on")

    def note(self, message: str) -> None:
        self.progress(Progress("", "note", kind="note", message=message))


HOW_TO_OPT_IN = (
    "%config DockerMagics.stand_ins = True in a notebook, --stand-ins on the command line, "
    "or DOCKER_MAGICS_STAND_INS=1"
)


def pull(store: Store, name: str, opts: RegistryOptions | None = None) -> Image:
    """`docker pull NAME`: download and verify every blob, then tag. Returns the image.

    A Docker Hub name tries the hub, the public mirrors and the configured mirrors; if all fail
    and the user opted in, a stand-in made here (`bootstrap`) takes its place, said plainly.
    Layers are unpacked (and their diff_ids checked) on first use, not here.
    """
    opts = opts or RegistryOptions()
    ref = parse_reference(name)
    try:
        return _pull(store, ref, opts)
    except RegistryError as exc:
        if not exc.tried:
            raise
        return _fall_back(store, ref, exc.tried, opts)


def _fall_back(store: Store, ref: Reference, tried: list[str], opts: RegistryOptions) -> Image:
    from .standins import recipe_for

    recipe = recipe_for(ref.familiar)
    why = "; ".join(tried)
    if recipe is not None and opts.wants_stand_ins():
        from .bootstrap import stand_in

        opts.note(f"{ref.familiar}: no registry has it here ({why})")
        opts.note(f"{ref.familiar}: using a stand-in made here ({recipe.what.format(node='20')})")
        return stand_in(store, str(ref), log=opts.note)
    if recipe is not None:
        todo = f"check this machine's network, or use a stand-in made here: {HOW_TO_OPT_IN}"
    else:
        todo = "check the name and this machine's network, or configure a mirror that has it"
    raise RegistryError(f"cannot pull {ref.familiar}: {why}. To go on: {todo}") from None


def _pull(store: Store, ref: Reference, opts: RegistryOptions) -> Image:
    config = load_config(store.root, mirrors=opts.mirrors, insecure=opts.insecure)
    written: list[str] = []
    with store.writing():
        try:
            result = pull_image(
                store,
                ref,
                written,
                config=config,
                transport=opts.transport,
                progress=opts.progress,
                platform=opts.platform,
            )
            image = store.images.load(result.manifest.digest)
            if len(image.layers) != len(image.diff_ids):
                raise RegistryError(
                    f"image {image.manifest_digest}: {len(image.layers)} layers but "
                    f"{len(image.diff_ids)} diff_ids; refused"
                )
            store.images.tag(image, str(ref))
        except BaseException:
            for digest in written:
                store.blobs.remove(digest)
            raise
        for layer in result.layers:
            record_source(store, layer["digest"], ref.name)
    if result.tried:
        opts.note(f"{ref.familiar}: from {result.endpoint} ({'; '.join(result.tried)})")
    return store.images.resolve(str(ref))


def pull_if_missing(store: Store, name: str, opts: RegistryOptions | None = None) -> Image:
    """The local image called `name`, pulled first if it is a reference we do not have.

    Meant for `require_image` (run/create/FROM): an image ID prefix that matches nothing stays a
    NotFoundError; a name that parses as a reference is pulled.
    """
    try:
        return store.images.resolve(name)
    except NotFoundError:
        bare = name.strip().removeprefix("sha256:")
        if name.startswith("sha256:") or (
            len(bare) == 64 and all(c in "0123456789abcdef" for c in bare)
        ):
            raise
    try:
        parse_reference(name)
    except ImageReferenceError:
        raise NotFoundError(f"no such image: {name}")
    try:
        return pull(store, name, opts)
    except RegistryError as exc:
        raise RegistryError(f"no such image locally: {name}; {exc}") from None


def push(
    store: Store, name: str, target: str | None = None, opts: RegistryOptions | None = None
) -> PushResult:
    """`docker push NAME` (or push local image NAME as TARGET)."""
    opts = opts or RegistryOptions()
    image = store.images.resolve(name)
    ref = parse_reference(target or name)
    config = load_config(store.root, insecure=opts.insecure)
    with store.writing():
        return push_image(
            store,
            image,
            ref,
            config=config,
            transport=opts.transport,
            progress=opts.progress,
            chunk_size=opts.chunk_size,
        )


def _registry_name(server: str | None) -> str:
    if not server:
        return DEFAULT_REGISTRY
    host = server.split("://", 1)[-1].split("/", 1)[0]
    return DEFAULT_REGISTRY if host in ("index.docker.io", "registry-1.docker.io") else host


def login(
    store: Store,
    server: str | None,
    user: str,
    password: str,
    opts: RegistryOptions | None = None,
) -> str:
    """Check the credentials against the registry (`GET /v2/`), then save them. Returns the
    config file written."""
    opts = opts or RegistryOptions()
    if not user:
        raise UsageError("login needs a user name")
    registry = _registry_name(server)
    config = load_config(store.root, insecure=opts.insecure)
    endpoint = config.endpoints(registry, for_push=True)[0]
    from ..registry.transport import RequestsTransport

    client = RegistryClient(endpoint, opts.transport or RequestsTransport(), (user, password))
    client.ping()
    return store_auth(registry, user, password)


def logout(server: str | None) -> bool:
    return remove_auth(_registry_name(server))
