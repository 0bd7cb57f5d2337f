"""`docker-magics tutorial bases`, the first thing scripts/tutorial and scripts/lab run: every base
image the notebooks name (FROM lines, `%container pull`) ends up tagged in the store, each said
in a line; a name with no source is said too and makes the exit status 1; a second run finds them
all in the store, in about a second.

Docker Hub unreachable, stand-ins opted in, from the shared test cache (tests/conftest.py). About
5 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

nbformat = pytest.importorskip("nbformat")

pytestmark = pytest.mark.slow


def _bases(store: str, folder: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "docker_magics", "--root", store, "tutorial", "bases", folder],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _notebook(path: str, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("FROM python:3.11 in prose is no base")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, path)


def test_tutorial_bases_tags_every_base_and_a_second_run_is_quick(stand_in_env, tmp_path):
    folder, store = tmp_path / "tutorials", str(tmp_path / "store")
    folder.mkdir()
    _notebook(
        str(folder / "01.ipynb"),
        "%%container build -t app .\nFROM busybox AS base\nFROM base\nRUN true",
        "%container pull node:20-slim",
    )
    _notebook(str(folder / "02.ipynb"), "%%container build -t db .\nFROM mongo:7")
    first = _bases(store, str(folder), stand_in_env)
    assert first.returncode == 1, first.stdout + first.stderr  # mongo:7 has no source here
    lines = first.stdout.splitlines()
    for name, size in (("busybox", "(2 MB)"), ("node:20-slim", " MB)")):
        assert f"{name}: pulling (a stand-in is made here if no registry has it)" in lines
        assert any(line.startswith(f"  {name}") and "stand-in made here" in line for line in lines)
        assert any(line.startswith(f"{name}: ready (") and line.endswith(size) for line in lines)
    assert lines[-1].startswith("mongo:7: cannot pull mongo:7: ")
    assert not any(line.startswith(("base", "python")) for line in lines)  # a stage, prose
    assert "Traceback" not in first.stdout + first.stderr
    from docker_magics.api import Engine

    tags = {tag for image in Engine(store).store.images.all() for tag in image.refs}
    assert {"docker.io/library/busybox:latest", "docker.io/library/node:20-slim"} <= tags

    t0 = time.monotonic()
    second = _bases(store, str(folder), stand_in_env)
    took = time.monotonic() - t0
    assert second.stdout.splitlines()[:2] == [
        "busybox: already in the store",
        "node:20-slim: already in the store",
    ]
    assert took < 10, f"the second run took {took:.1f} s"


def test_tutorial_bases_of_a_folder_naming_no_image(tmp_path):
    _notebook(str(tmp_path / "n.ipynb"), "print('no image here')")
    out = _bases(str(tmp_path / "store"), str(tmp_path), {})
    assert out.returncode == 125
    assert out.stderr == f"Error: no notebook in {tmp_path} names a base image\n"
