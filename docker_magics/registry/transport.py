"""The one seam between the registry client and the network: `Transport.send`.

Unit tests plug in a test double that answers from a table; everything else (and the integration
tests, which talk to a real `docker-registry`) goes through `RequestsTransport`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from ..errors import RegistryError

__all__ = ["Response", "Transport", "RequestsTransport", "Body"]

Body = bytes | BinaryIO | None


@dataclass
class Response:
    """What the client needs from an HTTP answer; `chunks` streams the body once."""

    status: int
    headers: Mapping[str, str]  # case-insensitive in practice (requests' CaseInsensitiveDict)
    url: str
    chunks: Iterator[bytes] = field(default_factory=lambda: iter(()))
    _closer: Any = None

    def read(self) -> bytes:
        return b"".join(self.chunks)

    def close(self) -> None:
        if self._closer is not None:
            self._closer()

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        if value is None:  # a plain dict from a test double: look case-insensitively
            lower = name.lower()
            value = next((v for k, v in self.headers.items() if k.lower() == lower), None)
        return value


class Transport(Protocol):
    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Body = None,
        *,
        stream: bool = False,
        follow_redirects: bool = True,
    ) -> Response: ...


class RequestsTransport:
    """`requests` with one pooled session; imported lazily so the CLI starts fast."""

    def __init__(self, pool_size: int = 8, timeout: float = 60.0) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        self._requests = requests
        self.session = requests.Session()
        self.session.trust_env = True
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.timeout = timeout

    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Body = None,
        *,
        stream: bool = False,
        follow_redirects: bool = True,
    ) -> Response:
        try:
            # requests drops Authorization when a redirect leaves the host (CDN redirects).
            r = self.session.request(
                method,
                url,
                headers=dict(headers),
                data=body,
                stream=stream,
                allow_redirects=follow_redirects,
                timeout=self.timeout,
            )
        except self._requests.RequestException as exc:
            raise RegistryError(f"{method} {url}: {_short(exc)}") from exc
        chunks = r.iter_content(1 << 20) if stream else iter([r.content])
        return Response(r.status_code, r.headers, r.url, _guard(chunks, url), r.close)


def _guard(chunks: Iterator[bytes], url: str) -> Iterator[bytes]:
    """Connection errors in the middle of a body become RegistryError too."""
    import requests

    try:
        yield from chunks
    except requests.RequestException as exc:
        raise RegistryError(f"reading {url}: {_short(exc)}") from exc


def _short(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    return text if len(text) < 300 else text[:300] + "..."
