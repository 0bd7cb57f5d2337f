from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from rootfs import have_busybox, make_busybox_tree, tar_tree  # noqa: E402


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
