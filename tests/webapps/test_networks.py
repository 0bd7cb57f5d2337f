"""User networks through the CLI in every world: names and aliases resolve to a real server
on the same network, not from elsewhere; --add-host; a peer created later is found by a
container started earlier (its hosts file is rewritten in place)."""

from __future__ import annotations

import json
import shutil

import pytest

from docker_magics.engine.ports import free_port
from tests.webapps.setup import import_busybox

CASES = [("root", "root"), ("unprivileged", "userns"), ("no-userns", None)]
IDS = [f"{w}-{r or 'auto'}" for w, r in CASES]


@pytest.mark.parametrize(("world", "runtime"), CASES, ids=IDS, indirect=["world"])
def test_names_on_a_network_in_every_world(busybox_tar, world, runtime):
    w = world
    import_busybox(w, busybox_tar)
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


def test_graph_draws_networks_and_ports(engine, base_image):
    """A compose project's containers in the graph: one box per network, ports on the node."""
    from docker_magics.api import RunOptions
    from docker_magics.display import graph as g
    from docker_magics.engine.networks import create_network

    create_network(engine.store, "shop_default")
    for name, publish in (("shop-db-1", []), ("shop-app-1", ["8123:3000"])):
        engine.create(
            RunOptions(
                image=base_image,
                command=["true"],
                name=name,
                network="shop_default",
                publish=publish,
            )
        )
    engine.create(RunOptions(image=base_image, command=["true"], name="loner"))
    dot = g.to_dot(g.collect_graph(engine), prefix="t")
    assert dot.count("subgraph cluster_net0") == 2 and "cluster_net1" not in dot
    assert "network <b>shop_default</b>" in dot and "8123-&gt;3000/tcp" in dot
    loner = next(line for line in dot.splitlines() if "<b>loner</b>" in line)
    assert "cluster" not in loner
    svg = g.render_svg(dot) if shutil.which("dot") else ""
    assert not svg or "shop_default" in svg
