"""Build secrets: ``build --secret id=ID[,src=FILE|,env=VAR]`` and ``RUN --mount=type=secret``.

As in BuildKit, a secret is visible only to the RUN steps that mount it (a read-only file, by
default ``/run/secrets/ID``, mode 0400), never enters a layer, the image config, the history or
the cache key: changing a secret's value does not make a step miss. The step sees a private
copy, so even under PRoot (no read-only binds) it cannot change the user's file.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..dockerfile.instructions import mount_flag
from ..errors import UsageError
from .step import StepBuilder

if TYPE_CHECKING:
    from ..dockerfile.instructions import Run

__all__ = ["Secret", "parse_secret", "secret_mount"]


@dataclass(frozen=True)
class Secret:
    """Where a secret's value comes from: a file (``src``) or an environment variable (``env``)."""

    id: str
    src: str | None = None
    env: str | None = None

    def read(self) -> bytes:
        if self.src is not None:
            try:
                with open(self.src, "rb") as fh:
                    return fh.read()
            except OSError as exc:
                raise UsageError(f"--secret id={self.id}: cannot read {self.src}: {exc.strerror}")
        name = self.env or self.id
        if name not in os.environ:
            raise UsageError(f"--secret id={self.id}: environment variable {name} is not set")
        return os.environ[name].encode()


def parse_secret(spec: str) -> Secret:
    """Docker's ``--secret`` value: ``id=ID[,src=PATH|,source=PATH|,env=VAR][,type=file|env]``.

    With neither ``src`` nor ``env``, the value is the environment variable named ID (as buildx).
    """
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        if not sep or not value:
            raise UsageError(f"invalid --secret {spec!r}: expected id=ID[,src=PATH|,env=VAR]")
        fields[key.strip().lower()] = value
    unknown = set(fields) - {"id", "src", "source", "env", "type"}
    if unknown:
        raise UsageError(f"invalid --secret {spec!r}: unknown field {sorted(unknown)[0]!r}")
    kind = fields.get("type", "file")
    if kind not in ("file", "env"):
        raise UsageError(f"invalid --secret {spec!r}: type must be file or env")
    src = fields.get("src", fields.get("source"))
    env = fields.get("env")
    if kind == "env" and src is not None:
        env, src = src, None  # `type=env,src=VAR` names the variable
    if "id" not in fields:
        if src is None and env is None:
            raise UsageError(f"invalid --secret {spec!r}: no id")
        fields["id"] = os.path.basename(src) if src else str(env)
    if src is not None:
        src = os.path.abspath(os.path.expanduser(src))
    return Secret(fields["id"], src, env)


def secret_mount(b: StepBuilder, ins: Run, options: dict[str, str], target: str) -> tuple[Any, Any]:
    """The key component (the id and where it goes, never the value) and the file to bind."""
    secret_id = options.get("id") or (posixpath.basename(target) if target else "")
    if not secret_id:
        raise b.error(ins, "RUN --mount=type=secret needs id= or target=")
    target = target or f"/run/secrets/{secret_id}"
    mode = _int(b, ins, options, "mode", "0400", 8)
    uid, gid = _int(b, ins, options, "uid", "0", 10), _int(b, ins, options, "gid", "0", 10)
    comp = {"type": "secret", "id": secret_id, "target": target, "mode": oct(mode)}
    secret = b.opts.secrets.get(secret_id)
    if secret is None:
        if mount_flag(options, "required"):
            raise b.error(
                ins,
                f"secret {secret_id!r} is required but was not given: build with "
                f"--secret id={secret_id},src=FILE (or env=VAR)",
            )
        return comp, None  # BuildKit skips an optional secret that was not provided
    value = secret.read()
    base = b.store.tmp_path("secret")
    b.cleanup.append(base)
    path = os.path.join(base, "value")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    if os.geteuid() == 0:
        os.chown(path, uid, gid)
    os.chmod(path, mode)
    os.chmod(base, 0o755)  # the step's user (USER) must be able to reach the file
    return comp, path


def _int(
    b: StepBuilder, ins: Run, options: dict[str, str], name: str, default: str, base: int
) -> int:
    text = options.get(name, default)
    try:
        return int(text, base)
    except ValueError:
        kind = "an octal mode" if base == 8 else "a number"
        raise b.error(ins, f"RUN --mount=type=secret: {name}={text!r} is not {kind}") from None
