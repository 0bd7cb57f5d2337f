"""Docker Hub names fall back: hub -> public mirrors -> configured mirrors -> stand-ins (opt-in).

"Docker Hub" here is a tiny HTTP server of ours that answers 429 to everything (Docker Hub's
answer to too many anonymous pulls, as Binder pods get it); the public mirror is a real
`docker-registry` serving the image under a path prefix, as public.ecr.aws/docker does. The CLI
runs as a user runs it, in a subprocess. About 5 s in all (the busybox stand-in is made from the
host's busybox-static, no mmdebstrap).
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from tests.registry_server import free_port


class RateLimited:
    """An HTTP server answering 429 Too Many Requests to every request, and counting them."""

    def __init__(self) -> None:
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                outer.hits += 1
                body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"pull rate limit"}]}'
                self.send_response(429)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hub_429() -> Iterator[RateLimited]:
    server = RateLimited()
    yield server
    server.close()


def cli(store: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "docker_magics", *args],
        env={**os.environ, "DOCKER_MAGICS_ROOT": store, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_pull_falls_back_to_a_public_mirror_on_429_and_says_so(
    engine, base_image, registry, hub_429, tmp_path
):
    pushed = engine.push(base_image, f"{registry.host}/docker/library/busybox:latest")
    env = {"DOCKER_MAGICS_HUB": hub_429.host, "DOCKER_MAGICS_PUBLIC_MIRRORS": "", "x": ""}
    env["DOCKER_MAGICS_PUBLIC_MIRRORS"] = f"http://{registry.host}/docker"
    proc = cli(str(tmp_path / "store"), "pull", "busybox", env=env)
    assert proc.returncode == 0, proc.stderr
    assert hub_429.hits >= 1
    assert f"from http://{registry.host}" in proc.stdout
    assert "rate limited (429)" in proc.stdout
    assert proc.stderr.count("rate limited") == 0  # said once, on stdout
    from docker_magics.api import Engine

    assert Engine(str(tmp_path / "store")).image("busybox").manifest_digest == pushed.digest


def test_when_every_source_fails_one_line_says_what_was_tried_and_what_to_do(hub_429, tmp_path):
    closed = free_port()
    env = {
        "DOCKER_MAGICS_HUB": "registry-1.docker.invalid",
        "DOCKER_MAGICS_PUBLIC_MIRRORS": f"http://{hub_429.host} http://127.0.0.1:{closed}",
    }
    proc = cli(str(tmp_path / "store"), "pull", "node:20", env=env)
    assert proc.returncode == 125
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("Error: cannot pull node:20: ")
    assert "Docker Hub registry-1.docker.invalid: cannot resolve registry-1.docker.invalid" in line
    assert f"public mirror {hub_429.host}: rate limited (429)" in line
    assert f"connection refused by 127.0.0.1:{closed}" in line
    assert "DockerMagics.stand_ins = True" in line and "--stand-ins" in line
    assert "Traceback" not in proc.stderr and "urllib3" not in proc.stderr
    run = cli(str(tmp_path / "store"), "run", "--rm", "node:20", "true", env=env)
    assert run.returncode == 125
    (line,) = run.stderr.strip().splitlines()
    assert "no such image locally: node:20; cannot pull node:20: " in line


def test_opted_in_a_stand_in_takes_the_place_said_plainly(tmp_path):
    env = {
        "DOCKER_MAGICS_HUB": "registry-1.docker.invalid",
        "DOCKER_MAGICS_PUBLIC_MIRRORS": "off",
        "DOCKER_MAGICS_STAND_IN_CACHE": str(tmp_path / "cache"),
    }
    store = str(tmp_path / "store")
    proc = cli(store, "--stand-ins", "run", "--rm", "busybox", "echo", "hello", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("hello")
    again = cli(str(tmp_path / "other"), "--stand-ins", "pull", "busybox", env=env)
    assert "busybox:latest: using a stand-in made here" in again.stdout
    assert "cannot resolve registry-1.docker.invalid" in again.stdout
    assert "Status: a stand-in made here for busybox:latest" in again.stdout
    assert "Pulled busybox" not in again.stdout  # nothing came from a registry
    inspect = cli(store, "inspect", "busybox", env=env)
    assert "made locally by docker-magics as a stand-in for busybox:latest" in inspect.stdout
    assert "io.github.docker-magics.provenance" in inspect.stdout
