"""PRoot runs Debian's own package manager where there are no user namespaces (as on Binder):
`apt-get install -y` of a real package from Debian's archive, in a RUN step and in a container,
and the installed program works afterwards.

The CLI runs as uid 65534 inside `bwrap --disable-userns` (the "no-userns" world of
tests/worlds.py), so the probe is left with PRoot alone and everything apt does as root (dropping to
its `_apt` user, owners, maintainer scripts) is PRoot's fake root. apt warns there that it cannot
chown its partial directories to `_apt` (the world maps no other uid), and goes on.

The Debian base is bootstrapped once with mmdebstrap (from this machine's apt sources) into a cache
store and imported from its layer blob. Packages: GNU `hello` in the build and `figlet` in the
container, both tiny with no dependencies beyond libc. One to two minutes, most of it `apt-get
update` fetching the package lists and PRoot tracing apt.
"""

from __future__ import annotations

import os
import shutil

import pytest
from worlds import World, skip_unless_world

from docker_magics.api import Engine

pytestmark = [pytest.mark.proot, pytest.mark.slow]

DEBIAN = "debian:bookworm"
DOCKERFILE = (
    f"FROM {DEBIAN}\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends hello\n"
    "RUN hello > /greeting\n"
)


def _cache_store() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "docker-magics-tests", "debian-store")


@pytest.fixture(scope="module")
def debian_layer() -> str:
    """The path of the bootstrapped Debian's single layer blob (bootstrapped on first use)."""
    from docker_magics.engine.bootstrap import bootstrap_debian

    cache = Engine(_cache_store())
    try:
        image = cache.image(DEBIAN)
    except Exception:  # noqa: BLE001 - not bootstrapped yet
        if shutil.which("mmdebstrap") is None:
            pytest.skip("needs mmdebstrap (apt-get install mmdebstrap) to bootstrap Debian")
        image = bootstrap_debian(cache.store, DEBIAN)
    return cache.store.blobs.path(image.layers[0]["digest"])


@pytest.fixture()
def no_userns(debian_layer):
    """The no-userns world with the Debian rootfs tar and a build context it can read."""
    skip_unless_world("no-userns")
    if shutil.which("proot") is None:
        pytest.skip("proot is not installed (apt-get install proot)")
    world = World("no-userns")
    tar = os.path.join(world.base, "debian.tar")
    shutil.copyfile(debian_layer, tar)
    ctx = os.path.join(world.base, "ctx")
    os.mkdir(ctx)
    with open(os.path.join(ctx, "Dockerfile"), "w") as fh:
        fh.write(DOCKERFILE)
    for path, mode in ((tar, 0o644), (ctx, 0o755), (os.path.join(ctx, "Dockerfile"), 0o644)):
        os.chmod(path, mode)
    yield world, tar, ctx
    world.close()


def test_apt_get_install_under_proot_without_userns(no_userns):
    world, tar, ctx = no_userns
    world.cli("import", tar, DEBIAN)
    info = world.cli("info").stdout
    assert "Runtime:     proot\n" in info and "userns  unavailable" in info, info
    built = world.cli("build", "-t", "with-hello", ctx, timeout=600)
    assert "Setting up hello (2.10-3) ..." in built.stdout + built.stderr
    assert world.cli("run", "--rm", "with-hello", "cat", "/greeting").stdout == "Hello, world!\n"
    # In a container of that image: apt finds the lists the build fetched, installs another.
    install = "apt-get install -y --no-install-recommends figlet >/dev/null 2>&1"
    ran = world.cli("run", "--rm", "with-hello", "sh", "-c", f"{install} && figlet -f term ok")
    assert ran.stdout == "ok\n"
    status = world.cli("run", "--rm", "with-hello", "dpkg-query", "-W", "-f", "${Status}", "hello")
    assert status.stdout == "install ok installed"
    assert world.cli("system", "check").stdout.rstrip().endswith(": OK")
