"""A failed `up` takes back only what it did: containers it made are removed, containers that
existed stopped are stopped again and keep the data in their writable layer."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

COMPOSE = """\
services:
  keeper:
    image: busybox
    command: sleep 60
  web:
    image: busybox
    command: httpd -f -p 8000
    ports: ["{port}:8000"]
    depends_on: [keeper]
"""


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_failed_up_keeps_stopped_containers_and_their_data(busybox_tar, world):
    w = world
    shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
    w.cli("import", "base.tar.gz", "busybox:latest")
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    holder.close()
    proj = os.path.join(w.base, "keep")
    os.makedirs(proj)
    with open(os.path.join(proj, "compose.yaml"), "w") as fh:
        fh.write(COMPOSE.format(port=port))
    f = ["compose", "-f", os.path.join(proj, "compose.yaml")]
    try:
        w.cli(*f, "up", "-d")
        w.cli(*f, "exec", "keeper", "sh", "-c", "echo precious > /data")
        w.cli(*f, "stop")
        w.cli("rm", "keep-web-1")  # so that the next `up` makes it anew, and fails doing so
        # Someone else takes web's port: the next `up` must fail on it.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", port))
            taken.listen()
            bad = w.cli(*f, "up", "-d", check=False)
        assert bad.returncode != 0 and str(port) in bad.stderr, bad
        ps = w.cli("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout.split("\n")
        assert "keep-keeper-1 exited" in ps, ps  # stopped again, not removed
        assert not [line for line in ps if line.startswith("keep-web-1")], ps
        w.cli(*f, "start", "keeper")
        assert w.cli(*f, "exec", "keeper", "cat", "/data").stdout == "precious\n"
    finally:
        w.cli(*f, "down", "-v", check=False)
    assert w.cli("ps", "-a", "-q").stdout == ""
