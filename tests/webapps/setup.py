"""The start every world test of the web-app verbs shares: busybox imported in that world."""

from __future__ import annotations

import os
import shutil

import pytest


def import_busybox(w, busybox_tar: str) -> None:
    """``busybox:latest`` in world ``w``'s store (PRoot is needed where namespaces are not)."""
    if w.name == "no-userns" and not shutil.which("proot"):
        pytest.skip("needs proot: apt-get install proot")
    shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
    os.chmod(os.path.join(w.base, "base.tar.gz"), 0o644)
    w.cli("import", "base.tar.gz", "busybox:latest")
