"""Docker credential helpers (`credHelpers`, `credsStore` in config.json): a real helper program.

The helper is a small shell script named `docker-credential-NAME` on PATH, speaking the helper
protocol (`get`, server URL on stdin, JSON with Username and Secret on stdout), as
docker-credential-pass or -secretservice do.
"""

from __future__ import annotations

import json
import os

import pytest

from docker_magics.api import Engine
from docker_magics.errors import RegistryError

from .conftest import PASSWORD, USER

pytestmark = pytest.mark.registry

HELPER = """#!/bin/sh
[ "$1" = get ] || exit 1
read -r server
echo "$server" >> "{log}"
if [ "$server" = "{host}" ]; then
    printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{secret}"}}' "$server"
else
    echo "credentials not found in native keychain"; exit 1
fi
"""


def _install_helper(tmp_path, monkeypatch, host: str) -> str:
    bindir = tmp_path / "helpers"
    bindir.mkdir()
    log = str(tmp_path / "helper.log")
    path = bindir / "docker-credential-dmtest"
    path.write_text(HELPER.format(log=log, host=host, user=USER, secret=PASSWORD))
    path.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return log


def _config(data: dict) -> None:
    path = os.path.join(os.environ["DOCKER_CONFIG"], "config.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(data, fh)


@pytest.mark.parametrize("style", ["credHelpers", "credsStore"])
def test_helper_supplies_credentials(
    style, engine, base_image, token_registry, tmp_path, monkeypatch
):
    reg, server = token_registry
    log = _install_helper(tmp_path, monkeypatch, reg.host)
    if style == "credHelpers":
        _config({"credHelpers": {reg.host: "dmtest"}})
    else:
        _config({"credsStore": "dmtest"})
    name = f"{reg.host}/helper-{style.lower()}/bb:1"
    engine.push(base_image, name)
    assert Engine(str(tmp_path / "other")).pull(name).refs == [name]
    with open(log) as fh:
        assert reg.host in fh.read().split()
    assert (USER, [f"repository:helper-{style.lower()}/bb:pull,push"]) in server.requests


def test_helper_without_an_entry_means_anonymous(
    engine, base_image, token_registry, tmp_path, monkeypatch
):
    reg, _ = token_registry
    _install_helper(tmp_path, monkeypatch, "elsewhere.example:5000")
    _config({"credsStore": "dmtest"})
    with pytest.raises(RegistryError, match="refused access anonymously"):
        engine.push(base_image, f"{reg.host}/helper-none/bb:1")
