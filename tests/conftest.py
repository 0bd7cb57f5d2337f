from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from rootfs import have_busybox, make_busybox_tree, tar_tree  # noqa: E402
from skipguard import SkipGuard, need_in_ci  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    # Every skip must be on tests/allowed_skips.txt, or the run fails (tests/skipguard.py).
    config.pluginmanager.register(SkipGuard(), "skipguard")


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> str:
    if not have_busybox():
        pytest.skip("needs a static busybox: apt-get install busybox-static")
    base = tmp_path_factory.mktemp("busybox")
    tree = make_busybox_tree(str(base / "tree"))
    return tar_tree(tree, str(base / "busybox.tar.gz"), compress="gz")


@pytest.fixture()
def engine(tmp_path):
    from docker_magics.api import Engine

    return Engine(str(tmp_path / "store"))


@pytest.fixture()
def base_image(engine, busybox_tar):
    engine.import_image(busybox_tar, "busybox:latest", message="busybox rootfs")
    return "busybox:latest"


@pytest.fixture(scope="session")
def hub_env() -> Iterator[dict[str, str]]:
    """Environment for notebook kernels: {} with Docker Hub, else the local mirror's URL (one
    registry for the whole session, shared by the notebook and browser tests)."""
    from .notebooks import mirror

    if os.environ.get("DOCKER_MAGICS_REGISTRY_MIRRORS") or mirror.hub_reachable():
        yield {}
        return
    for tool in ("docker-registry", "mmdebstrap"):
        if shutil.which(tool) is None:
            need_in_ci(f"Docker Hub unreachable and no {tool} for the local mirror")
    try:
        m = mirror.start()
    except Exception as exc:  # no route to apt sources for mmdebstrap, most likely
        need_in_ci(f"Docker Hub unreachable and the local mirror could not be made: {exc}")
    try:
        yield m.env()
    finally:
        m.stop()


@pytest.fixture
def token_url() -> Iterator[tuple[str, str]]:
    """A real HTTP server on the host's 127.0.0.1 whose ``/`` is a fresh token: (url, token)."""
    from httpserve import FileServer

    token = uuid.uuid4().hex
    server = FileServer()
    server.files["/"] = (token.encode(), None)
    yield server.base + "/", token
    server.close()


@pytest.fixture()
def world(request: pytest.FixtureRequest) -> Iterator:
    """A ``tests.worlds.World`` named by the test's indirect parameter, removed afterwards."""
    from .worlds import ALLOWED_BACKEND, World, skip_unless_world

    skip_unless_world(request.param)
    w = World(request.param)
    try:
        allowed = ALLOWED_BACKEND.get(w.name)
        if allowed:  # a world that lets only one backend work must get that one, not another
            info = w.cli("info").stdout
            assert f"Runtime:     {allowed}\n" in info, f"[{w.name}] probe chose otherwise:\n{info}"
        yield w
    finally:
        w.close()
