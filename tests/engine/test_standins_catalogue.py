"""The Debian, Python and Node.js stand-ins are what their names promise.

- `debian:bookworm-slim` is Debian's minbase (Essential + apt; no manuals, no docs but copyrights),
  `debian:bookworm` the "important" set and larger;
- `python:3.11` and `python:3.11-slim` run Python 3.11 as `python` and `python3`, have `pip`, and
  `pip install` of a wheel works in a RUN step (a local wheel made here: no index needed);
- `node:20` and `node:20-slim` say in their labels which Node.js, npm and corepack they hold, each
  with its checksum (tests/engine/test_node_standins.py runs node, npm, corepack and yarn);
- every one says in its labels and history that it was made here.

The stand-ins come from the shared test cache (tests/conftest.py; made once per machine, 1-3
minutes each the first time). About 30 s after that: two builds and a few runs, all as root.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import zipfile

import pytest
from debian_status import dpkg_status, paths

from docker_magics.store.store import Store

pytestmark = pytest.mark.slow


def _cli(store: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "docker_magics", "--root", store, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _says_made_here(store: Store, name: str) -> dict[str, str]:
    image = store.images.resolve(name)
    labels = image.config["config"]["Labels"]
    assert labels["org.opencontainers.image.description"].startswith(
        f"made locally by docker-magics as a stand-in for {name}: Debian bookworm"
    )
    assert all("made locally by docker-magics" in h["comment"] for h in image.config["history"])
    return labels


def test_debian_slim_is_minbase_and_bookworm_the_important_set(shared_stand_in, tmp_path):
    store = Store(str(tmp_path / "store"))
    slim, full = (
        shared_stand_in(n, store.root) for n in ("debian:bookworm-slim", "debian:bookworm")
    )
    slim_status, full_status = dpkg_status(store, slim), dpkg_status(store, full)
    # minbase: the Essential packages, plus apt (and what they depend on); "important" adds
    # the tools of a base system (iproute2, less, nano, cron, ping, procps, ...).
    essential = {p["Package"] for p in full_status if p.get("Essential") == "yes"}
    assert essential <= {p["Package"] for p in slim_status}
    important = {p["Package"] for p in full_status if p.get("Priority") == "important"}
    only_full = important - {p["Package"] for p in slim_status}
    assert {"iproute2", "less", "nano", "cron", "iputils-ping", "procps"} <= only_full
    assert {p["Package"] for p in slim_status} < {p["Package"] for p in full_status}
    assert full.size > 1.5 * slim.size, (full.size, slim.size)
    slim_paths, full_paths = paths(store, slim), paths(store, full)
    assert [p for p in slim_paths if p.startswith("usr/share/man/")] == ["usr/share/man/"]
    assert any(p.startswith("usr/share/man/man1/") for p in full_paths)

    def docs(listing: list[str]) -> list[str]:
        return [
            p
            for p in listing
            if p.startswith("usr/share/doc/") and not p.endswith(("/", "/copyright"))
        ]

    # A few files unpacked before dpkg's excludes apply stay (base-files' FAQ, 4 today).
    assert len(docs(slim_paths)) <= 5 < 500 < len(docs(full_paths))
    for name, variant in (("debian:bookworm-slim", "minbase"), ("debian:bookworm", "important")):
        provenance = _says_made_here(store, name)["io.github.docker-magics.provenance"]
        assert re.match(
            rf"mmdebstrap --variant={variant} .*bookworm \(Debian 12\.\d+\)$", provenance
        )


def _wheel(folder: str) -> str:
    """A pure-Python wheel of one module, `greeting` (a wheel is a zip with a RECORD)."""
    name = "greeting-1.0-py3-none-any.whl"
    files = {
        "greeting.py": b"WORDS = 'hello from a wheel'\n",
        "greeting-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: greeting\nVersion: 1.0\n",
        "greeting-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append("greeting-1.0.dist-info/RECORD,,")
    with zipfile.ZipFile(os.path.join(folder, name), "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
        zf.writestr("greeting-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return name


@pytest.mark.parametrize("name", ["python:3.11", "python:3.11-slim"])
def test_python_stand_in_runs_python_3_11_and_pip_installs_a_wheel(name, shared_stand_in, tmp_path):
    store = str(tmp_path / "store")
    shared_stand_in(name, store)
    labels = _says_made_here(Store(store), name)
    assert labels["org.opencontainers.image.description"].endswith(" + Python 3.11")
    ran = _cli(
        store, "run", "--rm", name, "sh", "-c", "python --version; python3 --version; pip --version"
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    python, python3, pip = ran.stdout.splitlines()
    assert re.fullmatch(r"Python 3\.11\.\d+", python) and python3 == python
    assert pip.startswith("pip ") and "python 3.11" in pip
    context = tmp_path / "context"
    context.mkdir()
    wheel = _wheel(str(context))
    (context / "Dockerfile").write_text(
        f"FROM {name}\nCOPY {wheel} /tmp/\nRUN pip install --no-index /tmp/{wheel}\n"
    )
    built = _cli(store, "build", "-q", "-t", "with-wheel", str(context))
    assert built.returncode == 0, built.stdout + built.stderr
    said = _cli(
        store, "run", "--rm", "with-wheel", "python", "-c", "import greeting; print(greeting.WORDS)"
    )
    assert said.stdout == "hello from a wheel\n", said.stdout + said.stderr


def test_python_slim_is_smaller(shared_stand_in, tmp_path):
    store = str(tmp_path / "store")
    full, slim = (shared_stand_in(n, store) for n in ("python:3.11", "python:3.11-slim"))
    assert full.size > 2 * slim.size, (full.size, slim.size)


@pytest.mark.parametrize("name", ["node:20", "node:20-slim"])
def test_node_stand_in_names_node_npm_and_corepack_with_checksums(name, shared_stand_in, tmp_path):
    store = str(tmp_path / "store")
    image = shared_stand_in(name, store)
    labels = _says_made_here(Store(store), name)
    version = re.search(
        r"\+ Node\.js (20\.\d+\.\d+)$", labels["org.opencontainers.image.description"]
    )
    assert version, labels["org.opencontainers.image.description"]
    assert f"NODE_VERSION={version[1]}" in image.config["config"]["Env"]
    provenance = labels["io.github.docker-magics.provenance"]
    for part in (
        rf"node-linux-(x64|arm64) {re.escape(version[1])}",
        r"npm 10\.\S+",
        r"corepack 0\.\S+",
    ):
        assert re.search(part + r" sha256:[0-9a-f]{64}", provenance), (part, provenance)
    inspect = _cli(store, "inspect", name)
    assert version[1] in inspect.stdout and "sha256:" in inspect.stdout
