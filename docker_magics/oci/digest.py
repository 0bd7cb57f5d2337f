"""Digests and the identifiers built from them (diff_id, chain_id, image id)."""

from __future__ import annotations

import hashlib
import re

__all__ = ["sha256_digest", "validate_digest", "digest_hex", "chain_ids", "short_id", "EMPTY_TAR"]

_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")

# Digest of the 1024-byte empty tar: classic builders mark empty layers with it.
EMPTY_TAR = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def validate_digest(value: str) -> str:
    """Return `value` if it is a sha256 digest; anything else could be a path trick."""
    if not _DIGEST_RE.match(value):
        raise ValueError(f"not a sha256 digest: {value!r}")
    return value


def digest_hex(digest: str) -> str:
    return validate_digest(digest).split(":", 1)[1]


def chain_ids(diff_ids: list[str]) -> list[str]:
    """OCI ChainID of every prefix of the layer list: the identity of a stacked filesystem."""
    out: list[str] = []
    for diff_id in diff_ids:
        if not out:
            out.append(diff_id)
        else:
            out.append(sha256_digest(f"{out[-1]} {diff_id}".encode()))
    return out


def short_id(digest: str, length: int = 12) -> str:
    return digest.split(":", 1)[-1][:length]
