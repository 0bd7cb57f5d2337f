from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from rootfs import have_busybox, make_busybox_tree, tar_tree  # noqa: E402
from skipguard import SkipGuard  # noqa: E402


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


# Stand-ins the tutorials need, made once per machine and kept between sessions, readable by
# every world's user (a kernel run as nobody reads them from here, it cannot enter /root).
STAND_IN_CACHE = os.environ.get("DOCKER_MAGICS_TEST_STAND_INS", "/var/tmp/docker-magics-stand-ins")
TUTORIAL_BASES = ["node:20", "node:20-slim", "busybox", "redis:7"]
# Docker Hub out of reach for certain: a name that never resolves (RFC 6761), no public mirrors.
OFFLINE = {"DOCKER_MAGICS_HUB": "registry-1.docker.invalid", "DOCKER_MAGICS_PUBLIC_MIRRORS": "off"}


def _hub_reachable() -> bool:
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen("https://registry-1.docker.io/v2/", timeout=3).close()
    except urllib.error.HTTPError:
        return True  # 401 is the normal answer
    except (OSError, ValueError):
        return False
    return True


@pytest.fixture(scope="session")
def stand_in_env() -> dict[str, str]:
    """Environment for notebook kernels with Docker Hub unreachable and stand-ins opted in; the
    tutorials' stand-ins are made first (minutes, once per machine: `bootstrap`)."""
    from docker_magics.engine.bootstrap import cached_stand_in

    for tool in ("mmdebstrap", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"the stand-ins need {tool}: run scripts/install-system-packages")
    old = os.environ.get("DOCKER_MAGICS_STAND_IN_CACHE")
    os.environ["DOCKER_MAGICS_STAND_IN_CACHE"] = STAND_IN_CACHE
    try:
        for name in TUTORIAL_BASES:
            cached_stand_in(name)  # made in the cache only: each test copies what it uses
    finally:
        if old is None:
            os.environ.pop("DOCKER_MAGICS_STAND_IN_CACHE")
        else:
            os.environ["DOCKER_MAGICS_STAND_IN_CACHE"] = old
    # Others copy the blobs and read the index (engine/bootstrap.py), never the snapshots.
    for dirpath, dirnames, filenames in os.walk(STAND_IN_CACHE):
        if "snapshots" in dirnames:
            dirnames.remove("snapshots")
        os.chmod(dirpath, 0o755)
        for n in filenames:
            path = os.path.join(dirpath, n)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o444)
    return {
        **OFFLINE,
        "DOCKER_MAGICS_STAND_INS": "1",
        "DOCKER_MAGICS_STAND_IN_CACHE": STAND_IN_CACHE,
    }


@pytest.fixture(scope="session")
def hub_env(request) -> dict[str, str]:
    """Environment for notebook kernels: {} with Docker Hub, else stand-ins made here."""
    if os.environ.get("DOCKER_MAGICS_REGISTRY_MIRRORS") or _hub_reachable():
        return {}
    return request.getfixturevalue("stand_in_env")


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
