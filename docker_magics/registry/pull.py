"""Pull: resolve a reference to one platform's manifest, then stream its blobs into the store.

Every byte is checked before the store trusts it: the manifest against its digest (over the raw
bytes), each blob against its descriptor's digest and size while it streams to a temp file (the
store's `BlobWriter` refuses a mismatch). Layers download in parallel on a small pool. What this
module does *not* do is tag (the engine does, once every blob is in) or unpack (layers are
unpacked, and their diff_ids checked, on first use).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..errors import RegistryError, StoreError
from ..oci.image import host_platform
from ..oci.mediatypes import LAYER_TYPES, OCI_LAYER_ZSTD
from ..oci.reference import DEFAULT_REGISTRY, Reference
from ..store.store import Store
from .client import Manifest, RegistryClient
from .config import Endpoint, RegistryConfig
from .credentials import lookup
from .progress import Progress, ProgressFn, ignore
from .transport import RequestsTransport, Transport

__all__ = ["PullResult", "pull_image", "select_platform", "parse_platform", "fetch_blob"]

WORKERS = 3  # low: Binder counts distinct destinations, and 3 streams fill a link already


@dataclass
class PullResult:
    manifest: Manifest  # the platform manifest that was stored
    index_digest: str | None  # the index it was chosen from, if any
    endpoint: str  # where it came from (a mirror or the registry)
    layers: list[dict[str, Any]] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)  # sources that failed first: "where: why"


def parse_platform(text: str | None) -> dict[str, str]:
    """`linux/arm64/v8` -> {"os", "architecture", "variant"}; None means the host's platform."""
    if not text:
        return host_platform()
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise RegistryError(f"platform {text!r} is not os/arch[/variant]")
    out = {"os": parts[0], "architecture": parts[1]}
    if len(parts) == 3:
        out["variant"] = parts[2]
    return out


def _fmt(p: dict[str, Any]) -> str:
    text = f"{p.get('os', '?')}/{p.get('architecture', '?')}"
    return text + (f"/{p['variant']}" if p.get("variant") else "")


def _variant(p: dict[str, Any]) -> str | None:
    v = p.get("variant")
    if not v and p.get("architecture") == "arm64":
        return "v8"  # arm64 without a variant means v8
    return v


def select_platform(index: dict[str, Any], want: dict[str, str]) -> dict[str, Any]:
    """The index entry for `want`; skips attestations (`unknown/unknown`); lists what exists."""
    entries = [
        m
        for m in index.get("manifests", [])
        if (m.get("platform") or {}).get("os") not in (None, "unknown")
    ]
    hits = [
        m
        for m in entries
        if m["platform"].get("os") == want["os"]
        and m["platform"].get("architecture") == want["architecture"]
    ]
    if want.get("variant") or want["architecture"] == "arm64":
        exact = [m for m in hits if _variant(m["platform"]) == _variant(want)]
        loose = [m for m in hits if not m["platform"].get("variant")]
        hits = exact or loose
    if not hits:
        available = ", ".join(sorted({_fmt(m["platform"]) for m in entries})) or "none"
        raise RegistryError(
            f"no image for platform {_fmt(want)} in this index (available: {available}); "
            "choose one with --platform"
        )
    return hits[0]


def _resolve(
    client: RegistryClient, repo: str, reference: str, want: dict[str, str]
) -> tuple[Manifest, str | None]:
    manifest = client.get_manifest(repo, reference)
    index_digest = None
    depth = 0
    while manifest.is_index:
        if depth > 4:
            raise RegistryError(f"{repo}:{reference}: indexes nested too deeply")
        index_digest = index_digest or manifest.digest
        entry = select_platform(manifest.json, want)
        manifest = client.get_manifest(repo, entry["digest"])  # by digest: verified
        depth += 1
    return manifest, index_digest


def _check_layers(manifest: Manifest) -> list[dict[str, Any]]:
    layers = manifest.json.get("layers")
    config = manifest.json.get("config")
    if not isinstance(layers, list) or not isinstance(config, dict):
        raise RegistryError(f"manifest {manifest.digest} has no config or layers")
    for layer in layers:
        media = layer.get("mediaType", "")
        if media == OCI_LAYER_ZSTD:
            raise RegistryError(
                f"layer {layer.get('digest')} is zstd-compressed: not supported yet"
            )
        if media not in LAYER_TYPES:
            raise RegistryError(f"layer {layer.get('digest')} has an unknown media type {media!r}")
    return layers


def fetch_blob(
    store: Store,
    client: RegistryClient,
    repo: str,
    desc: dict[str, Any],
    progress: ProgressFn,
    written: list[str],
    kind: str = "layer",
    stop: threading.Event | None = None,
) -> None:
    """Stream one blob into the store, verified; skipped if the store already has it.

    ``stop`` set (the pull was interrupted, or another blob failed): give up at the next chunk,
    so an interrupt does not wait for the running downloads to finish."""
    digest, size = desc["digest"], int(desc.get("size", -1))
    if store.blobs.has(digest):
        progress(Progress(digest, "exists", size, size, kind))
        return
    r = client.get_blob(repo, digest)
    try:
        with store.blobs.writer() as w:
            last = 0
            for chunk in r.chunks:
                if stop is not None and stop.is_set():
                    raise RegistryError(f"download of {digest} stopped")
                w.write(chunk)
                if 0 <= size < w.size:
                    raise RegistryError(f"blob {digest} is larger than its descriptor says")
                if w.size - last >= 1 << 20:
                    last = w.size
                    progress(Progress(digest, "downloading", w.size, size, kind))
            if 0 <= size != w.size:
                raise RegistryError(
                    f"blob {digest} is truncated: got {w.size} bytes of {size}; nothing stored"
                )
            try:
                w.commit(digest)
            except StoreError as exc:
                raise RegistryError(
                    f"blob {digest} from {client.endpoint.host}/{repo} was refused: {exc}"
                )
    finally:
        r.close()
    written.append(digest)
    progress(Progress(digest, "downloaded", size, size, kind))


_UNRESOLVED = ("NameResolution", "Name or service not known", "name resolution", "getaddrinfo")


def reason(exc: RegistryError, ep: Endpoint) -> str:
    """Why one source failed, in words a learner can act on."""
    status = exc.status
    if status == 429:
        return "rate limited (429)"
    if status == 404:
        return "no such image there (404)"
    text = str(exc.__cause__ or exc)
    host = ep.host.rsplit(":", 1)[0] if ep.host.count(":") == 1 else ep.host
    if any(s in text for s in _UNRESOLVED):
        return f"cannot resolve {host}"
    if "refused" in text:
        return f"connection refused by {ep.host}"
    if "timed out" in text or "Timeout" in text:
        return f"no answer from {ep.host} (timed out)"
    if "SSL" in text or "certificate" in text.lower():
        return f"TLS with {ep.host} failed"
    if "denied" in text:
        return "access denied"
    return f"HTTP {status}" if status else str(exc)


def _from_endpoints(
    config: RegistryConfig,
    ref: Reference,
    transport: Transport,
    attempt: Callable[[RegistryClient], PullResult],
) -> PullResult:
    """The first source that has the image; a Docker Hub name tries each in turn and says
    why each failed (`RegistryError.tried`); other registries fail with their own error."""
    tried: list[str] = []
    endpoints = config.endpoints(ref.registry)
    for ep in endpoints:
        client = RegistryClient(ep, transport, None if ep.mirror else lookup(ref.registry))
        try:
            result = attempt(client)
        except RegistryError as exc:
            if ref.registry != DEFAULT_REGISTRY:
                raise
            tried.append(f"{ep.where}: {reason(exc, ep)}")
            continue
        result.tried = tried
        return result
    err = RegistryError(f"cannot pull {ref.familiar}: " + "; ".join(tried))
    err.tried = tried
    raise err


def pull_image(
    store: Store,
    ref: Reference,
    written: list[str],
    *,
    config: RegistryConfig,
    transport: Transport | None = None,
    progress: ProgressFn = ignore,
    platform: str | None = None,
    workers: int = WORKERS,
) -> PullResult:
    """Download `ref` for `platform`; every blob newly written is appended to `written`."""
    want = parse_platform(platform)
    transport = transport or RequestsTransport(pool_size=workers + 2)
    reference = ref.digest or ref.tag or "latest"

    def attempt(client: RegistryClient) -> PullResult:
        repo = client.endpoint.repository(ref.repository)
        manifest, index_digest = _resolve(client, repo, reference, want)
        layers = _check_layers(manifest)
        cfg_desc = manifest.json["config"]
        # The config comes down alongside the layers, not before them: one round trip less
        # (on a real registry a redirect to a CDN too). A config that turns out not to fit
        # the manifest fails the pull all the same, and the caller removes what came down.
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            args = (store, client, repo)
            futures = [pool.submit(fetch_blob, *args, cfg_desc, progress, written, "config", stop)]
            futures += [
                pool.submit(fetch_blob, *args, layer, progress, written, "layer", stop)
                for layer in layers
            ]
            try:
                for f in futures:
                    f.result()
            except BaseException:
                stop.set()  # running downloads give up at their next chunk, and are removed
                for f in futures:
                    f.cancel()  # the ones not started yet
                raise
        try:
            cfg = json.loads(store.blobs.read_bytes(cfg_desc["digest"]))
        except ValueError:
            raise RegistryError(f"the config of {manifest.digest} is not JSON")
        rootfs = (cfg.get("rootfs") or {}) if isinstance(cfg, dict) else None
        if not isinstance(rootfs, dict):
            raise RegistryError(f"the config of {manifest.digest} is not an image config")
        if len(rootfs.get("diff_ids") or []) != len(layers):
            raise RegistryError(f"manifest {manifest.digest}: layer count differs from diff_ids")
        if not store.blobs.has(manifest.digest):
            store.blobs.put_bytes(manifest.raw, manifest.digest)
            written.append(manifest.digest)
        return PullResult(manifest, index_digest, client.endpoint.base, layers)

    return _from_endpoints(config, ref, transport, attempt)
