"""Requests to one registry endpoint: authentication, errors, manifests and blobs.

Every call names the repositories it touches so the authenticator can ask for the right token
scope. Bodies are streamed both ways; nothing here holds a layer in memory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, BinaryIO
from urllib.parse import urljoin

from ..errors import RegistryError
from ..oci.digest import sha256_digest
from ..oci.mediatypes import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
)
from .auth import Authenticator
from .config import Endpoint
from .credentials import Credentials
from .transport import Body, Response, Transport

__all__ = ["RegistryClient", "MANIFEST_ACCEPT", "Manifest"]

# Every manifest type we can use; without the OCI ones docker-registry 2.8 answers 404 for them.
MANIFEST_ACCEPT = ", ".join([OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST])


class Manifest:
    """A manifest or index exactly as served: raw bytes (what the digest covers) and parsed JSON."""

    def __init__(self, raw: bytes, media_type: str, digest: str) -> None:
        self.raw = raw
        self.media_type = media_type
        self.digest = digest
        try:
            self.json: dict[str, Any] = json.loads(raw)
        except ValueError as exc:
            raise RegistryError(f"manifest {digest} is not JSON: {exc}")

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


def _scope(repo: str, actions: str) -> str:
    return f"repository:{repo}:{actions}"


def _error_text(r: Response, body: bytes) -> str:
    try:
        errors = json.loads(body).get("errors") or []
        parts = []
        for e in errors:
            text = f"{e.get('code', '?')}: {e.get('message', '')}"
            if isinstance(e.get("detail"), str):
                text += f" ({e['detail']})"
            parts.append(text)
        if parts:
            return "; ".join(parts)
    except (ValueError, AttributeError):
        pass
    return f"HTTP {r.status}"


class RegistryClient:
    def __init__(
        self,
        endpoint: Endpoint,
        transport: Transport,
        creds: Credentials | None = None,
        *,
        push: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self.auth = Authenticator(transport, endpoint.registry, creds)
        self.actions = "pull,push" if push else "pull"

    # -- plumbing -----------------------------------------------------------------------------
    def url(self, path_or_url: str) -> str:
        return urljoin(self.endpoint.base + "/", path_or_url)

    def request(
        self,
        method: str,
        path: str,
        repos: tuple[str, ...] = (),
        *,
        headers: Mapping[str, str] | None = None,
        body: Body = None,
        stream: bool = False,
        ok: tuple[int, ...] = (200,),
        mount_from: str | None = None,
    ) -> Response:
        """Send with the auth ladder; a status outside `ok` raises RegistryError (404 included)."""
        scopes = tuple(_scope(r, self.actions) for r in repos)
        if mount_from:
            scopes += (_scope(mount_from, "pull"),)
        url = self.url(path)
        start = body.tell() if hasattr(body, "tell") else None  # type: ignore[union-attr]
        for _ in range(3):
            h = dict(headers or {})
            value = self.auth.header(scopes)
            if value:
                h["Authorization"] = value
            r = self.transport.send(method, url, h, body, stream=stream)
            if r.status != 401:
                break
            r.read()
            if not self.auth.answer(r.header("WWW-Authenticate"), scopes):
                raise self._denied(r)
            if start is not None:
                body.seek(start)  # type: ignore[union-attr]
        if r.status in ok:
            return r
        text = _error_text(r, r.read())
        if r.status == 401:
            raise self._denied(r)
        if r.status == 429:
            err = RegistryError(f"{self.endpoint.host}: too many requests (rate limited); {text}")
        else:
            err = RegistryError(f"{method} {url}: {text}")
        err.status = r.status
        raise err

    def _denied(self, r: Response) -> RegistryError:
        who = f"as {self.auth.creds[0]}" if self.auth.creds else "without credentials"
        return RegistryError(
            f"{self.endpoint.registry}: access denied {who} (HTTP {r.status}); "
            f"`docker-magics login {self.endpoint.registry}` may help"
        )

    # -- API ----------------------------------------------------------------------------------
    def ping(self) -> None:
        """`GET /v2/`: is this a registry, and do our credentials work for it?"""
        r = self.request("GET", "/v2/")
        r.read()

    def get_manifest(self, repo: str, reference: str) -> Manifest:
        r = self.request(
            "GET", f"/v2/{repo}/manifests/{reference}", (repo,), headers={"Accept": MANIFEST_ACCEPT}
        )
        raw = r.read()
        digest = sha256_digest(raw)
        if reference.startswith("sha256:") and digest != reference:
            raise RegistryError(
                f"manifest {repo}@{reference} does not match its digest (got {digest}); refused"
            )
        served = r.header("Docker-Content-Digest")
        if served and served.startswith("sha256:") and served != digest:
            raise RegistryError(
                f"manifest {repo}:{reference} does not match the digest the registry announced "
                f"({served}, got {digest}); refused"
            )
        media_type = (r.header("Content-Type") or "").split(";")[0].strip()
        manifest = Manifest(raw, media_type, digest)
        body_type = manifest.json.get("mediaType")
        if media_type not in MANIFEST_TYPES | INDEX_TYPES:
            media_type = body_type or ""
            manifest.media_type = media_type
        if media_type not in MANIFEST_TYPES | INDEX_TYPES:
            raise RegistryError(
                f"{repo}:{reference} has an unsupported manifest type {media_type!r}"
            )
        if body_type and body_type != media_type:
            raise RegistryError(
                f"{repo}:{reference}: Content-Type {media_type} differs from the manifest's "
                f"mediaType {body_type}; refused"
            )
        return manifest

    def blob_size(self, repo: str, digest: str) -> int | None:
        """HEAD a blob: its size, or None if the registry does not have it in `repo`."""
        r = self.request("HEAD", f"/v2/{repo}/blobs/{digest}", (repo,), ok=(200, 404))
        r.close()
        if r.status == 404:
            return None
        return int(r.header("Content-Length") or -1)

    def get_blob(self, repo: str, digest: str) -> Response:
        return self.request("GET", f"/v2/{repo}/blobs/{digest}", (repo,), stream=True)

    def start_upload(
        self, repo: str, *, mount: str | None = None, source: str | None = None
    ) -> tuple[bool, str]:
        """POST an upload: (True, "") if a cross-repo mount worked, else (False, Location)."""
        path = f"/v2/{repo}/blobs/uploads/"
        if mount and source:
            path += f"?mount={mount}&from={source}"
        r = self.request(
            "POST",
            path,
            (repo,),
            headers={"Content-Length": "0"},
            body=b"",
            ok=(201, 202),
            mount_from=source,
        )
        r.read()
        if r.status == 201:
            return True, ""
        location = r.header("Location")
        if not location:
            raise RegistryError(f"{self.endpoint.host}: upload started without a Location")
        return False, self.url(location)

    def put_blob(self, repo: str, location: str, digest: str, src: BinaryIO, size: int) -> None:
        """Monolithic upload: the whole blob in the closing PUT (streamed from `src`)."""
        url = location + ("&" if "?" in location else "?") + f"digest={digest}"
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        self.request("PUT", url, (repo,), headers=headers, body=src, ok=(201,)).read()

    def patch_blob(
        self, repo: str, location: str, src: BinaryIO, size: int, chunk: int, digest: str
    ) -> None:
        """Chunked upload: PATCH ranges, always to the latest Location, then PUT ?digest=."""
        offset = 0
        while offset < size:
            n = min(chunk, size - offset)
            part = _Slice(src, n)
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Length": str(n),
                "Content-Range": f"{offset}-{offset + n - 1}",
            }
            body: Any = part
            r = self.request("PATCH", location, (repo,), headers=headers, body=body, ok=(202,))
            r.read()
            location = self.url(r.header("Location") or location)
            offset += n
        url = location + ("&" if "?" in location else "?") + f"digest={digest}"
        self.request(
            "PUT", url, (repo,), headers={"Content-Length": "0"}, body=b"", ok=(201,)
        ).read()

    def put_manifest(self, repo: str, reference: str, raw: bytes, media_type: str) -> str:
        r = self.request(
            "PUT",
            f"/v2/{repo}/manifests/{reference}",
            (repo,),
            headers={"Content-Type": media_type},
            body=raw,
            ok=(201,),
        )
        r.read()
        return r.header("Docker-Content-Digest") or sha256_digest(raw)


class _Slice:
    """The next `n` bytes of `src` as a seekable file for one PATCH (so a 401 retry can rewind)."""

    def __init__(self, src: BinaryIO, n: int) -> None:
        self._src = src
        self._start = src.tell()
        self._n = n
        self._pos = 0

    def __len__(self) -> int:
        return self._n

    def read(self, size: int = -1) -> bytes:
        left = self._n - self._pos
        if size < 0 or size > left:
            size = left
        data = self._src.read(size)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        self._pos = pos
        self._src.seek(self._start + pos)
        return pos
