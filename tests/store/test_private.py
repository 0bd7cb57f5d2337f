"""A private store: created 0700 on every path that creates it, and `system check` warns when
other users can read it (a classroom JupyterHub: one machine, many students)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

import pytest

from docker_magics.api import Engine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cli(*args: str, env: dict[str, str], umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docker_magics", *args],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": ROOT, "LANG": "C.UTF-8", **env},
        preexec_fn=lambda: os.umask(umask),
        timeout=120,
    )


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_every_way_of_naming_a_new_store_makes_it_0700(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    # --root, with parents that do not exist yet (made as usual), under a permissive umask.
    flag = tmp_path / "a" / "b" / "store"
    assert _cli("--root", str(flag), "images", env={"HOME": str(home)}, umask=0).returncode == 0
    assert _mode(flag) == 0o700 and _mode(flag.parent) == 0o777
    # $DOCKER_MAGICS_ROOT, then the XDG default under $HOME.
    env_root = tmp_path / "env-store"
    assert (
        _cli("images", env={"HOME": str(home), "DOCKER_MAGICS_ROOT": str(env_root)}).returncode == 0
    )
    assert _mode(env_root) == 0o700
    assert _cli("images", env={"HOME": str(home)}).returncode == 0
    assert _mode(home / ".local" / "share" / "docker-magics") == 0o700
    # The Python API (what the magics use).
    Engine(str(tmp_path / "api-store"))
    assert _mode(tmp_path / "api-store") == 0o700


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_another_user_cannot_read_images_or_records(engine, base_image, tmp_path):
    out: list[bytes] = []
    engine.run(base_image, ["sh", "-c", "echo secret > /note"], name="c1", out=out.append)
    os.chmod(tmp_path, 0o755)  # pytest's own dir would stop them first; the store must
    nobody = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    for path in (engine.store.root, os.path.join(engine.store.root, "containers")):
        proc = subprocess.run([*nobody, "ls", path], capture_output=True, text=True)
        assert proc.returncode != 0 and "Permission denied" in proc.stderr, proc


def test_check_warns_when_others_can_read_the_store(engine, base_image):
    root = engine.store.root
    assert engine.check().warnings == []
    os.chmod(root, 0o755)  # an existing root keeps the mode its owner gave it
    Engine(root)
    assert _mode(root) == 0o755
    proc = _cli("--root", root, "system", "check", env={"HOME": root})
    assert proc.returncode == 0, proc.stderr  # a warning, not damage
    assert (
        f"warning: the store {root} is mode 0755: other users can read its images, containers' "
        f"files and build records (run `chmod 700 {root}`)"
    ) in proc.stdout
    os.chmod(root, 0o700)
    assert "warning" not in _cli("--root", root, "system", "check", env={"HOME": root}).stdout
