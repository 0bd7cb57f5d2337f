"""The client through a test double transport: the protocol cases a local registry cannot show."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest

from docker_magics.errors import RegistryError
from docker_magics.oci.mediatypes import DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from docker_magics.registry.auth import parse_challenge
from docker_magics.registry.client import RegistryClient
from docker_magics.registry.config import Endpoint, load_config
from docker_magics.registry.credentials import lookup, remove_auth, store_auth
from docker_magics.registry.pull import select_platform
from docker_magics.registry.transport import Response

Handler = Callable[[str, str, dict, object], Response]


class FakeTransport:
    """Answers from a function; records every request (method, url, headers)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.log: list[tuple[str, str, dict]] = []

    def send(self, method, url, headers, body=None, *, stream=False, follow_redirects=True):
        self.log.append((method, url, dict(headers)))
        return self.handler(method, url, dict(headers), body)


def resp(status: int, body: bytes = b"", **headers: str) -> Response:
    hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
    return Response(status, hdrs, "", iter([body]))


MANIFEST = json.dumps(
    {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {}, "layers": []}
).encode()
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
EP = Endpoint("reg.example", "reg.example", "https")


def test_bearer_ladder_anonymous_then_token():
    def handler(method, url, headers, body):
        if url.startswith("https://auth.example/token"):
            assert "scope=repository%3Alib%2Fx%3Apull" in url and "service=reg" in url
            assert "Authorization" not in headers  # anonymous token
            return resp(200, json.dumps({"token": "T1"}).encode())
        if headers.get("Authorization") != "Bearer T1":
            return resp(
                401,
                WWW_Authenticate='Bearer realm="https://auth.example/token",'
                'service="reg",scope="repository:lib/x:pull"',
            )
        return resp(200, MANIFEST, Content_Type=OCI_MANIFEST, Docker_Content_Digest=DIGEST)

    t = FakeTransport(handler)
    client = RegistryClient(EP, t)
    m = client.get_manifest("lib/x", "1")
    assert m.digest == DIGEST and m.media_type == OCI_MANIFEST
    client.get_manifest("lib/x", "1")  # the token is cached: no second token request
    assert sum(1 for _, u, _ in t.log if "auth.example" in u) == 1
    assert "application/vnd.docker.distribution.manifest.list.v2+json" in t.log[0][2]["Accept"]


def test_bearer_with_credentials_sends_basic_to_the_token_server():
    seen = {}

    def handler(method, url, headers, body):
        if "token" in url:
            seen["auth"] = headers.get("Authorization")
            return resp(200, json.dumps({"access_token": "T2"}).encode())
        if headers.get("Authorization") == "Bearer T2":
            return resp(200, b"{}")
        return resp(401, WWW_Authenticate='Bearer realm="https://reg.example/token"')

    RegistryClient(EP, FakeTransport(handler), ("u", "p")).ping()
    assert seen["auth"] == "Basic dTpw"


def test_basic_challenge_without_credentials_names_login():
    t = FakeTransport(lambda *a: resp(401, WWW_Authenticate='Basic realm="r"'))
    with pytest.raises(RegistryError, match="login reg.example"):
        RegistryClient(EP, t).ping()


def test_manifest_digest_is_checked_over_raw_bytes():
    bad = "sha256:" + "0" * 64
    t = FakeTransport(
        lambda *a: resp(200, MANIFEST, Content_Type=OCI_MANIFEST, Docker_Content_Digest=bad)
    )
    with pytest.raises(RegistryError, match="does not match"):
        RegistryClient(EP, t).get_manifest("x", "1")
    t = FakeTransport(lambda *a: resp(200, MANIFEST, Content_Type=OCI_MANIFEST))
    with pytest.raises(RegistryError, match="does not match its digest"):
        RegistryClient(EP, t).get_manifest("x", bad)


def test_content_type_must_agree_with_media_type():
    t = FakeTransport(lambda *a: resp(200, MANIFEST, Content_Type=DOCKER_MANIFEST))
    with pytest.raises(RegistryError, match="differs"):
        RegistryClient(EP, t).get_manifest("x", "1")


def test_oci_manifest_without_media_type_dispatches_on_content_type():
    raw = json.dumps({"schemaVersion": 2, "manifests": []}).encode()
    t = FakeTransport(lambda *a: resp(200, raw, Content_Type=OCI_INDEX))
    assert RegistryClient(EP, t).get_manifest("x", "1").is_index


def test_rate_limit_is_reported():
    t = FakeTransport(lambda *a: resp(429, b'{"errors":[{"code":"TOOMANYREQUESTS"}]}'))
    with pytest.raises(RegistryError, match="rate limited"):
        RegistryClient(EP, t).ping()


def test_platform_selection_variants():
    def entry(arch, variant=None, os_="linux"):
        p = {"os": os_, "architecture": arch}
        if variant:
            p["variant"] = variant
        return {"digest": f"{arch}{variant or ''}", "platform": p}

    index = {
        "manifests": [
            entry("arm", "v6"),
            entry("arm", "v7"),
            entry("arm64"),
            entry("amd64"),
            entry("unknown", os_="unknown"),
        ]
    }
    pick = lambda **w: select_platform(index, {"os": "linux", **w})["digest"]  # noqa: E731
    assert pick(architecture="arm64", variant="v8") == "arm64"
    assert pick(architecture="arm", variant="v7") == "armv7"
    assert pick(architecture="amd64") == "amd64"
    with pytest.raises(RegistryError, match="available: linux/amd64, linux/arm/v6, linux/arm/v7"):
        pick(architecture="riscv64")


def test_parse_challenge():
    c = parse_challenge('Bearer realm="https://a/t",service="s",scope="repository:x:pull,push"')
    assert c.scheme == "bearer"
    assert c.params == {"realm": "https://a/t", "service": "s", "scope": "repository:x:pull,push"}


def test_credentials_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert lookup("docker.io") is None
    store_auth("docker.io", "me", "pw:with:colons")
    assert lookup("docker.io") == ("me", "pw:with:colons")
    assert (
        "https://index.docker.io/v1/" in json.loads((tmp_path / "config.json").read_text())["auths"]
    )
    assert remove_auth("docker.io") and lookup("docker.io") is None


def test_mirrors_and_insecure_hosts(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKER_MAGICS_HUB")
    monkeypatch.delenv("DOCKER_MAGICS_PUBLIC_MIRRORS")
    (tmp_path / "config.json").write_text(
        json.dumps(
            {"registry-mirrors": ["http://127.0.0.1:5000"], "insecure-registries": ["lan:5000"]}
        )
    )
    monkeypatch.setenv("DOCKER_MAGICS_REGISTRY_MIRRORS", "https://m.example")
    cfg = load_config(str(tmp_path), mirrors=["http://arg.example"])
    eps = cfg.endpoints("docker.io")
    # Docker Hub first, then the public mirrors of official images, then the configured ones
    assert [e.base for e in eps] == [
        "https://registry-1.docker.io",
        "https://mirror.gcr.io",
        "https://public.ecr.aws",
        "http://arg.example",
        "https://m.example",
        "http://127.0.0.1:5000",
    ]
    assert eps[0].mirror is False and all(e.mirror for e in eps[1:])
    assert eps[2].repository("library/node") == "docker/library/node"
    assert cfg.endpoints("docker.io", for_push=True)[0].mirror is False
    assert cfg.endpoints("lan:5000")[0].base == "http://lan:5000"
    assert cfg.endpoints("quay.example")[0].base == "https://quay.example"
    assert cfg.endpoints("localhost:5000")[0].scheme == "http"


def test_bootstrap_sources_from_host_style_files(tmp_path):
    from docker_magics.engine.aptsources import bootstrap_sources

    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "# comment\ndeb [arch=amd64] http://mirror.lan/debian bookworm main contrib\n"
        "deb http://other.lan/ubuntu jammy main\n"
    )
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.lan/debian-security\nSuites: bookworm-security\n"
        "Components: main\nSigned-By: /k.gpg\n\nTypes: deb-src\nURIs: http://x\n"
        "Suites: bookworm\nComponents: main\n"
    )
    text = bootstrap_sources("bookworm", str(tmp_path))
    assert text.splitlines() == [
        "deb [arch=amd64] http://mirror.lan/debian bookworm main contrib",
        "deb [signed-by=/k.gpg] http://mirror.lan/debian-security bookworm-security main",
    ]
