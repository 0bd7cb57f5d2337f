"""Debian's `docker-registry` (distribution 2.8) on 127.0.0.1: the one registry config of the
tests and the benchmarks (tests/registry/conftest.py adds htpasswd or token auth to it).

    reg = start_registry(base_dir)      # raises RegistryNotStarted if it cannot
    ... reg.host ...                    # "127.0.0.1:PORT", plain HTTP
    stop_registry(reg)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

__all__ = [
    "CONFIG",
    "Registry",
    "RegistryNotStarted",
    "free_port",
    "start_registry",
    "stop_registry",
]

CONFIG = """\
version: 0.1
log:
  level: {level}
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {data}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  secret: docker-magics-test-secret
{auth}"""


class RegistryNotStarted(RuntimeError):
    """docker-registry is missing, or did not answer in time (its log says why)."""


@dataclass
class Registry:
    host: str  # 127.0.0.1:PORT
    data: str  # storage root
    proc: subprocess.Popen

    def blob_path(self, digest: str) -> str:
        hexa = digest.split(":", 1)[1]
        return os.path.join(self.data, "docker/registry/v2/blobs/sha256", hexa[:2], hexa, "data")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_registry(base: str, *, auth: str = "", level: str = "warn") -> Registry:
    """`auth` is a ready `auth:` section; with one, 401 on /v2/ means up."""
    exe = shutil.which("docker-registry")
    if exe is None:
        raise RegistryNotStarted("needs Debian's docker-registry: apt-get install docker-registry")
    os.makedirs(base, exist_ok=True)
    data = os.path.join(base, "data")
    port = free_port()
    cfg = os.path.join(base, "config.yml")
    with open(cfg, "w") as fh:
        fh.write(CONFIG.format(data=data, port=port, auth=auth, level=level))
    log_path = os.path.join(base, "registry.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([exe, "serve", cfg], stdout=log, stderr=log)
    host = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://{host}/v2/", timeout=1) as r:
                if r.status == 200:
                    return Registry(host, data, proc)
        except urllib.error.HTTPError as exc:
            if exc.code == 401 and auth:
                return Registry(host, data, proc)
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    with open(log_path, "rb") as fh:
        tail = fh.read()[-2000:].decode(errors="replace")
    raise RegistryNotStarted(f"docker-registry did not start:\n{tail}")


def stop_registry(reg: Registry) -> None:
    reg.proc.terminate()
    try:
        reg.proc.wait(5)
    except subprocess.TimeoutExpired:
        reg.proc.kill()
        reg.proc.wait()
