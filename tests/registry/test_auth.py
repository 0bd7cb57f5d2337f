"""Basic auth against docker-registry with an htpasswd file; login/logout write config.json."""

from __future__ import annotations

import json
import os

import pytest

from docker_magics.api import Engine
from docker_magics.errors import RegistryError

from .conftest import PASSWORD, USER

pytestmark = pytest.mark.registry


def test_login_push_pull_logout(engine, base_image, auth_registry, tmp_path):
    name = f"{auth_registry.host}/private/bb:1"
    with pytest.raises(RegistryError, match="access denied without credentials.*login"):
        engine.push(base_image, name)
    with pytest.raises(RegistryError, match="access denied as tester"):
        engine.login(auth_registry.host, USER, "wrong")
    assert not os.path.exists(os.environ["DOCKER_CONFIG"] + "/config.json")
    path = engine.login(auth_registry.host, USER, PASSWORD)
    with open(path) as fh:
        assert auth_registry.host in json.load(fh)["auths"]
    assert os.stat(path).st_mode & 0o777 == 0o600
    engine.push(base_image, name)
    other = Engine(str(tmp_path / "other"))
    assert other.pull(name).refs == [name]
    assert engine.logout(auth_registry.host)
    with pytest.raises(RegistryError, match="access denied"):
        Engine(str(tmp_path / "third")).pull(name)


def test_existing_docker_config_is_read_and_kept(engine, base_image, auth_registry):
    import base64

    path = os.path.join(os.environ["DOCKER_CONFIG"], "config.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    with open(path, "w") as fh:
        json.dump({"auths": {auth_registry.host: {"auth": token}}, "psFormat": "x"}, fh)
    engine.push(base_image, f"{auth_registry.host}/cfg/bb:1")
    engine.logout(auth_registry.host)
    with open(path) as fh:
        assert json.load(fh) == {"auths": {}, "psFormat": "x"}
