"""A local Docker Hub mirror for the tutorials, for machines that cannot reach Docker Hub.

Used by ``scripts/tutorial`` and by the notebook tests. When ``registry-1.docker.io`` does not
answer, the base images the notebooks name (``node:20`` and friends) are made locally once with
mmdebstrap (Debian bookworm + nodejs + npm, cached in a store under the cache directory), pushed
to Debian's ``docker-registry`` on 127.0.0.1 as ``library/node:TAG``, and the kernel gets
``DOCKER_MAGICS_REGISTRY_MIRRORS=http://127.0.0.1:PORT``: the notebook cells stay unchanged.

    python tests/notebooks/mirror.py start   # prints export lines; the registry keeps running
    python tests/notebooks/mirror.py stop PID
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

HUB = "registry-1.docker.io"
SEED = "node:20"
BOOTSTRAP = "tutorial-seed:bookworm"  # mmdebstrap's output, before the host's CA bundle
HOST_CA = "/etc/ssl/certs/ca-certificates.crt"
# Names the notebooks pull. Each is the seed with its own label, so each has its own digest
# (as on Docker Hub) and changing the base tag really changes every cache key after it.
NAMES = ["node:20", "node:20-slim", "node:20-bookworm"]
BUSYBOX = "busybox:latest"  # made from the host's busybox-static, for the quick lessons
# Tutorial 05's database: Debian's redis-server (7.0 in bookworm) on the seed, once (~45 s).
REDIS = "redis:7"
REDIS_DOCKERFILE = (
    f"FROM {BOOTSTRAP}\n"
    "RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server"
    " >/dev/null && rm -rf /var/lib/apt/lists/*\n"
    "EXPOSE 6379\n"
    'CMD ["redis-server", "--protected-mode", "no"]\n'
)
PACKAGES = ["nodejs", "npm", "ca-certificates"]

CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {data}
http:
  addr: 127.0.0.1:{port}
  secret: docker-magics-tutorial
"""


def log(msg: str) -> None:
    print(f"[tutorial] {msg}", file=sys.stderr, flush=True)


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.environ.get("DOCKER_MAGICS_TUTORIAL_CACHE") or os.path.join(
        base, "docker-magics-tutorial"
    )


def hub_reachable(timeout: float = 3.0) -> bool:
    """Docker Hub's registry answers HTTPS within ``timeout`` (any HTTP status counts)."""
    try:
        urllib.request.urlopen(f"https://{HUB}/v2/", timeout=timeout).close()
        return True
    except urllib.error.HTTPError:
        return True  # 401 is the normal answer
    except (OSError, ValueError):
        return False


@dataclass
class Mirror:
    url: str  # http://127.0.0.1:PORT
    proc: subprocess.Popen
    base: str

    def env(self) -> dict[str, str]:
        return {"DOCKER_MAGICS_REGISTRY_MIRRORS": self.url}

    def stop(self) -> None:
        stop(self.proc.pid, self.proc)


def seed_engine(cache: str | None = None):
    """The store holding the base images made here; makes them the first time."""
    from docker_magics.api import Engine
    from docker_magics.engine.pull import bootstrap

    store = os.path.join(cache or cache_dir(), "store")
    eng = Engine(store)
    if not _has(eng, BOOTSTRAP):
        log(f"making {SEED} with mmdebstrap (bookworm + {' '.join(PACKAGES)}), once: ~1 minute")
        t0 = time.monotonic()
        bootstrap(eng.store, BOOTSTRAP, suite="bookworm", include=PACKAGES)
        log(f"bootstrapped {SEED} in {time.monotonic() - t0:.0f} s")
    if not _has(eng, BUSYBOX):
        _import_busybox(eng)
    ctx = os.path.join(cache or cache_dir(), "seed-context")
    os.makedirs(ctx, exist_ok=True)
    if not _has(eng, SEED):
        # The base trusts what this machine trusts (a TLS-inspecting proxy's CA, say), so that
        # `npm install` in the tutorials reaches the npm registry wherever the host can.
        shutil.copyfile(HOST_CA, os.path.join(ctx, "ca-certificates.crt"))
        eng.build(
            ctx,
            dockerfile_text=(
                f"FROM {BOOTSTRAP}\n"
                "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
                "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt\n"
                'CMD ["node"]\n'
            ),
            tags=[SEED],
        )
    if not _has(eng, REDIS):
        log(f"making {REDIS} (bookworm's redis-server), once")
        eng.build(ctx, dockerfile_text=REDIS_DOCKERFILE, tags=[REDIS])
    for name in NAMES:
        if name != SEED and not _has(eng, name):
            eng.build(
                ctx,
                dockerfile_text=f'FROM {SEED}\nLABEL org.opencontainers.image.ref.name="{name}"\n',
                tags=[name],
            )
    return eng


def _import_busybox(eng) -> None:
    import tempfile

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from rootfs import make_busybox_tree, tar_tree

    with tempfile.TemporaryDirectory() as tmp:
        tree = make_busybox_tree(os.path.join(tmp, "tree"))
        tar = tar_tree(tree, os.path.join(tmp, "rootfs.tar"))
        eng.import_image(
            tar, BUSYBOX, message="busybox-static from the host", changes=['CMD ["sh"]']
        )


def _has(eng, name: str) -> bool:
    try:
        eng.image(name)
        return True
    except Exception:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cache: str | None = None) -> Mirror:
    """Bootstrap if needed, start docker-registry on 127.0.0.1 and push the names to it."""
    cache = cache or cache_dir()
    exe = shutil.which("docker-registry")
    if exe is None:
        raise RuntimeError("needs Debian's docker-registry: apt-get install docker-registry")
    eng = seed_engine(cache)
    base = os.path.join(cache, "registry")
    os.makedirs(base, exist_ok=True)
    port = _free_port()
    cfg = os.path.join(base, "config.yml")
    with open(cfg, "w") as fh:
        fh.write(CONFIG.format(data=os.path.join(base, "data"), port=port))
    logf = open(os.path.join(base, "registry.log"), "ab")
    proc = subprocess.Popen([exe, "serve", cfg], stdout=logf, stderr=logf, start_new_session=True)
    host = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            urllib.request.urlopen(f"http://{host}/v2/", timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"docker-registry did not start; see {base}/registry.log")
            time.sleep(0.05)
    for name in [*NAMES, BUSYBOX, REDIS]:
        eng.push(name, f"{host}/library/{name}")
    log(f"serving {', '.join([*NAMES, BUSYBOX, REDIS])} from a local mirror at http://{host}")
    return Mirror(f"http://{host}", proc, base)


def stop(pid: int, proc: subprocess.Popen | None = None) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if proc is not None:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str]) -> int:
    if argv[:1] == ["start"]:
        m = start()
        print(f"export DOCKER_MAGICS_REGISTRY_MIRRORS={m.url}")
        print(f"MIRROR_PID={m.proc.pid}")
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        stop(int(argv[1]))
        return 0
    if argv[:1] == ["probe"]:
        return 0 if hub_reachable() else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
