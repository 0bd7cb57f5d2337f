"""Media types we read and write."""

from __future__ import annotations

__all__ = [
    "OCI_INDEX",
    "OCI_MANIFEST",
    "OCI_CONFIG",
    "OCI_LAYER",
    "OCI_LAYER_GZIP",
    "OCI_LAYER_ZSTD",
    "DOCKER_MANIFEST",
    "DOCKER_LIST",
    "DOCKER_CONFIG",
    "DOCKER_LAYER_GZIP",
    "DOCKER_LAYER",
    "LAYER_TYPES",
    "GZIP_LAYER_TYPES",
    "MANIFEST_TYPES",
    "INDEX_TYPES",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"

GZIP_LAYER_TYPES = frozenset({OCI_LAYER_GZIP, DOCKER_LAYER_GZIP})
LAYER_TYPES = frozenset({OCI_LAYER, DOCKER_LAYER, OCI_LAYER_ZSTD}) | GZIP_LAYER_TYPES
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
