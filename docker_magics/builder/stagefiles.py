"""What ``COPY --from`` and ``RUN --mount=type=bind,from=`` read, described for their keys.

BuildKit keys both on a content checksum of the selected paths (``ComputeDigestFunc`` on the
source input), not on the whole source stage: a change elsewhere in that stage keeps the step
and everything after it cached, and a change to a copied file names that file in the reason.
Descriptions are the context's (type, mode, link target, content digest, memoised by stat)
plus the owner, which an image keeps and tarsum hashes.
"""

from __future__ import annotations

import stat

from ..layer.owner import owner_ops
from .imagefs import ImageFS
from .patterns import IgnoreRules
from .step import StepBuilder

__all__ = ["stage_files"]


def stage_files(
    b: StepBuilder, fs: ImageFS, rel: str, rules: IgnoreRules | None = None
) -> dict[str, str]:
    """``{"/image/path": description}`` for ``rel`` (resolved) and everything below it;
    ``rules`` are ``--exclude`` patterns, matched below ``rel`` as the copy applies them."""
    ops = owner_ops()
    out: dict[str, str] = {}
    for entry in fs.walk(rel):
        sub = entry.path[len(rel) :].lstrip("/") if rel else entry.path
        if rules is not None and sub and rules.ignored(sub):
            continue
        is_link = stat.S_ISLNK(entry.st.st_mode)
        uid, gid = ops.get_owner(entry.host, entry.st, is_link=is_link)
        out["/" + entry.path] = f"{b.context.describe(entry.host, entry.st)} {uid}:{gid}"
    return out
