"""A token server of our own for docker-registry's `auth: token` (distribution's token spec).

It answers `GET /token?service=S&scope=repository:NAME:ACTIONS` with a JWT that distribution 2.8
accepts: RS256, the signing certificate in the `x5c` header (the registry verifies that chain
against its `rootcertbundle`, which holds this self-signed certificate, and then checks the
signature with the certificate's key), `iss` = the configured issuer, `aud` = the service (a
string: 2.8's claim set has a single audience), `nbf`/`exp`, and `access` listing what is granted.

Policy: Basic credentials must match `users`; anonymous and wrong passwords get 401, as Docker
Hub's token server does for private repositories. The key and certificate are made at test time
with the `openssl` CLI (no Python crypto package needed); `untrusted = True` makes it sign with
a second key the registry does not know, to show the registry really checks signatures.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SERVICE = "docker-magics-test-registry"
ISSUER = "docker-magics-test-issuer"

AUTH = """\
auth:
  token:
    realm: {realm}
    service: {service}
    issuer: {issuer}
    rootcertbundle: {cert}
"""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _keypair(base: str, name: str) -> tuple[str, str]:
    """(private key PEM path, certificate PEM path): a self-signed RSA certificate."""
    key, cert = os.path.join(base, f"{name}.key"), os.path.join(base, f"{name}.crt")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key]
        + ["-out", cert, "-days", "2", "-subj", f"/CN=docker-magics {name}"],
        check=True,
        capture_output=True,
    )
    return key, cert


def _der_b64(cert_pem: str) -> str:
    """The certificate's DER in standard base64 (x5c's encoding): the PEM body, joined."""
    with open(cert_pem) as fh:
        return "".join(line.strip() for line in fh if line.strip() and "-----" not in line)


class TokenServer:
    def __init__(self, base: str, users: dict[str, str]) -> None:
        self.base = base
        self.users = users
        self.key, self.cert = _keypair(base, "token-signer")
        self._other: tuple[str, str] | None = None
        self.untrusted = False
        self.expires_in = 300  # what the answer says; the JWT itself stays valid for 300 s
        self.requests: list[tuple[str | None, list[str]]] = []  # (user, scopes) as asked
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/token"

    def auth_section(self) -> str:
        return AUTH.format(realm=self.realm, service=SERVICE, issuer=ISSUER, cert=self.cert)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- tokens ---------------------------------------------------------------------------------
    def _signer(self) -> tuple[str, str]:
        if not self.untrusted:
            return self.key, self.cert
        if self._other is None:
            self._other = _keypair(self.base, "stranger")
        return self._other

    def token(self, user: str, scopes: list[str]) -> str:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "repository" and name:
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        key, cert = self._signer()
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [_der_b64(cert)]}
        claims = {
            "iss": ISSUER,
            "sub": user,
            "aud": SERVICE,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        sig = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", key],
            input=signing_input.encode(),
            capture_output=True,
            check=True,
        ).stdout
        return f"{signing_input}.{_b64url(sig)}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet test output
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                user = None
                header = self.headers.get("Authorization") or ""
                if header.startswith("Basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    if server.users.get(user) != password:
                        user = "!" + user  # recorded as a refused attempt
                server.requests.append((user, query.get("scope", [])))
                if url.path != "/token" or query.get("service") != [SERVICE]:
                    self._answer(404, {"details": "unknown service"})
                elif user is None or user.startswith("!"):
                    self._answer(401, {"details": "authentication required"})
                else:
                    token = server.token(user, query.get("scope", []))
                    body = {"token": token, "access_token": token, "expires_in": server.expires_in}
                    self._answer(200, body)

        return Handler
