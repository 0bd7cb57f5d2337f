"""Notebook-test fixtures: a Python environment for kernels run as other users."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def kernel_env_dir() -> Iterator[str]:
    """``runner.make_kernel_env``'s copy of the venv's packages, for the whole session."""
    from .runner import make_kernel_env

    base = make_kernel_env()
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
