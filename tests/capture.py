"""Run a command in a fresh container of an image and keep what it printed."""

from __future__ import annotations

from typing import Any


def run_output(engine: Any, image: str, argv: list[str]) -> tuple[int, str]:
    """(exit code, stdout and stderr as one text) of ``argv`` in a container removed afterwards.

    The two streams come through separate pipes, as with ``docker run`` without a TTY, so
    nothing orders one against the other: use this only when just one of them is written
    (or the test does not care where the other's text lands); else ``run_sh_split``.
    """
    chunks: list[bytes] = []
    code = engine.run(image, argv, out=chunks.append, err=chunks.append, remove=True)
    return code, b"".join(chunks).decode()


def run_sh(engine: Any, image: str, script: str) -> tuple[int, str]:
    return run_output(engine, image, ["sh", "-c", script])


def run_sh_split(engine: Any, image: str, script: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``sh -c script``: each stream in order, kept apart."""
    out: list[bytes] = []
    err: list[bytes] = []
    code = engine.run(image, ["sh", "-c", script], out=out.append, err=err.append, remove=True)
    return code, b"".join(out).decode(), b"".join(err).decode()
