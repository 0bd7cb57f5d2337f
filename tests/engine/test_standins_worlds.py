"""`bootstrap` as an ordinary user, in the Binder world (uid 1000, no user namespaces at all,
scripts/binder-sim). mmdebstrap cannot pick a chroot mode there by itself (issue 15); bootstrap
runs it in fakechroot mode.

The smallest stand-in that goes through mmdebstrap is made from scratch into the world user's
own cache (~/.cache), then a container runs on it (PRoot in Binder) and the store checks clean.
Its digest is the one root makes (the mode is not part of the image): compared with the shared
test cache's, made as root. About 75-120 s on a loaded machine, most of it mmdebstrap fetching
and unpacking (apt's downloads are not shared between runs). Then root makes it again into a
private folder, for the same digest (25-90 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from debian_status import packages
from worlds import World, skip_unless_world

from docker_magics.store.store import Store

pytestmark = pytest.mark.slow

NAME = "debian:bookworm-slim"


# The "unprivileged" world (uid 65534, user namespaces allowed) takes the same fakechroot path
# and passed too (162 s measured); it is left out to keep CI lean: Binder is the harder world.
@pytest.mark.parametrize("world_name", ["binder"])
def test_an_ordinary_user_bootstraps_a_debian_stand_in_and_runs_it(
    world_name, shared_stand_in, stand_in_env
):
    skip_unless_world(world_name)
    for tool in ("mmdebstrap", "fakechroot", "fakeroot", "proot"):
        if shutil.which(tool) is None:
            pytest.fail(f"bootstrap as an ordinary user needs {tool}: install-system-packages")
    world = World(world_name)
    try:
        made = world.cli("bootstrap", NAME, timeout=600)
        assert "made locally by docker-magics as a stand-in for debian:bookworm-slim" in made.stdout
        # (binder-sim adds its own line: exit, wall time, peak memory)
        said = [line for line in made.stderr.splitlines() if not line.startswith("binder-sim: ")]
        assert said == []
        cache = os.path.join(world.home, ".cache", "docker-magics", "stand-ins")
        assert os.path.isdir(cache) and os.stat(cache).st_uid == world.uid
        out = world.cli("run", "--rm", NAME, "sh", "-c", "id -u; cat /etc/debian_version")
        uid, version = out.stdout.split()
        assert uid == "0" and version.startswith("12.")
        assert world.cli("system", "check").stdout.rstrip().endswith(": OK")
        cache = Store(stand_in_env["DOCKER_MAGICS_STAND_IN_CACHE"])
        roots = shared_stand_in(NAME)
        store = Store(world.store)
        mine = store.images.resolve(NAME)
        # Same inputs, same digests: unless Debian's archive moved on between the two (a point
        # release, a security update), the ordinary user's stand-in is root's, byte for byte.
        if packages(store, mine) == packages(cache, roots):
            assert mine.manifest_digest == roots.manifest_digest
    finally:
        world.close()


def test_made_again_as_root_the_stand_in_is_the_same(shared_stand_in, stand_in_env, tmp_path):
    """Root's bootstrap into a fresh cache in a private (0700) folder, as ~/.cache under /root
    is: the same digests as the shared cache's when Debian's archive did not move meanwhile.
    (apt downloads as `_apt` only where `_apt` can reach, and its partial dirs' owner goes
    into the image: mmdebstrap's temp dir must stay where `_apt` reaches.) 25-90 s."""
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    env = {**os.environ, "DOCKER_MAGICS_STAND_IN_CACHE": str(private / "cache")}
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "docker_magics",
            "--root",
            str(private / "store"),
            "bootstrap",
            NAME,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    cache = Store(stand_in_env["DOCKER_MAGICS_STAND_IN_CACHE"])
    roots, store = shared_stand_in(NAME), Store(str(private / "store"))
    again = store.images.resolve(NAME)
    if packages(store, again) == packages(cache, roots):
        assert again.manifest_digest == roots.manifest_digest
