"""`bootstrap`: a Debian image from mmdebstrap (once per session), pushed and pulled back."""

from __future__ import annotations

import os
import time

import pytest

from docker_magics.api import Engine
from docker_magics.snapshot.prepare import lower_dirs
from docker_magics.snapshot.unpack import snapshot_path

from .helpers import run

pytestmark = [pytest.mark.registry, pytest.mark.slow]


def test_bootstrap_makes_a_debian_image(debian):
    image = debian.image("debian:bookworm")
    root = snapshot_path(debian.store, image.diff_ids[0])
    with open(os.path.join(root, "etc", "debian_version")) as fh:
        assert fh.read().startswith("12")
    assert os.path.exists(os.path.join(root, "usr", "bin", "apt-get"))
    assert image.config["config"]["Cmd"] == ["bash"]


def test_bootstrapped_image_round_trips_through_the_registry(debian, debian_in_registry, tmp_path):
    name = debian_in_registry
    other = Engine(str(tmp_path / "other"))
    t0 = time.monotonic()
    pulled = other.pull(name)
    ours = time.monotonic() - t0
    t0 = time.monotonic()
    run(
        [
            "skopeo",
            "--insecure-policy",
            "copy",
            "--src-tls-verify=false",
            f"docker://{name}",
            f"oci:{tmp_path / 'oci'}:bookworm",
        ]
    )
    theirs = time.monotonic() - t0
    print(
        f"\npull of {pulled.size >> 20} MiB (neither unpacks): ours {ours:.2f} s, "
        f"skopeo {theirs:.2f} s"
    )
    assert pulled.diff_ids == debian.image("debian:bookworm").diff_ids
    t0 = time.monotonic()
    (root,) = lower_dirs(other.store, pulled)  # first use: gunzip, diff_id check, extraction
    print(f"first unpack of the pulled layer: {time.monotonic() - t0:.2f} s")
    with open(os.path.join(root, "etc", "debian_version")) as fh:
        assert fh.read().startswith("12")
