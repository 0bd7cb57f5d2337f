"""The seed tutorial (issue 3, item 5) on a real Node runtime with a real ``npm install``.

A Debian bookworm image with ``nodejs`` and ``npm`` is bootstrapped once per session with
mmdebstrap from the host's apt sources; ``node-base:2`` is ``node-base:1`` plus one small layer,
to play "change the base tag". The app is ``examples/app`` (``ms`` from npm's registry).
"""

from __future__ import annotations

import os
import shutil
import time

import pytest
from skipguard import need_in_ci

from docker_magics.api import Engine
from docker_magics.errors import BuildError

from .conftest import steps_by_instruction

pytestmark = pytest.mark.slow

HOST_CA = "/etc/ssl/certs/ca-certificates.crt"
APP_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "app")

V1 = """FROM node-base:{tag}
WORKDIR /usr/src
COPY . /usr/src/
RUN npm install
CMD ["node","index.js","--once"]
"""

REORDERED = """FROM node-base:2
WORKDIR /usr/src
COPY package.json /usr/src/
RUN npm install
COPY . /usr/src/
CMD ["node","index.js","--once"]
"""


@pytest.fixture(scope="session")
def node_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from docker_magics.engine.bootstrap import bootstrap_debian

    if shutil.which("mmdebstrap") is None:
        need_in_ci("needs mmdebstrap (apt-get install mmdebstrap) to bootstrap a Node image")
    eng = Engine(str(tmp_path_factory.mktemp("node") / "store"))
    try:
        bootstrap_debian(
            eng.store, "debian-node:bookworm", include=["nodejs", "npm", "ca-certificates"]
        )
    except BuildError as exc:  # most likely no route to the Debian archive
        need_in_ci(f"mmdebstrap could not bootstrap bookworm with nodejs+npm: {exc}")
    ctx = tmp_path_factory.mktemp("node-base")
    # npm's update check would talk to the registry on every run and print a banner.
    base = "FROM debian-node:bookworm\nENV npm_config_update_notifier=false npm_config_fund=false\n"
    if os.path.exists(HOST_CA):
        # Trust what the host trusts (a TLS-inspecting egress proxy's CA, for one).
        shutil.copy(HOST_CA, ctx / "host-ca.crt")
        base += (
            "COPY host-ca.crt /etc/ssl/certs/host-ca-bundle.crt\n"
            "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-bundle.crt\n"
        )
    (ctx / "Dockerfile").write_text(base)
    eng.build(str(ctx), tags=["node-base:1"])
    (ctx / "Dockerfile").write_text("FROM node-base:1\nRUN echo v2 > /etc/base-version\n")
    eng.build(str(ctx), tags=["node-base:2"])
    return eng


def _build(eng: Engine, ctx: str, dockerfile: str) -> dict[str, dict]:
    # The Dockerfile lives beside the context, not in it: editing it must not change `COPY .`.
    path = os.path.join(os.path.dirname(ctx), "Dockerfile")
    with open(path, "w") as fh:
        fh.write(dockerfile)
    try:
        return steps_by_instruction(eng.build(ctx, dockerfile=path, tags=["hello-layers"]))
    except BuildError as exc:
        tail = str(getattr(exc, "output_tail", ""))
        if "npm install" in str(exc) and ("ENOTFOUND" in tail or "EAI_AGAIN" in tail):
            need_in_ci(f"npm's registry is not reachable: {exc}")
        raise


def _set_message(ctx: str, message: str) -> None:
    path = os.path.join(ctx, "index.js")
    with open(path) as fh:
        text = fh.read()
    start = text.index('const MESSAGE = "') + len('const MESSAGE = "')
    end = text.index('"', start)
    with open(path, "w") as fh:
        fh.write(text[:start] + message + text[end:])


def test_seed_tutorial(node_engine, tmp_path):
    eng = node_engine
    ctx = str(tmp_path / "app")
    shutil.copytree(APP_DIR, ctx)
    timings = {}

    t0 = time.monotonic()
    first = _build(eng, ctx, V1.format(tag=1))
    timings["first"] = time.monotonic() - t0
    # FROM only resolves the base (node-base:2 was made from it already); every step misses.
    assert not any(s["cached"] for k, s in first.items() if not k.startswith("FROM")), first
    assert first["RUN npm install"]["reason"]["kind"] == "no previous build"

    # Rebuild with no change: every step CACHED.
    t0 = time.monotonic()
    again = _build(eng, ctx, V1.format(tag=1))
    timings["cached"] = time.monotonic() - t0
    assert all(s["cached"] for s in again.values()), again

    # Change the base tag: everything rebuilds, and the reason is the base image.
    rebased = _build(eng, ctx, V1.format(tag=2))
    assert not any(s["cached"] for s in rebased.values()), rebased
    assert "base image changed" in rebased["FROM node-base:2"]["reason"]["summary"]
    for instruction in ("WORKDIR /usr/src", "COPY . /usr/src/", "RUN npm install"):
        reason = rebased[instruction]["reason"]
        assert reason["kind"] == "parent changed", reason
        assert reason["cause"]["step"] == "line 1: FROM node-base:2"
        assert "base image changed" in reason["summary"]

    # Change index.js: `COPY .` comes first, so the install step reruns, because of index.js.
    _set_message(ctx, "Hello from version 2!")
    edited = _build(eng, ctx, V1.format(tag=2))
    copy, install = edited["COPY . /usr/src/"], edited["RUN npm install"]
    assert not copy["cached"] and not install["cached"]
    files = next(c for c in copy["reason"]["changes"] if c["field"] == "files")
    assert files["changed"] == [{"path": "index.js", "attributes": ["content"]}]
    assert "index.js" in install["reason"]["summary"], install["reason"]
    assert edited["WORKDIR /usr/src"]["cached"]

    # Reorder: package.json first, then install, then the rest.
    _build(eng, ctx, REORDERED)
    _set_message(ctx, "Hello from version 3!")
    t0 = time.monotonic()
    reordered = _build(eng, ctx, REORDERED)
    timings["reordered"] = time.monotonic() - t0
    assert reordered["COPY package.json /usr/src/"]["cached"]
    assert reordered["RUN npm install"]["cached"]
    assert not reordered["COPY . /usr/src/"]["cached"]
    assert "index.js" in reordered["COPY . /usr/src/"]["reason"]["summary"]

    out: list[bytes] = []
    assert eng.run("hello-layers", remove=True, out=out.append) == 0
    text = b"".join(out).decode()
    assert "Hello from version 3! (ms says one hour is 3600000 ms)" in text, text
    out = []
    eng.run(
        "hello-layers",
        ["sh", "-c", "test -f node_modules/ms/package.json && pwd"],
        remove=True,
        out=out.append,
    )
    assert b"".join(out).decode() == "/usr/src\n"
    print("seed tutorial timings (s):", {k: round(v, 2) for k, v in timings.items()})
