"""Published ports through the CLI in every world, against real busybox httpd servers.

Where containers get a network namespace of their own (root, userns), two containers both
listening on one port answer on two host ports. With PRoot they share the host's network:
HOST = CONTAINER is the app's own port, HOST != CONTAINER goes through a forwarder, and a
second container wanting a port already in use is refused with the holder's name.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from docker_magics.engine.ports import free_port
from tests.webapps.setup import import_busybox

CASES = [("root", "root"), ("unprivileged", "userns"), ("no-userns", None)]
IDS = [f"{w}-{r or 'auto'}" for w, r in CASES]


def fetch(port: int, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=3) as resp:
                return resp.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def serve(w, name: str, publish: str, port: int, text: str, runtime: str | None) -> None:
    script = f"mkdir /www && echo {text} > /www/index.html && exec httpd -f -p {port} -h /www"
    w.cli(
        "run", "-d", "--name", name, "-p", publish, "busybox", "sh", "-c", script, runtime=runtime
    )


@pytest.mark.parametrize(("world", "runtime"), CASES, ids=IDS, indirect=["world"])
def test_published_ports_in_every_world(busybox_tar, world, runtime):
    w = world
    import_busybox(w, busybox_tar)
    h1, h2 = free_port(), free_port()
    try:
        if w.name == "no-userns":  # the host's network: one app per port
            cport = free_port()
            serve(w, "a", f"{h1}:{h1}", h1, "A", runtime)
            serve(w, "b", f"127.0.0.1:{h2}:{cport}", cport, "B", runtime)
            clash = w.cli(
                "run",
                "-d",
                "--name",
                "c",
                "-p",
                f"{free_port()}:{h1}",
                "busybox",
                "true",
                runtime=runtime,
                check=False,
            )
            assert "port " + str(h1) + " is already taken by container a" in clash.stderr
            assert "share the host's network" in clash.stderr
        else:  # own network namespaces: both apps on 3000
            serve(w, "a", f"{h1}:3000", 3000, "A", runtime)
            serve(w, "b", f"127.0.0.1:{h2}:3000", 3000, "B", runtime)
            clash = w.cli(
                "run",
                "-d",
                "--name",
                "c",
                "-p",
                f"{h1}:3000",
                "busybox",
                "true",
                runtime=runtime,
                check=False,
            )
            assert f"port {h1} is already taken by container a" in clash.stderr
        assert clash.returncode != 0
        assert (fetch(h1), fetch(h2)) == ("A\n", "B\n")
        ps = w.cli("ps").stdout
        assert f"0.0.0.0:{h1}->" in ps and f"127.0.0.1:{h2}->" in ps and " c\n" not in ps
        assert w.cli("ps", "-a", "-q").stdout.count("\n") == 2  # c was not left behind
        assert w.cli("port", "a").stdout.endswith(f"/tcp -> 0.0.0.0:{h1}\n")
        info = json.loads(w.cli("inspect", "b").stdout)[0]
        assert info["NetworkSettings"]["Ports"] == {
            f"{3000 if w.name != 'no-userns' else cport}/tcp": [
                {"HostIp": "127.0.0.1", "HostPort": str(h2)}
            ]
        }
    finally:
        w.cli("rm", "-f", "a", "b", check=False)
    with pytest.raises(OSError):
        fetch(h2, timeout=0)  # the forwarder went with its container


def test_bad_publish_flags(engine, base_image):
    from docker_magics.api import RunOptions
    from docker_magics.errors import UsageError

    for spec, words in [
        ("80:", "use [IP:]HOST_PORT:CONTAINER_PORT[/tcp]"),
        ("8080:70000", "ports are 1 to 65535"),
        ("53:53/udp", "only tcp ports"),
        ("a:b", "use [IP:]HOST_PORT"),
    ]:
        with pytest.raises(UsageError) as err:
            engine.create(RunOptions(image=base_image, command=["true"], publish=[spec]))
        assert words in str(err.value)
    assert engine.ps(all=True) == []


def test_publish_all_and_network_none(engine, base_image):
    from docker_magics.api import RunOptions
    from docker_magics.errors import UsageError

    engine.commit(
        engine.create(RunOptions(image=base_image, command=["true"])).id,
        "exposing",
        changes=["EXPOSE 3000 8080/tcp 53/udp"],
    )
    c = engine.create(RunOptions(image="exposing", command=["true"], publish_all=True))
    bindings = c.config["PortBindings"]
    assert sorted(bindings) == ["3000/tcp", "8080/tcp"]  # udp cannot be published here
    assert all(int(b[0]["HostPort"]) > 1024 for b in bindings.values())
    with pytest.raises(UsageError, match="--network none has no network"):
        engine.create(RunOptions(image=base_image, publish=["80:80"], network="none"))
