"""`-v` and `--mount` as Docker reads them, and turning them into a container's mounts.

A mount is a plain dict as Docker's ``inspect`` shows it under ``Mounts``: ``Type`` (volume,
bind, tmpfs), ``Name`` (volumes), ``Source`` (host path), ``Destination``, ``RW``; plus our
``Anonymous`` and ``NoCopy``. ``-v SRC:DST`` is a bind when SRC is a path (starts with ``/``,
``.`` or ``~``) and a named volume otherwise; ``-v DST`` is an anonymous volume. A missing bind
source is created for ``-v`` and refused for ``--mount``, as Docker does.

tmpfs mounts are an empty private directory in the container's own dir, emptied at every start:
the same contract (empty, writable, never in a commit or diff) in every world, PRoot included,
though backed by disk rather than memory.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import UsageError
from ..layer.extract import safe_rmtree
from ..store.store import Store
from . import volumes

__all__ = ["parse_volume_flag", "parse_mount_flag", "resolve_mounts", "runtime_binds"]

_MODES = {"ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated"}


def _dest(path: str, spec: str) -> str:
    if not path.startswith("/"):
        raise UsageError(
            f"invalid volume specification {spec!r}: the container path must be absolute"
        )
    return os.path.normpath(path)


def _is_path(source: str) -> bool:
    return source.startswith(("/", ".", "~"))


def parse_volume_flag(spec: str) -> dict[str, Any]:
    """``-v [SRC:]DST[:OPTS]`` (OPTS: ro, rw, nocopy; SELinux z/Z accepted and ignored)."""
    parts = spec.split(":")
    if len(parts) == 1 or (len(parts) == 2 and set(parts[1].split(",")) <= _MODES):
        source, dest, opts = "", parts[0], parts[1] if len(parts) == 2 else ""
    elif len(parts) in (2, 3):
        source, dest, opts = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
    else:
        raise UsageError(f"invalid volume specification {spec!r}: use [SOURCE:]PATH[:ro]")
    flags = set(opts.split(",")) - {""}
    if flags - _MODES:
        raise UsageError(
            f"invalid volume specification {spec!r}: unknown option "
            f"{', '.join(sorted(flags - _MODES))} (use ro or rw)"
        )
    mount: dict[str, Any] = {"Destination": _dest(dest, spec), "RW": "ro" not in flags}
    if not source:
        mount.update(Type="volume", Name="", Anonymous=True)
    elif _is_path(source):
        path = os.path.abspath(os.path.expanduser(source))
        mount.update(Type="bind", Source=path, CreateSource=True)
    else:
        mount.update(Type="volume", Name=source, NoCopy="nocopy" in flags)
    return mount


_KEYS = {
    "src": "source",
    "source": "source",
    "dst": "target",
    "destination": "target",
    "target": "target",
    "type": "type",
    "readonly": "readonly",
    "ro": "readonly",
    "volume-nocopy": "nocopy",
}


def parse_mount_flag(spec: str) -> dict[str, Any]:
    """``--mount type=volume|bind|tmpfs,source=...,target=...[,readonly]``."""
    fields: dict[str, str] = {"type": "volume"}
    for item in spec.split(","):
        key, sep, value = item.partition("=")
        if key.startswith(("volume-opt", "tmpfs-", "bind-propagation", "consistency")):
            continue  # driver options, sizes and propagation: nothing to do without a daemon
        if key not in _KEYS:
            raise UsageError(f"invalid --mount {spec!r}: unknown field {key!r}")
        fields[_KEYS[key]] = value if sep else "true"
    kind, target = fields["type"], fields.get("target")
    if kind not in ("volume", "bind", "tmpfs"):
        raise UsageError(f"invalid --mount {spec!r}: type must be volume, bind or tmpfs")
    if not target:
        raise UsageError(f"invalid --mount {spec!r}: target=PATH is required")
    ro = fields.get("readonly", "false") in ("true", "1")
    mount: dict[str, Any] = {"Type": kind, "Destination": _dest(target, spec), "RW": not ro}
    source = fields.get("source", "")
    if kind == "bind":
        if not source:
            raise UsageError(f"invalid --mount {spec!r}: a bind needs source=HOST_PATH")
        path = os.path.abspath(os.path.expanduser(source))
        if not os.path.exists(path):
            raise UsageError(f"invalid --mount {spec!r}: bind source path does not exist: {path}")
        mount["Source"] = path
    elif kind == "volume":
        mount.update(Name=source, Anonymous=not source, NoCopy=fields.get("nocopy") == "true")
    return mount


def resolve_mounts(
    store: Store,
    mounts: list[dict[str, Any]],
    *,
    lowerdirs: tuple[str, ...],
    directory: str | None,
) -> list[dict[str, Any]]:
    """Create volumes on first use (seeded from the image) and bind sources for ``-v``."""
    seen: set[str] = set()
    out = []
    for m in mounts:
        m = dict(m)
        if m["Destination"] in seen:
            raise UsageError(f"duplicate mount point: {m['Destination']}")
        seen.add(m["Destination"])
        if m["Type"] == "volume":
            record, _created = volumes.create_volume(
                store, m["Name"] or None, anonymous=bool(m.get("Anonymous"))
            )
            m["Name"] = record["Name"]
            m["Source"] = volumes.data_dir(store, m["Name"])
            if not m.pop("NoCopy", False) and not os.listdir(m["Source"]):
                volumes.seed_volume(
                    m["Source"], m["Destination"], lowerdirs=lowerdirs, directory=directory
                )
        elif m["Type"] == "bind" and m.pop("CreateSource", False):
            if not os.path.lexists(m["Source"]):  # -v makes a missing host dir, as Docker does
                os.makedirs(m["Source"])
        out.append(m)
    return out


def runtime_binds(cdir: str, mounts: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """The (host, container, read-only) binds for one start; tmpfs dirs are emptied here."""
    binds = []
    for i, m in enumerate(mounts):
        source = m.get("Source", "")
        if m["Type"] == "tmpfs":
            source = os.path.join(cdir, "tmpfs", str(i))
            if os.path.exists(source):
                safe_rmtree(source)
            os.makedirs(source, mode=0o1777)
            os.chmod(source, 0o1777)
        binds.append((source, m["Destination"], not m.get("RW", True)))
    return binds
