"""Image references with Docker's normalisation (`ubuntu` = `docker.io/library/ubuntu:latest`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ImageReferenceError

__all__ = ["Reference", "parse_reference", "DEFAULT_REGISTRY"]

DEFAULT_REGISTRY = "docker.io"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$")


@dataclass(frozen=True)
class Reference:
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """registry/repository, the part a tag hangs from."""
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def familiar(self) -> str:
        """The short form Docker prints: `ubuntu:latest`, `myuser/app:1`, `host:5000/x:y`."""
        name = self.name
        if self.registry == DEFAULT_REGISTRY:
            name = self.repository
            if name.startswith("library/") and name.count("/") == 1:
                name = name[len("library/") :]
        text = name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.registry, self.repository, tag, None)


def _split_host(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        if first == "index.docker.io":
            first = DEFAULT_REGISTRY
        return first, rest
    return DEFAULT_REGISTRY, name


def parse_reference(text: str, *, default_tag: str | None = "latest") -> Reference:
    """Parse and normalise; raises ImageReferenceError naming what is wrong."""
    original = text
    text = text.strip()
    if not text:
        raise ImageReferenceError("empty image reference")
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST_RE.match(digest):
            raise ImageReferenceError(f"invalid digest in reference {original!r}")
    tag = None
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1 :]
        if not _TAG_RE.match(tag):
            raise ImageReferenceError(f"invalid tag {tag!r} in reference {original!r}")
    registry, path = _split_host(text)
    if not _HOST_RE.match(registry):
        raise ImageReferenceError(f"invalid registry host {registry!r} in {original!r}")
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = f"library/{path}"
    if not _PATH_RE.match(path):
        hint = " (repository names must be lowercase)" if path != path.lower() else ""
        raise ImageReferenceError(f"invalid reference format: {original!r}{hint}")
    if tag is None and digest is None:
        tag = default_tag
    return Reference(registry, path, tag, digest)
