"""User networks through the CLI in every world: names and aliases resolve to a real server
on the same network, not from elsewhere; --add-host; a peer created later is found by a
container started earlier (its hosts file is rewritten in place)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from docker_magics.engine.ports import free_port

CASES = [("root", "root"), ("unprivileged", "userns"), ("no-userns", None)]
IDS = [f"{w}-{r or 'auto'}" for w, r in CASES]


@pytest.mark.parametrize(("world", "runtime"), CASES, ids=IDS, indirect=["world"])
def test_names_on_a_network_in_every_world(busybox_tar, world, runtime):
    w = world
    if w.name == "no-userns" and not shutil.which("proot"):
        pytest.skip("needs proot: apt-get install proot")
    shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
    os.chmod(os.path.join(w.base, "base.tar.gz"), 0o644)
    w.cli("import", "base.tar.gz", "busybox:latest")
    port = free_port()
    rt = {"runtime": runtime}
    w.cli("network", "create", "app")
    try:
        w.cli("run", "-d", "--network", "app", "--name", "early", "busybox", "sleep", "60", **rt)
        script = f"mkdir /www && echo DB > /www/index.html && exec httpd -f -p {port} -h /www"
        w.cli(
            "run",
            "-d",
            "--network",
            "app",
            "--name",
            "db",
            "--network-alias",
            "database",
            "busybox",
            "sh",
            "-c",
            script,
            **rt,
        )
        get = f"sleep 0.3; wget -q -O- http://db:{port}/ && wget -q -O- http://database:{port}/"
        out = w.cli(
            "run",
            "--rm",
            "--network",
            "app",
            "--add-host",
            "extra:10.1.2.3",
            "busybox",
            "sh",
            "-c",
            f"{get}; grep extra /etc/hosts",
            **rt,
        )
        assert out.stdout == "DB\nDB\n10.1.2.3\textra\n"
        assert "db database" in w.cli("exec", "early", "cat", "/etc/hosts", **rt).stdout
        outside = w.cli(
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            f"wget -q -O- http://db:{port}/ || echo unresolved",
            **rt,
        )
        assert outside.stdout.endswith("unresolved\n")
        info = json.loads(w.cli("network", "inspect", "app").stdout)[0]
        assert sorted(c["Name"] for c in info["Containers"].values()) == ["db", "early"]
        busy = w.cli("network", "rm", "app", check=False)
        assert busy.returncode != 0 and "has containers: " in busy.stderr
    finally:
        w.cli("rm", "-f", "db", "early", check=False)
    w.cli("network", "rm", "app")
    assert w.cli("network", "ls", "-q").stdout == ""
    missing = w.cli("run", "--rm", "--network", "nowhere", "busybox", "true", check=False)
    assert "network nowhere not found" in missing.stderr
