"""A Docker Hub mirror for the notebook tests when Docker Hub is unreachable (see mirror.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from . import mirror


@pytest.fixture(scope="session")
def hub_env() -> Iterator[dict[str, str]]:
    """Environment for the kernels: {} with Docker Hub, else the local mirror's URL."""
    if os.environ.get("DOCKER_MAGICS_REGISTRY_MIRRORS") or mirror.hub_reachable():
        yield {}
        return
    for tool in ("docker-registry", "mmdebstrap"):
        if shutil.which(tool) is None:
            pytest.skip(f"Docker Hub unreachable and no {tool} for the local mirror")
    try:
        m = mirror.start()
    except Exception as exc:  # no route to apt sources for mmdebstrap, most likely
        pytest.skip(f"Docker Hub unreachable and the local mirror could not be made: {exc}")
    try:
        yield m.env()
    finally:
        m.stop()
