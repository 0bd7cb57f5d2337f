"""Stand-ins made by `bootstrap`: reproducible, labelled, shown as "made here" in the graph.

The busybox stand-in is made from the host's busybox-static (no mmdebstrap, no network), so
these run in about a second; the Debian and Node.js recipes are exercised by the notebook tests
(tests/notebooks, root world: examples 01-04 offline on node:20 and node:20-slim stand-ins).
"""

from __future__ import annotations

import pytest

from docker_magics.api import Engine
from docker_magics.display.graph import collect_graph, text_tree, to_dot
from docker_magics.engine.standins import (
    RECIPES_VERSION,
    STAND_IN_LABEL,
    catalogue_names,
    recipe_for,
)
from docker_magics.errors import UsageError


def test_same_inputs_same_digests_and_the_cache_is_reused(tmp_path, monkeypatch):
    digests = []
    for n in (1, 2):
        monkeypatch.setenv("DOCKER_MAGICS_STAND_IN_CACHE", str(tmp_path / f"cache{n}"))
        image = Engine(str(tmp_path / f"store{n}")).bootstrap("busybox")
        digests.append(image.manifest_digest)
    assert digests[0] == digests[1]  # two caches made it from scratch, byte for byte the same
    again = Engine(str(tmp_path / "store3")).bootstrap("busybox")  # from cache2: a copy
    assert again.manifest_digest == digests[1]


def test_a_stand_in_says_what_it_is(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_MAGICS_STAND_IN_CACHE", str(tmp_path / "cache"))
    eng = Engine(str(tmp_path / "store"))
    image = eng.bootstrap("busybox")
    labels = eng.inspect("busybox")["Config"]["Labels"]
    assert labels[STAND_IN_LABEL] == RECIPES_VERSION
    assert labels["org.opencontainers.image.description"].startswith(
        "made locally by docker-magics as a stand-in for busybox:latest: "
    )
    assert "from this machine (/bin/busybox)" in labels["io.github.docker-magics.provenance"]
    (row,) = eng.history("busybox")
    assert "made locally by docker-magics" in row.comment
    data = collect_graph(eng)
    assert all(layer.made_here for layer in data.layers.values())
    assert "made here" in to_dot(data) and "dashed" in to_dot(data)
    assert "[made here]" in text_tree(data)
    assert image.config["config"]["Cmd"] == ["sh"]


def test_the_catalogue_and_a_name_outside_it(tmp_path):
    assert {"debian:bookworm", "node:20", "node:20-slim", "python:3.11", "redis:7"} <= set(
        catalogue_names()
    )
    assert recipe_for("docker.io/library/node:20-bookworm").name == "node:20"
    assert recipe_for("node:20-slim").slim and not recipe_for("node:20").slim
    with pytest.raises(UsageError, match="no stand-in for mongo:7: bootstrap knows debian"):
        from docker_magics.engine.bootstrap import stand_in
        from docker_magics.store.store import Store

        stand_in(Store(str(tmp_path / "store")), "mongo:7")
