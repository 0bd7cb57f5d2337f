"""PRoot (the backend left when there are no user namespaces, as on Binder) runs Debian's own
package manager: `apt-get install -y` of a real package from Debian's archive, in a RUN step and in
a container, and the installed program works afterwards.

apt drops privileges to its `_apt` user, changes owners and runs maintainer scripts; under PRoot all
of that is faked root, which is what this proves. The Debian base is bootstrapped once with
mmdebstrap (from this machine's apt sources) into a cache store and imported from its layer blob.
Packages: GNU `hello` in the build and `figlet` in the container, both tiny with no dependencies
beyond libc. About a minute, most of it `apt-get update` fetching the package lists.
"""

from __future__ import annotations

import os
import shutil

import pytest
from capture import run_output  # tests/ is on sys.path (tests/conftest.py)

from docker_magics.api import Engine

pytestmark = [pytest.mark.proot, pytest.mark.slow]

DEBIAN = "debian:bookworm"


def _cache_store() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "docker-magics-tests", "debian-store")


@pytest.fixture(scope="module")
def debian_layer() -> str:
    """The path of the bootstrapped Debian's single layer blob (bootstrapped on first use)."""
    from docker_magics.engine.pull import bootstrap

    cache = Engine(_cache_store())
    try:
        image = cache.image(DEBIAN)
    except Exception:  # noqa: BLE001 - not bootstrapped yet
        if shutil.which("mmdebstrap") is None:
            pytest.skip("needs mmdebstrap (apt-get install mmdebstrap) to bootstrap Debian")
        image = bootstrap(cache.store, DEBIAN)
    return cache.store.blobs.path(image.layers[0]["digest"])


@pytest.fixture()
def proot_engine(tmp_path, debian_layer) -> Engine:
    if shutil.which("proot") is None:
        pytest.skip("proot is not installed (apt-get install proot)")
    engine = Engine(str(tmp_path / "store"), runtime="proot")
    engine.import_image(debian_layer, DEBIAN)
    assert engine.backend().name == "proot"
    return engine


def test_apt_get_install_under_proot(proot_engine, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        f"FROM {DEBIAN}\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends hello\n"
        "RUN hello > /greeting\n"
    )
    result = proot_engine.build(str(ctx), tags=["with-hello"])
    assert [s["cached"] for s in result.steps[1:]] == [False, False]
    code, out = run_output(proot_engine, "with-hello", ["cat", "/greeting"])
    assert (code, out) == (0, "Hello, world!\n")
    # In a container of that image: apt finds the lists the build fetched, installs another.
    install = "apt-get install -y --no-install-recommends figlet >/dev/null 2>&1"
    script = f"{install} && figlet -f term ok"
    code, out = run_output(proot_engine, "with-hello", ["sh", "-c", script])
    assert (code, out) == (0, "ok\n"), out
    code, out = run_output(
        proot_engine, "with-hello", ["dpkg-query", "-W", "-f", "${Status}", "hello"]
    )
    assert (code, out) == (0, "install ok installed")
    assert proot_engine.check().ok
