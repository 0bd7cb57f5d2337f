"""Fixtures the engine tests share."""

from __future__ import annotations

import os
import shutil

import pytest

from docker_magics.api import Engine


@pytest.fixture
def copy_engine(tmp_path, busybox_tar) -> Engine:
    """An engine on PRoot (copy mode: every container gets a copy of its image) with busybox."""
    if shutil.which("proot") is None:
        pytest.skip("proot is not installed (apt-get install proot)")
    engine = Engine(str(tmp_path / "store"), runtime="proot")
    engine.import_image(busybox_tar, "busybox:latest")
    return engine


@pytest.fixture(scope="session")
def shared_stand_in(stand_in_env):
    """name -> the stand-in from the shared test cache (made there as root once per machine,
    minutes the first time), copied into `store`."""
    from docker_magics.engine.bootstrap import stand_in
    from docker_magics.store.store import Store

    cache = stand_in_env["DOCKER_MAGICS_STAND_IN_CACHE"]

    def get(name: str, store: str | None = None):  # type: ignore[no-untyped-def]
        old = os.environ.get("DOCKER_MAGICS_STAND_IN_CACHE")
        os.environ["DOCKER_MAGICS_STAND_IN_CACHE"] = cache
        try:
            return stand_in(Store(store or cache), name)
        finally:
            if old is None:
                del os.environ["DOCKER_MAGICS_STAND_IN_CACHE"]
            else:
                os.environ["DOCKER_MAGICS_STAND_IN_CACHE"] = old

    return get
