"""`save`, `load`, `export`: images and filesystems as tar archives.

`save` writes one tar that is both a Docker archive (`manifest.json`, `repositories`) and an OCI
image layout (`oci-layout`, `index.json`, `blobs/`), as Docker 25+ does, so every loader takes it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from typing import Any, BinaryIO

from ..errors import LayerError, StoreError
from ..layer.extract import safe_rmtree
from ..layer.generate import write_layer
from ..layer.mtree import walk
from ..layer.owner import owner_ops
from ..layer.stream import sniff_compression
from ..layer.tarwriter import LayerTarWriter
from ..oci.digest import digest_hex, sha256_digest
from ..oci.image import descriptor
from ..oci.mediatypes import INDEX_TYPES, OCI_LAYER, OCI_LAYER_GZIP, OCI_MANIFEST
from ..oci.reference import parse_reference
from ..snapshot.unpack import unpack_into, verify_diff_id
from ..store.atomic import canonical_json
from ..store.containers import Container
from ..store.images import Image
from ..store.store import Store
from .commit import container_changes

__all__ = ["save_images", "load_archive", "export_container", "flatten_container"]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _add_blob(tar: tarfile.TarFile, store: Store, digest: str, done: set[str]) -> None:
    if digest in done:
        return
    done.add(digest)
    with store.blobs.open(digest) as fh:
        info = tarfile.TarInfo(f"blobs/sha256/{digest_hex(digest)}")
        info.size = os.fstat(fh.fileno()).st_size
        info.mode = 0o444
        tar.addfile(info, fh)


def save_images(store: Store, names: list[str], out: BinaryIO) -> None:
    images: list[tuple[Image, list[str]]] = []
    for name in names:
        image = store.images.resolve(name)
        try:
            ref = str(parse_reference(name))
            refs = [ref] if ref in image.refs else []
        except ValueError:
            refs = []
        images.append((image, refs))
    index: list[dict[str, Any]] = []
    docker_manifest: list[dict[str, Any]] = []
    repositories: dict[str, dict[str, str]] = {}
    done: set[str] = set()
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for image, refs in images:
            for digest in [
                *(x["digest"] for x in image.layers),
                image.config_digest,
                image.manifest_digest,
            ]:
                _add_blob(tar, store, digest, done)
            tags = [parse_reference(r).familiar for r in refs]
            for r in refs:
                parsed = parse_reference(r)
                ann = {
                    "io.containerd.image.name": r,
                    "org.opencontainers.image.ref.name": parsed.tag,
                }
                index.append(
                    descriptor(
                        OCI_MANIFEST,
                        image.manifest_digest,
                        store.blobs.size(image.manifest_digest),
                        annotations=ann,
                    )
                )
                repo = parsed.familiar.rsplit(":", 1)[0]
                top = image.diff_ids[-1] if image.diff_ids else image.config_digest
                repositories.setdefault(repo, {})[parsed.tag or "latest"] = digest_hex(top)
            if not refs:
                index.append(
                    descriptor(
                        OCI_MANIFEST, image.manifest_digest, store.blobs.size(image.manifest_digest)
                    )
                )
            docker_manifest.append(
                {
                    "Config": f"blobs/sha256/{digest_hex(image.config_digest)}",
                    "RepoTags": tags,
                    "Layers": [f"blobs/sha256/{digest_hex(x['digest'])}" for x in image.layers],
                }
            )
        _add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        _add_bytes(
            tar,
            "index.json",
            canonical_json(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": index,
                }
            ),
        )
        _add_bytes(tar, "manifest.json", json.dumps(docker_manifest).encode())
        _add_bytes(tar, "repositories", json.dumps(repositories).encode())


class _Loader:
    """Imports blobs from an archive, remembering new ones so a failure can take them back."""

    def __init__(self, store: Store, tar: tarfile.TarFile, source: str) -> None:
        self.store, self.tar, self.source = store, tar, source
        self.new_blobs: list[str] = []

    def member_bytes(self, name: str) -> bytes:
        return self.open(name).read()

    def open(self, name: str) -> BinaryIO:
        name = name.lstrip("./")
        try:
            fh = self.tar.extractfile(name)
        except KeyError:
            fh = None
        if fh is None:
            raise StoreError(f"{self.source}: archive has no file {name!r}")
        return fh  # type: ignore[return-value]

    def put(self, fh: BinaryIO, expected: str | None) -> str:
        # Hashed here too: whether the blob was already in the store decides if a rollback may
        # delete it, and a layer given by path (Docker form) has no expected digest to ask by.
        h = hashlib.sha256()
        with self.store.blobs.writer() as w:
            while chunk := fh.read(1 << 20):
                w.write(chunk)
                h.update(chunk)
            existed = self.store.blobs.has("sha256:" + h.hexdigest())
            digest = w.commit(expected)
        if not existed:
            self.new_blobs.append(digest)
        return digest

    def rollback(self) -> None:
        for digest in self.new_blobs:
            self.store.blobs.remove(digest)

    def oci(self) -> list[tuple[Image, list[str]]]:
        index = json.loads(self.member_bytes("index.json"))
        out = []
        for m in _manifests(self, index):
            ann = m.get("annotations") or {}
            ref = ann.get("io.containerd.image.name") or ann.get(
                "org.opencontainers.image.ref.name"
            )
            manifest_digest = self.put(
                self.open(f"blobs/sha256/{digest_hex(m['digest'])}"), m["digest"]
            )
            manifest = json.loads(self.store.blobs.read_bytes(manifest_digest))
            for d in [manifest["config"], *manifest["layers"]]:
                self.put(self.open(f"blobs/sha256/{digest_hex(d['digest'])}"), d["digest"])
            image = self.store.images.load(manifest_digest)
            out.append((image, [ref] if ref else []))
        return out

    def docker(self) -> list[tuple[Image, list[str]]]:
        out = []
        known = {e.digest for e in self.store.index.entries()}
        for entry in json.loads(self.member_bytes("manifest.json")):
            cfg_bytes = self.member_bytes(entry["Config"])
            cfg_digest = self.put(io.BytesIO(cfg_bytes), sha256_digest(cfg_bytes))
            config = json.loads(cfg_bytes)
            layers = []
            for path in entry["Layers"]:
                head = self.open(path).read(6)
                media = OCI_LAYER_GZIP if sniff_compression(head) == "gzip" else OCI_LAYER
                digest = self.put(self.open(path), None)
                layers.append(descriptor(media, digest, self.store.blobs.size(digest)))
            image = _image_from(self.store, cfg_digest, len(cfg_bytes), config, layers)
            if image.manifest_digest not in known:  # the store's own must survive a rollback
                self.new_blobs.append(image.manifest_digest)
            tags = entry.get("RepoTags") or []
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise StoreError(f"{self.source}: RepoTags must be a list of names, not {tags!r}")
            out.append((image, tags))
        return out


def _manifests(loader: _Loader, index: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for m in index.get("manifests", []):
        if m.get("mediaType") in INDEX_TYPES:
            nested = json.loads(loader.member_bytes(f"blobs/sha256/{digest_hex(m['digest'])}"))
            out.extend(_manifests(loader, nested))
        else:
            out.append(m)
    return out


def _image_from(
    store: Store,
    cfg_digest: str,
    cfg_size: int,
    config: dict[str, Any],
    layers: list[dict[str, Any]],
) -> Image:
    from ..oci.image import make_manifest

    manifest = make_manifest(cfg_digest, cfg_size, layers)
    digest = store.blobs.put_bytes(canonical_json(manifest))
    return Image(digest, manifest, cfg_digest, config)


def load_archive(store: Store, path: str, name: str | None = None) -> list[str]:
    """`load -i FILE`: every image in the archive, verified before it is tagged.

    Every blob is checked against its digest and every layer's uncompressed bytes against its
    diff_id; layers are unpacked on first use (``run``, ``build``), as skopeo and containerd
    leave them packed: a 170 MB image loads in the time it takes to copy and hash it.
    ``name`` is what messages call the archive (``path`` may be a copy of standard input).
    """
    label = name or path
    with store.writing():
        try:
            tar = tarfile.open(path, mode="r:*")
        except OSError as exc:
            raise StoreError(f"{label}: cannot read the image archive ({exc.strerror or exc})")
        except tarfile.TarError:
            # tarfile's message lists every method it tried as Python reprs; say what is wanted.
            raise StoreError(
                f"{label}: not an image archive (a tar, plain or gzip/bzip2/xz-compressed, "
                "as written by `save` or `docker save`)"
            )
        loader = _Loader(store, tar, label)
        try:
            names = tar.getnames()
            normal = {n.lstrip("./") for n in names}
            images = loader.oci() if "index.json" in normal else loader.docker()
            for image, _ in images:
                if len(image.diff_ids) != len(image.layers):
                    raise StoreError(
                        f"{label}: image config lists {len(image.diff_ids)} diff_ids "
                        f"for {len(image.layers)} layers"
                    )
                for layer, diff_id in zip(image.layers, image.diff_ids):
                    verify_diff_id(store, layer, diff_id)
        # TypeError, AttributeError: JSON of the wrong shape (a list for an object, ...).
        except (
            KeyError,
            ValueError,
            TypeError,
            AttributeError,
            LayerError,
            tarfile.TarError,
        ) as exc:
            loader.rollback()
            raise StoreError(f"{label}: {exc}") if not isinstance(exc, LayerError) else exc
        except BaseException:
            loader.rollback()
            raise
        finally:
            tar.close()
        loaded = []
        for image, refs in images:
            for ref in refs:
                store.images.tag(image, ref)
                loaded.append(f"Loaded image: {parse_reference(ref).familiar}")
            if not refs:
                store.images.keep_untagged(image)
                loaded.append(f"Loaded image ID: {image.id}")
        return loaded


def flatten_container(store: Store, c: Container) -> str:
    """A temporary directory holding the container's whole filesystem (caller removes it)."""
    cdir = store.containers.dir(c.id)
    if c.rootfs_mode == "copy":
        return os.path.join(cdir, "rootfs")
    image = store.images.load(c.manifest_digest)
    target = store.tmp_path("flatten")
    for layer, diff_id in zip(image.layers, image.diff_ids):
        unpack_into(store, layer, diff_id, target, overlay=False)
    with tempfile.TemporaryFile(dir=store.tmp_dir) as diff:
        write_layer(iter(container_changes(store, c)), diff, owner_ops())  # type: ignore[arg-type]
        diff.seek(0)
        from ..layer.extract import extract_layer

        extract_layer(diff, target, overlay=False, ops=owner_ops())  # type: ignore[arg-type]
    return target


def export_container(store: Store, c: Container, out: BinaryIO) -> None:
    root = flatten_container(store, c)
    try:
        writer = LayerTarWriter(out, owner_ops())
        for rel, st in walk(root):
            writer.add_path(os.path.join(root, rel), rel, st)
        writer.close()
    finally:
        if c.rootfs_mode != "copy":
            safe_rmtree(root)
