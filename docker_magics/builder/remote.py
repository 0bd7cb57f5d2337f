"""ADD from an http(s) URL: BuildKit's http source (``source/http/source.go``), on our terms.

* The file is named after the last element of the URL path (``__unnamed__`` when there is
  none), as the Dockerfile frontend passes it; a destination not ending in ``/`` renames it.
* Mode 0600 (``--chmod`` overrides, later), owner 0:0 (``--chown`` overrides), mtime from
  ``Last-Modified`` or the epoch; a remote archive is never unpacked (unless ``--unpack=true``).
* The body is streamed to disk and hashed on the way, never held in memory; ``requests`` takes
  the proxy from the environment (``HTTPS_PROXY``, ``NO_PROXY``, ...), as BuildKit's transport.
* The key: with ``--checksum`` the pinned digest, so a cached step needs no network at all;
  without, the content digest and ``Last-Modified`` of a fresh download (both shape the layer).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "RemoteError",
    "Download",
    "is_url",
    "is_git_ref",
    "file_name",
    "parse_checksum",
    "fetch",
    "REMOTE_MODE",
]

REMOTE_MODE = 0o600  # BuildKit's http source writes the file 0600 unless told otherwise
_CHUNK = 1 << 20
_TIMEOUT = (30, 300)  # connect, then between bytes: a stalled server fails the step
_ALGORITHMS = {"sha256": 64, "sha384": 96, "sha512": 128}


class RemoteError(Exception):
    """A download failed; the message names the URL (the caller adds the Dockerfile line)."""


@dataclass(frozen=True)
class Download:
    path: str  # the file on the host, mode 0600, mtime set
    digest: str  # "sha256:..." of the bytes (the algorithm of --checksum when one was given)
    last_modified: str | None  # the header as sent, part of the key as in BuildKit


def is_url(src: str) -> bool:
    return src.startswith(("http://", "https://"))


def is_git_ref(src: str) -> bool:
    """BuildKit's ``gitutil.ParseGitRef``: git/ssh transports, or http(s) paths ending ``.git``."""
    if src.startswith(("git://", "ssh://", "git@")):
        return True
    return is_url(src) and urlsplit(src).path.endswith(".git")


def file_name(url: str) -> str:
    """The name BuildKit's frontend gives the downloaded file: the URL path's last element."""
    base = posixpath.basename(urlsplit(url).path.rstrip("/"))  # Go's path.Base drops a "/"
    return base if base not in ("", ".", "..", "/") else "__unnamed__"


def parse_checksum(text: str) -> tuple[str, str]:
    """``--checksum=sha256:<hex>`` -> (algorithm, hex); raises ValueError like digest.Parse."""
    algo, sep, hexdigest = text.partition(":")
    size = _ALGORITHMS.get(algo)
    if not sep or size is None:
        raise ValueError(f"unsupported digest algorithm in --checksum={text!r}")
    if not re.fullmatch(f"[a-f0-9]{{{size}}}", hexdigest):
        raise ValueError(f"invalid {algo} digest in --checksum={text!r}")
    return algo, hexdigest


def _mtime(last_modified: str | None) -> int:
    if not last_modified:
        return 0
    from email.utils import parsedate_to_datetime  # ~10 ms of imports every build would pay

    try:
        return int(parsedate_to_datetime(last_modified).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return 0  # an unparsable date is ignored, as Go's http.ParseTime failure is


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:xxxxx@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def fetch(url: str, path: str, algorithm: str = "sha256") -> Download:
    """Download ``url`` to ``path`` (created 0600), hashing as it streams."""
    import requests  # lazy: the CLI starts without it

    shown = _redact(url)
    try:
        with requests.get(url, stream=True, timeout=_TIMEOUT) as resp:
            if resp.status_code >= 400:
                raise RemoteError(f"failed to fetch {shown}: HTTP {resp.status_code} {resp.reason}")
            hasher = hashlib.new(algorithm)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, REMOTE_MODE)
            with os.fdopen(fd, "wb") as out:
                # iter_content undoes a Content-Encoding (gzip) as Go's client does for the
                # Accept-Encoding it adds itself: the file is the entity, not the transfer.
                for chunk in resp.iter_content(_CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
            last_modified = resp.headers.get("Last-Modified")
    except requests.RequestException as exc:
        raise RemoteError(f"failed to fetch {shown}: {exc}") from None
    os.chmod(path, REMOTE_MODE)  # the umask may have cut bits of O_CREAT's mode
    mtime = _mtime(last_modified)
    os.utime(path, (mtime, mtime))
    return Download(path, f"{algorithm}:{hasher.hexdigest()}", last_modified)
