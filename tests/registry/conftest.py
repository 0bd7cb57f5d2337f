"""A real `docker-registry` (distribution 2.8) on 127.0.0.1 for the registry tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from skipguard import need_in_ci

from tests.registry_server import Registry, stop_registry
from tests.registry_server import start_registry as _start

pytestmark = pytest.mark.registry

AUTH = """\
auth:
  htpasswd:
    realm: docker-magics-test
    path: {htpasswd}
"""

USER, PASSWORD = "tester", "s3cret-pw"


def _bcrypt(password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt  # libxcrypt does bcrypt ($2b$), which the registry accepts
        except ImportError:
            crypt = None  # type: ignore[assignment]
    if crypt is not None:
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))  # cost 4
        if hashed and hashed.startswith("$2"):
            return hashed
    if shutil.which("htpasswd"):
        out = subprocess.run(
            ["htpasswd", "-nbB", "-C", "4", USER, password],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return out.strip().split(":", 1)[1]
    pytest.skip("no bcrypt implementation (python crypt or htpasswd from apache2-utils)")


def start_registry(base: str, *, htpasswd: bool = False, auth: str = "") -> Registry:
    """`auth` is a ready `auth:` section (the token tests write theirs)."""
    if shutil.which("docker-registry") is None:
        pytest.skip("needs Debian's docker-registry: apt-get install docker-registry")
    if htpasswd:
        os.makedirs(base, exist_ok=True)
        path = os.path.join(base, "htpasswd")
        with open(path, "w") as fh:
            fh.write(f"{USER}:{_bcrypt(PASSWORD)}\n")
        auth = AUTH.format(htpasswd=path)
    return _start(base, auth=auth)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = start_registry(str(tmp_path_factory.mktemp("registry")))
    yield reg
    stop_registry(reg)


@pytest.fixture()
def private_registry(tmp_path) -> Iterator[Registry]:
    """A registry of its own, for tests that damage its storage."""
    reg = start_registry(str(tmp_path / "private-registry"))
    yield reg
    stop_registry(reg)


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = start_registry(str(tmp_path_factory.mktemp("auth-registry")), htpasswd=True)
    yield reg
    stop_registry(reg)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch) -> None:
    """Never read or write the real ~/.docker, and no mirrors unless a test sets them."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.delenv("DOCKER_MAGICS_REGISTRY_MIRRORS", raising=False)
    monkeypatch.delenv("DOCKER_MAGICS_INSECURE_REGISTRIES", raising=False)
    monkeypatch.delenv("DOCKER_MAGICS_STAND_INS", raising=False)
    # Docker Hub names stay on this machine: a hub that never resolves, no public mirrors.
    monkeypatch.setenv("DOCKER_MAGICS_HUB", "registry-1.docker.invalid")
    monkeypatch.setenv("DOCKER_MAGICS_PUBLIC_MIRRORS", "off")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"needs {tool}")
    return path


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Any]]:
    """docker-registry with `auth: token`, and the token server it trusts (tokenserver.py)."""
    need("openssl")
    from .tokenserver import TokenServer

    base = str(tmp_path_factory.mktemp("token-registry"))
    server = TokenServer(base, {USER: PASSWORD})
    reg = start_registry(base, auth=server.auth_section())
    yield reg, server
    stop_registry(reg)
    server.stop()


@pytest.fixture(scope="session")
def debian(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A store holding `debian:bookworm` made by mmdebstrap (minbase), once per session."""
    from docker_magics.api import Engine
    from docker_magics.errors import BuildError

    need("mmdebstrap")
    eng = Engine(str(tmp_path_factory.mktemp("debian") / "store"))
    try:
        eng.bootstrap("debian:bookworm", variant="minbase")
    except BuildError as exc:  # most likely no route to the apt sources
        need_in_ci(f"mmdebstrap could not bootstrap bookworm (no network to apt sources?): {exc}")
    return eng


@pytest.fixture(scope="session")
def debian_in_registry(debian: Any, registry: Registry) -> str:
    """The bootstrapped Debian pushed to the session registry, as HOST/debian:bookworm and as
    HOST/library/debian:bookworm (what a Docker Hub mirror serves for `debian:bookworm`)."""
    name = f"{registry.host}/debian:bookworm"
    for target in (name, f"{registry.host}/library/debian:bookworm"):
        debian.push("debian:bookworm", target)
    return name
