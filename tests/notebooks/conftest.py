"""Notebook-test fixtures: a Python environment for kernels run as other users."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def kernel_env_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A world-readable copy (hard links where possible) of this venv's site-packages, for
    kernels run as another user: the checkout (and so .venv) may sit under a
    directory that user cannot enter, such as /root or a 0700 temp dir."""
    import site
    import tempfile

    base = tempfile.mkdtemp(prefix="dm-nbenv-", dir="/tmp")
    os.chmod(base, 0o755)

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        os.chmod(dst, os.stat(dst).st_mode | 0o444)

    site_packages = [p for p in site.getsitepackages() if p.endswith("site-packages")][0]
    dest = os.path.join(base, "site-packages")
    shutil.copytree(site_packages, dest, symlinks=True, copy_function=link_or_copy)
    # nbconvert's templates and kernel specs live in the venv's share/jupyter (JUPYTER_PATH).
    share = os.path.join(sys.prefix, "share", "jupyter")
    if os.path.isdir(share):
        shutil.copytree(
            share, os.path.join(base, "jupyter"), symlinks=True, copy_function=link_or_copy
        )
    for dirpath, _dirs, _files in os.walk(base):
        os.chmod(dirpath, 0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
