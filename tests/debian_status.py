"""What a Debian stand-in's layer holds, read from the layer blob itself (no container run)."""

from __future__ import annotations

import re
import tarfile

from docker_magics.store.images import Image
from docker_magics.store.store import Store


def dpkg_status(store: Store, image: Image) -> list[dict[str, str]]:
    """One dict per installed package (Package, Version, Priority, ...) from the first layer's
    var/lib/dpkg/status."""
    with tarfile.open(store.blobs.path(image.layers[0]["digest"])) as tf:
        member = tf.extractfile("./var/lib/dpkg/status")
        assert member is not None, "the layer has no dpkg status: not a Debian rootfs"
        status = member.read().decode()
    return [
        dict(re.findall(r"^([A-Za-z-]+): (.*)$", para, re.M))
        for para in status.split("\n\n")
        if para.strip()
    ]


def packages(store: Store, image: Image) -> list[str]:
    """`package version` of every installed package, sorted."""
    return sorted(f"{p['Package']} {p['Version']}" for p in dpkg_status(store, image))


def paths(store: Store, image: Image) -> list[str]:
    """Every path in the first layer, without the leading ./ and with a / after a directory."""
    with tarfile.open(store.blobs.path(image.layers[0]["digest"])) as tf:
        return [m.name.removeprefix("./") + ("/" if m.isdir() else "") for m in tf.getmembers()]
