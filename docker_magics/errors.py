"""The exception tree. The library raises these; it never prints or exits.

DockerMagicsError
 +-- DockerfileError (also ValueError)   a Dockerfile that cannot be parsed or planned
 +-- BuildError                          a step failed while building
 +-- RuntimeBackendError                 a container could not be started or run
 +-- StoreError                          the store is missing, corrupt or locked
 |    +-- NotFoundError                  no such image, container or blob
 |    +-- ConflictError                  a name is taken, an image is in use
 |    +-- DiskFullError                  the disk ran out of space during a write
 +-- LayerError                          a layer tar is malformed or hostile
 +-- RegistryError                       a registry refused or failed a request
 +-- ImageReferenceError (also ValueError)  a malformed image reference
 +-- UsageError                          arguments that make no sense together

Interrupted (a KeyboardInterrupt, not a DockerMagicsError): Ctrl-C or a kernel interrupt, with
where it happened ("build interrupted at line 3 (RUN make)"). It stays a KeyboardInterrupt so
every ``except KeyboardInterrupt`` on the way still cleans up; the CLI prints its one line and
exits 130, the magics show it without a traceback.
"""

from __future__ import annotations

__all__ = [
    "DockerMagicsError",
    "DockerfileError",
    "BuildError",
    "RuntimeBackendError",
    "StoreError",
    "NotFoundError",
    "ConflictError",
    "DiskFullError",
    "is_disk_full",
    "LayerError",
    "RegistryError",
    "ImageReferenceError",
    "UsageError",
    "Interrupted",
    "describe_interrupt",
]


class Interrupted(KeyboardInterrupt):
    """The user interrupted a build, run or pull; ``str()`` says what stopped, and where."""


def describe_interrupt(exc: KeyboardInterrupt, verb: str) -> str:
    """The one line shown for an interrupt: "Interrupted: build interrupted at line 3 (...)"."""
    what = str(exc) if isinstance(exc, Interrupted) and str(exc) else f"{verb} interrupted"
    return f"Interrupted: {what}"


class DockerMagicsError(Exception):
    """Root of every error this package raises on purpose."""


class DockerfileError(DockerMagicsError, ValueError):
    """A Dockerfile problem, located by file name and line range when known."""

    def __init__(
        self,
        message: str,
        *,
        filename: str | None = None,
        line: int | None = None,
        end_line: int | None = None,
        source: str | None = None,
    ) -> None:
        self.message = message
        self.filename = filename
        self.line = line
        self.end_line = end_line if end_line is not None else line
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.filename or "Dockerfile"
        if self.line is not None:
            where += f":{self.line}"
            if self.end_line is not None and self.end_line != self.line:
                where += f"-{self.end_line}"
        text = f"{where}: {self.message}"
        if self.source:
            text += f"\n    {self.source.strip()}"
        return text


class BuildError(DockerMagicsError):
    """A build step failed; carries the step's line and the command's exit code and output tail."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        instruction: str | None = None,
        exit_code: int | None = None,
        output_tail: str = "",
    ) -> None:
        self.line = line
        self.instruction = instruction
        self.exit_code = exit_code
        self.output_tail = output_tail
        super().__init__(message)


class RuntimeBackendError(DockerMagicsError):
    """A container could not be set up or run by the selected backend."""


class StoreError(DockerMagicsError):
    """The store is missing, corrupt, or a write to it failed."""


class NotFoundError(StoreError):
    """No such image, container, blob or build record."""


class ConflictError(StoreError):
    """A name is already taken, or an object is still in use."""


class DiskFullError(StoreError):
    """No space (or quota) left while writing; says what was being written and what to do."""

    def __init__(self, what: str, path: str) -> None:
        self.what = what
        self.path = path
        super().__init__(
            f"no space left on the device holding {path} while {what}; nothing half-written "
            "was kept. Free space there (`docker-magics system prune` removes unused images "
            "and leftovers) or move the store to a bigger disk (--root or DOCKER_MAGICS_ROOT)"
        )


def is_disk_full(exc: BaseException) -> bool:
    import errno

    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


class LayerError(DockerMagicsError):
    """A layer archive is malformed or tries to write outside its target."""


class RegistryError(DockerMagicsError):
    """A registry refused a request or answered something we cannot use."""

    status: int | None = None  # the HTTP status, when a registry answered one
    tried: list[str] = []  # noqa: RUF012 - for a Docker Hub pull: "where: why", per source


class ImageReferenceError(DockerMagicsError, ValueError):
    """An image reference that does not follow Docker's syntax."""


class UsageError(DockerMagicsError):
    """Arguments that are individually valid but make no sense together."""
