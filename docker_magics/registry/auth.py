"""The authentication ladder: anonymous, then whatever the server's `WWW-Authenticate` asks for.

A 401 names a scheme. `Bearer realm=...,service=...,scope=...` sends us to a token server (with
Basic credentials when we have them, anonymously otherwise); `Basic` wants the credentials on every
request. Tokens are cached per scope set, so a push that adds `push` or a mount source asks again,
and until shortly before their `expires_in` (60 s when unsaid, per the token spec): a long pull
asks for a fresh token instead of being refused halfway.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from ..errors import RegistryError
from .credentials import Credentials
from .transport import Transport

__all__ = ["Challenge", "parse_challenge", "Authenticator", "basic_header"]

_PARAM = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-case: "bearer" or "basic"
    params: dict[str, str] = field(default_factory=dict)


def parse_challenge(header: str) -> Challenge:
    """`Bearer realm="https://x/token",service="y",scope="repository:z:pull"` -> Challenge."""
    scheme, _, rest = header.strip().partition(" ")
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _PARAM.finditer(rest)
    }
    return Challenge(scheme.lower(), params)


def basic_header(creds: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()


class Authenticator:
    """Holds what one registry told us and the tokens it gave; answers `Authorization` values."""

    def __init__(self, transport: Transport, registry: str, creds: Credentials | None) -> None:
        self.transport = transport
        self.registry = registry
        self.creds = creds
        self.challenge: Challenge | None = None
        self._tokens: dict[tuple[str, ...], tuple[str, float]] = {}  # scopes -> (token, until)

    def header(self, scopes: tuple[str, ...]) -> str | None:
        """The Authorization value to send now (None before any challenge: anonymous first)."""
        if self.challenge is None:
            return None
        if self.challenge.scheme == "basic":
            return basic_header(self.creds) if self.creds else None
        cached = self._tokens.get(scopes)
        if cached is None or time.monotonic() >= cached[1]:  # new scope set, or expiring
            cached = self._tokens[scopes] = self._fetch_token(self.challenge, scopes)
        return f"Bearer {cached[0]}"

    def answer(self, www_authenticate: str | None, scopes: tuple[str, ...]) -> bool:
        """React to a 401; True if retrying could now succeed."""
        if not www_authenticate:
            return False
        challenge = parse_challenge(www_authenticate)
        had = self.header(scopes) if self.challenge else None
        self.challenge = challenge
        if challenge.scheme == "basic":
            return self.creds is not None and had is None
        if challenge.scheme != "bearer":
            raise RegistryError(
                f"{self.registry} asks for {challenge.scheme!r} authentication, which we do not "
                "speak (only Bearer and Basic)"
            )
        if had is not None:
            return False  # what we sent was refused: wrong credentials or too small a grant
        self._tokens[scopes] = self._fetch_token(challenge, scopes)
        return True

    def _fetch_token(self, challenge: Challenge, scopes: tuple[str, ...]) -> tuple[str, float]:
        """(token, monotonic time to stop using it: 10 s before it expires)."""
        realm = challenge.params.get("realm")
        if not realm:
            raise RegistryError(f"{self.registry}: Bearer challenge without a realm")
        query: list[tuple[str, str]] = []
        if challenge.params.get("service"):
            query.append(("service", challenge.params["service"]))
        query += [("scope", s) for s in scopes]
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        headers = {"Authorization": basic_header(self.creds)} if self.creds else {}
        r = self.transport.send("GET", url, headers)
        body = r.read()
        if r.status in (401, 403):
            who = f"as {self.creds[0]}" if self.creds else "anonymously"
            raise RegistryError(
                f"{self.registry}: the token server refused access {who} "
                f"(HTTP {r.status}); check `login`"
            )
        if r.status != 200:
            raise RegistryError(f"{self.registry}: token server answered HTTP {r.status}")
        start = time.monotonic()
        try:
            data = json.loads(body)
            token = str(data.get("token") or data["access_token"])
        except (ValueError, KeyError, AttributeError):
            raise RegistryError(f"{self.registry}: the token server's answer has no token")
        try:
            lifetime = float(data.get("expires_in") or 60)
        except (TypeError, ValueError):
            lifetime = 60.0
        return token, start + max(lifetime - 10, lifetime / 2)
