"""Fixtures the engine tests share."""

from __future__ import annotations

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
