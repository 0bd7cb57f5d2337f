"""Run a command in a fresh container of an image and keep what it printed."""

from __future__ import annotations

from typing import Any


def run_output(engine: Any, image: str, argv: list[str]) -> tuple[int, str]:
    """(exit code, stdout and stderr as one text) of ``argv`` in a container removed afterwards."""
    chunks: list[bytes] = []
    code = engine.run(image, argv, out=chunks.append, err=chunks.append, remove=True)
    return code, b"".join(chunks).decode()


def run_sh(engine: Any, image: str, script: str) -> tuple[int, str]:
    return run_output(engine, image, ["sh", "-c", script])
