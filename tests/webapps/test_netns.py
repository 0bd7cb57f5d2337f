"""A network namespace per user network (root and userns worlds), against real servers.

Two networks each run a busybox httpd on the same port and both answer through their own
published ports; the port is not reachable from the host or from a container off the network;
names resolve only within their network; a member fetches from an HTTP server on the host
through slirp4netns's gateway (10.0.2.2); a container on two networks shares one namespace
and sees only its own networks' names. Nothing runs after `rm -f`, `network rm`, and `system
check` is clean. PRoot worlds keep the host's network (tests/webapps/test_networks.py).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from docker_magics.engine.ports import free_port
from tests.hardening.leftovers import processes_with
from tests.httpserve import FileServer
from tests.webapps.setup import import_busybox
from tests.webapps.test_ports import fetch

CASES = [("root", "root"), ("unprivileged", "userns")]
IDS = [f"{w}-{r}" for w, r in CASES]


def httpd(w, name: str, network: str, port: int, text: str, rt: str, *extra: str) -> None:
    script = f"mkdir /www && echo {text} > /www/index.html && exec httpd -f -p {port} -h /www"
    w.cli("run", "-d", "--network", network, "--name", name, *extra, "busybox", "sh", "-c",
          script, runtime=rt)  # fmt: skip


def sh(w, network: str, script: str, rt: str, *extra: str) -> str:
    args = ["--network", network] if network else []
    return w.cli("run", "--rm", *args, *extra, "busybox", "sh", "-c", script, runtime=rt).stdout


def refused(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def holder_of(w, network: str) -> int:
    for path in glob.glob(f"{w.store}/netns/*.json"):
        with open(path) as fh:
            rec = json.load(fh)
        if network in [k.split("/")[0] for k in rec["networks"]]:  # name/id
            return int(rec["holder"])
    raise AssertionError(f"no namespace holder for {network}")


def nothing_left(w, seconds: float = 5.0) -> list[int]:
    """Processes of this store (holders, slirp4netns, forwarders) still alive after a while."""
    deadline = time.monotonic() + seconds
    while (left := processes_with(w.store)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.mark.parametrize(("world", "runtime"), CASES, ids=IDS, indirect=["world"])
def test_networks_are_isolated_namespaces(busybox_tar, world, runtime):
    w, rt = world, runtime
    if not shutil.which("slirp4netns"):
        pytest.fail("slirp4netns is missing: scripts/install-system-packages installs it")
    import_busybox(w, busybox_tar)
    port, h1, h2 = free_port(), free_port(), free_port()
    host = FileServer()
    host.files["/hello"] = (b"from the host\n", None)
    serving = host.httpd.server_address[1]
    w.cli("network", "create", "one")
    w.cli("network", "create", "two")
    try:
        httpd(w, "s1", "one", port, "ONE", rt, "-p", f"{h1}:{port}")
        httpd(w, "s2", "two", port, "TWO", rt, "-p", f"127.0.0.1:{h2}:{port}")
        assert (fetch(h1), fetch(h2)) == ("ONE\n", "TWO\n")
        assert refused(port), "a network's port must not be open on the host's network"
        clash = w.cli("run", "-d", "--network", "one", "-p", f"{free_port()}:{port}", "busybox",
                      "true", runtime=rt, check=False)  # fmt: skip
        assert f"port {port} is already taken by container s1 (containers of one network" in (
            clash.stderr
        )
        get = f"timeout 5 wget -q -O- http://{{}}:{port}/ 2>/dev/null || echo no"
        # Off the network (the host's network): neither the name nor 127.0.0.1 reach it.
        assert sh(w, "", get.format("127.0.0.1") + "; " + get.format("s1"), rt) == "no\nno\n"
        # On network two: its own member at 127.0.0.1, one's member not even by name.
        both = get.format("127.0.0.1") + "; " + get.format("s1") + "; " + get.format("s2")
        assert sh(w, "two", both, rt) == "TWO\nno\nTWO\n"
        # Outbound through slirp4netns: the host's loopback at 10.0.2.2, also as host-gateway.
        out = sh(
            w,
            "one",
            f"timeout 5 wget -q -O- http://host.docker.internal:{serving}"
            "/hello; cat /etc/resolv.conf; grep host.docker /etc/hosts",
            rt,
            "--add-host",
            "host.docker.internal:host-gateway",
        )
        assert out.startswith("from the host\nnameserver 10.0.2.3\n"), out
        assert out.endswith("10.0.2.2\thost.docker.internal\n")
        assert "Outbound:    slirp4netns" in w.cli("info").stdout
        # A container publishing a port on the default network has outbound traffic too.
        fetch_host = f"timeout 5 wget -q -O- http://10.0.2.2:{serving}/hello"
        assert sh(w, "", fetch_host, rt, "-p", f"{free_port()}:80") == "from the host\n"
        # A killed holder: its members run on; the next member adopts their namespace.
        os.kill(holder_of(w, "one"), signal.SIGKILL)
        assert "its namespace holder was killed" in w.cli("system", "check").stdout
        again = get.format("s1") + f"; timeout 5 wget -q -O- http://10.0.2.2:{serving}/hello"
        assert sh(w, "one", again, rt) == "ONE\nfrom the host\n"
    finally:
        host.close()
        w.cli("rm", "-f", "s1", "s2", check=False)
    w.cli("network", "rm", "one", "two")
    assert nothing_left(w) == []
    check = w.cli("system", "check")
    assert "warning" not in check.stdout.lower() + check.stderr.lower(), check.stdout


@pytest.mark.parametrize(("world", "runtime"), CASES, ids=IDS, indirect=["world"])
def test_a_container_on_two_networks(busybox_tar, world, runtime):
    """web on front and back shares one namespace with api (back) and proxy (front); each
    sees only its own networks' names. Connecting a running container to a network that runs
    in another namespace is refused with a clear message; Docker's messages otherwise."""
    w, rt = world, runtime
    import_busybox(w, busybox_tar)
    port = free_port()
    for net in ("front", "back", "other"):
        w.cli("network", "create", net)
    try:
        w.cli("create", "--network", "front", "--name", "web", "busybox", "sleep", "60")
        w.cli("network", "connect", "--alias", "www", "back", "web")
        again = w.cli("network", "connect", "back", "web", check=False)
        assert "endpoint with name web already exists in network back" in again.stderr
        nets = json.loads(w.cli("inspect", "web").stdout)[0]["NetworkSettings"]["Networks"]
        assert nets["back"]["Aliases"] == ["www"] and list(nets) == ["front", "back"]
        httpd(w, "api", "back", port, "API", rt)
        w.cli("start", "web", runtime=rt)
        w.cli("run", "-d", "--network", "front", "--name", "proxy", "busybox", "sleep", "60",
              runtime=rt)  # fmt: skip
        get = f"timeout 5 wget -q -O- http://{{}}:{port}/ 2>/dev/null || echo no"
        assert w.cli("exec", "web", "sh", "-c", get.format("api"), runtime=rt).stdout == "API\n"
        hosts = w.cli("exec", "proxy", "cat", "/etc/hosts", runtime=rt).stdout
        assert "web" in hosts and "api" not in hosts and "www" not in hosts
        # proxy shares the namespace (the pod model's limit) but cannot name api.
        out = w.cli("exec", "proxy", "sh", "-c", get.format("api") + "; " + get.format("127.0.0.1"),
                    runtime=rt).stdout  # fmt: skip
        assert out == "no\nAPI\n"
        httpd(w, "lone", "other", free_port(), "X", rt)
        clash = w.cli("network", "connect", "other", "web", check=False)
        assert "network other runs in another network namespace" in clash.stderr
        info = json.loads(w.cli("network", "inspect", "back").stdout)[0]
        assert sorted(c["Name"] for c in info["Containers"].values()) == ["api", "web"]
        w.cli("network", "disconnect", "back", "web")
        gone = w.cli("network", "disconnect", "back", "web", check=False)
        assert "container web is not connected to network back" in gone.stderr
        assert "api" not in w.cli("exec", "web", "cat", "/etc/hosts", runtime=rt).stdout
        # back made anew is another network: not the namespace web still runs in.
        w.cli("rm", "-f", "api")
        w.cli("network", "rm", "back")
        w.cli("network", "create", "back")
        ns = "readlink /proc/self/ns/net"
        fresh = sh(w, "back", ns, rt)
        assert fresh != w.cli("exec", "web", "sh", "-c", ns, runtime=rt).stdout
    finally:
        w.cli("rm", "-f", "web", "proxy", "lone", check=False)
        w.cli("rm", "-f", "api", check=False)  # gone already when the test got that far
    w.cli("network", "rm", "front", "back", "other")
    assert nothing_left(w) == []


TWO_NETWORKS = """\
services:
  web:
    image: busybox
    command: sleep 60
    networks: [front, back]
  api:
    image: busybox
    command: sh -c 'mkdir /www && echo API > /www/index.html && exec httpd -f -p {port} -h /www'
    networks: [back]
  proxy:
    image: busybox
    command: sleep 60
    networks: [front]
networks:
  front:
  back:
"""


@pytest.mark.parametrize(("world", "runtime"), CASES[:1], ids=IDS[:1], indirect=["world"])
def test_compose_service_on_two_networks(busybox_tar, world, runtime):
    w, rt = world, runtime
    import_busybox(w, busybox_tar)
    port = free_port()
    path = f"{w.base}/docker-compose.yml"
    with open(path, "w") as fh:
        fh.write(TWO_NETWORKS.format(port=port))
    f = ["compose", "-p", "two", "-f", path]
    w.cli(*f, "up", "-d", runtime=rt)
    get = f"timeout 5 wget -q -O- http://api:{port}/ 2>/dev/null || echo no"
    try:
        assert w.cli("exec", "two-web-1", "sh", "-c", get, runtime=rt).stdout == "API\n"
        assert w.cli("exec", "two-proxy-1", "sh", "-c", get, runtime=rt).stdout == "no\n"
        hosts = w.cli("exec", "two-proxy-1", "cat", "/etc/hosts", runtime=rt).stdout
        assert "web" in hosts and "api" not in hosts
    finally:
        w.cli(*f, "down", runtime=rt)
    assert w.cli("network", "ls", "-q").stdout == ""
    assert nothing_left(w) == []
    assert "warning" not in w.cli("system", "check").stdout


def test_without_slirp4netns_a_note_and_loopback_only(tmp_path, busybox_tar):
    """The documented fallback: one line saying why, the namespace with loopback only, the
    host's resolv.conf; never a hang."""
    if os.geteuid() != 0:
        pytest.skip("the root backend needs a root test run")
    store, empty = str(tmp_path / "store"), tmp_path / "bin"
    empty.mkdir()
    if shutil.which("proot"):  # the probe looks for it whatever the backend
        os.symlink(shutil.which("proot"), empty / "proot")
    env = {**os.environ, "PATH": str(empty)}  # no slirp4netns to be found

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "docker_magics", "--root", store, "--runtime", "root"]
        return subprocess.run(argv + list(args), env=env, capture_output=True, text=True,
                              check=True, timeout=60)  # fmt: skip

    cli("import", busybox_tar, "busybox:latest")
    cli("network", "create", "plain")
    cli("run", "-d", "--network", "plain", "--name", "a", "busybox", "sleep", "30")
    try:
        run = cli("run", "--rm", "--network", "plain", "busybox", "sh", "-c",
                  "ip -o link | grep -c tap0; cat /etc/resolv.conf")  # fmt: skip
        note = r"note: container \S+ has no outbound network: slirp4netns is not installed "
        assert re.fullmatch(note + r"\(apt-get install slirp4netns\)\n", run.stderr), run.stderr
        assert run.stdout.startswith("0\n") and "10.0.2.3" not in run.stdout
        info = json.loads(cli("network", "inspect", "plain").stdout)[0]
        assert info["Namespace"]["Outbound"].startswith("none: slirp4netns is not installed")
    finally:
        cli("rm", "-f", "a")
    cli("network", "rm", "plain")
