"""The seed's own docker-compose.yml (gvilarino/docker-testing: version 2, `app` built from `.`
with MONGO_URL, `depends_on: [db]`, `ports: ["3000:3000"]`) run by `compose up -d` from its
directory, with only `image: mongo` swapped for the redis:7 stand-in; the app is the tutorials'
docker-testing server (examples/webapp/), which finds its database by the name `db`.

Root world, stand-ins (tests/conftest.py: made once per machine). Measured: about 40 s (the
stand-ins copied into a fresh store, the app built)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.webapps.test_compose_file import SEED

pytestmark = pytest.mark.slow
WEBAPP = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "webapp")


def test_the_seeds_compose_file_runs_unchanged(stand_in_env, tmp_path):
    assert "image: redis:7\n" in SEED and "MONGO_URL: mongodb://db/test" in SEED
    proj = tmp_path / "docker-testing"
    proj.mkdir()
    for name in ("Dockerfile", "package.json", "server.js"):
        shutil.copy(os.path.join(WEBAPP, name), proj / name)
    (proj / "docker-compose.yml").write_text(SEED)
    env = {**os.environ, **stand_in_env, "DOCKER_MAGICS_ROOT": str(tmp_path / "store")}

    def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "docker_magics", *args]
        proc = subprocess.run(argv, cwd=proj, env=env, capture_output=True, text=True, timeout=600)
        assert not check or proc.returncode == 0, proc.stderr
        return proc

    try:
        cli("compose", "up", "-d")  # docker-compose.yml found in the directory, as Compose does
        page, deadline = "", time.monotonic() + 60
        while "(counted by the database at db:6379)" not in page:
            assert time.monotonic() < deadline, page  # redis may need a moment after its start
            try:
                with urllib.request.urlopen("http://127.0.0.1:3000/", timeout=3) as resp:
                    page = resp.read().decode()
            except OSError:
                pass
            time.sleep(0.3)
        assert "This page was seen 1 time (" in page, page
        assert page.startswith("<h1>Hello from docker-testing!</h1>")
        ps = cli("compose", "ps").stdout
        assert "docker-testing-app-1" in ps and "docker-testing-db-1" in ps
        assert "0.0.0.0:3000->3000/tcp" in ps
        env_out = cli("compose", "exec", "app", "env").stdout
        assert "MONGO_URL=mongodb://db/test\n" in env_out
    finally:
        cli("compose", "down", "-v", check=False)
    assert cli("ps", "-a", "-q").stdout == ""
