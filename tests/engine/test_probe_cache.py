"""The store keeps the runtime probe's answers for the same user, boot and namespace."""

from __future__ import annotations

import importlib
import json
import os

probe_mod = importlib.import_module("docker_magics.runtime.probe")


def test_probe_answers_cached_in_store(engine):
    path = os.path.join(engine.store.root, "runtime-probe.json")
    probe_mod._CACHE.clear()
    engine.backend()
    data = json.load(open(path))
    assert {s["name"] for s in data["statuses"]} == {"root", "userns", "proot"}
    # the cached answers are what a later process gets (marked here to tell them apart)
    for s in data["statuses"]:
        s["reason"] = "from the cache"
    json.dump(data, open(path, "w"))
    probe_mod._CACHE.clear()
    assert probe_mod.probe(cache_path=path)["proot"].reason == "from the cache"
    # another context (here: a different boot or user namespace) is not trusted
    data["context"] = "someone-else"
    json.dump(data, open(path, "w"))
    probe_mod._CACHE.clear()
    assert probe_mod.probe(cache_path=path)["proot"].reason != "from the cache"
    # `info` always probes afresh
    json.dump({**data, "context": probe_mod._context()}, open(path, "w"))
    probe_mod._CACHE.clear()
    assert str(engine.info()["probe"]).count("from the cache") == 0
    probe_mod._CACHE.clear()
