"""Bearer-token auth: docker-registry with `auth: token` and our own token server (tokenserver.py).

The client sees the registry's `WWW-Authenticate: Bearer realm=...,service=...,scope=...`, asks the
token server (with Basic credentials from `login` or ~/.docker/config.json, or anonymously) and
retries with the JWT, which the registry verifies against its rootcertbundle.
"""

from __future__ import annotations

import base64
import json
import os
import time

import pytest

from docker_magics.api import Engine
from docker_magics.errors import DockerfileError, RegistryError
from docker_magics.registry import Endpoint, RegistryClient, RequestsTransport

from .conftest import PASSWORD, USER
from .helpers import store_state

pytestmark = pytest.mark.registry


def test_anonymous_access_is_refused_by_the_token_server(engine, base_image, token_registry):
    reg, server = token_registry
    with pytest.raises(RegistryError, match="token server refused access anonymously.*login"):
        engine.push(base_image, f"{reg.host}/anon/bb:1")
    before = store_state(engine)
    with pytest.raises(RegistryError, match="refused access anonymously"):
        engine.pull(f"{reg.host}/anon/bb:1")
    assert store_state(engine) == before
    assert (None, ["repository:anon/bb:pull"]) in server.requests


def test_wrong_password_is_a_clear_error_and_saves_nothing(engine, token_registry):
    reg, _ = token_registry
    with pytest.raises(RegistryError, match="token server refused access as tester.*login"):
        engine.login(reg.host, USER, "wrong")
    assert not os.path.exists(os.path.join(os.environ["DOCKER_CONFIG"], "config.json"))


def test_login_then_push_and_pull(engine, base_image, token_registry, tmp_path):
    reg, server = token_registry
    name = f"{reg.host}/private/bb:1"
    engine.login(reg.host, USER, PASSWORD)
    engine.push(base_image, name)
    assert (USER, ["repository:private/bb:pull,push"]) in server.requests
    other = Engine(str(tmp_path / "other"))
    image = other.pull(name)
    assert image.diff_ids == engine.image(base_image).diff_ids
    # the same credentials serve a build's FROM (the builder pulls through the same client)
    third = Engine(str(tmp_path / "third"))
    result = third.build(str(tmp_path), dockerfile_text=f"FROM {name}\nRUN echo ok > /ok\n")
    assert result.steps[1]["instruction"] == "RUN echo ok > /ok"


def test_credentials_from_docker_config_json(engine, base_image, token_registry, tmp_path):
    reg, _ = token_registry
    path = os.path.join(os.environ["DOCKER_CONFIG"], "config.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    with open(path, "w") as fh:
        json.dump({"auths": {f"http://{reg.host}": {"auth": auth}}}, fh)
    name = f"{reg.host}/cfg/bb:1"
    engine.push(base_image, name)
    assert Engine(str(tmp_path / "other")).pull(name).refs == [name]


def test_registry_rejects_tokens_it_cannot_verify(engine, base_image, token_registry, tmp_path):
    """A token signed by a key outside the rootcertbundle is refused: the check is real."""
    reg, server = token_registry
    engine.login(reg.host, USER, PASSWORD)
    name = f"{reg.host}/signed/bb:1"
    engine.push(base_image, name)
    server.untrusted = True
    try:
        with pytest.raises(RegistryError, match="access denied as tester"):
            Engine(str(tmp_path / "other")).pull(name)
    finally:
        server.untrusted = False


def test_build_from_refused_image_names_the_line(engine, token_registry, tmp_path):
    reg, _ = token_registry
    text = f"FROM {reg.host}/private/none:1\nRUN true\n"
    with pytest.raises(DockerfileError) as err:
        engine.build(str(tmp_path), dockerfile_text=text, tags=["t:1"])
    assert err.value.line == 1 and "refused access anonymously" in str(err.value)
    assert engine.images() == []


def test_a_token_past_its_expires_in_is_fetched_again(engine, base_image, token_registry):
    reg, server = token_registry
    engine.login(reg.host, USER, PASSWORD)
    engine.push(base_image, f"{reg.host}/exp/bb:1")
    client = RegistryClient(
        Endpoint(reg.host, reg.host, "http"), RequestsTransport(), (USER, PASSWORD)
    )
    server.expires_in = 1
    try:
        start = len(server.requests)
        client.get_manifest("exp/bb", "1")
        time.sleep(1.5)  # past the (shortened) lifetime: the cached token must not be reused
        client.get_manifest("exp/bb", "1")
    finally:
        server.expires_in = 300
    asked = [r for r in server.requests[start:] if r == (USER, ["repository:exp/bb:pull"])]
    assert len(asked) == 2
