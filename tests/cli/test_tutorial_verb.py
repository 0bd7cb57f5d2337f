"""`docker-magics tutorial run` as `scripts/tutorial` uses it: a real kernel, and a terminal that
shows only what a teacher should read (no kernel warnings, nothing left in the notebook's folder).
About 3 s."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")


def _cli(*args: str, cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "docker_magics", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_tutorial_run_prints_one_line_and_leaves_the_folder_as_it_was(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os; print(sorted(os.listdir('.')))")]
    nbformat.write(nb, tmp_path / "n.ipynb")
    out = _cli("tutorial", "run", "n.ipynb", "--out", "o.ipynb", "--html", "o.html", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Ran n.ipynb in ")
    assert out.stdout.endswith(" s: every cell succeeded\n") and out.stdout.count("\n") == 1
    # ipykernel warns on stderr when its sockets are TCP without encryption: Unix sockets in a
    # private dir instead, so the terminal stays clean and the notebook's folder too.
    assert out.stderr == ""
    (seen,) = nbformat.read(tmp_path / "o.ipynb", as_version=4).cells[0].outputs
    assert seen.text.strip() == "['n.ipynb']"
    assert sorted(os.listdir(tmp_path)) == ["n.ipynb", "o.html", "o.ipynb"]


def test_tutorial_lab_on_a_folder_without_notebooks_says_so(tmp_path):
    out = _cli("tutorial", "lab", str(tmp_path), cwd=str(tmp_path))
    assert out.returncode == 125
    assert out.stderr == f"Error: {tmp_path}: no notebook (.ipynb) to open\n"
    assert out.stdout == ""


def test_the_printed_lab_url_follows_a_base_url():
    from docker_magics.cli.lab_verb import lab_url

    assert lab_url("127.0.0.1", 8888, "01.ipynb", "t0k", []) == (
        "http://127.0.0.1:8888/lab/tree/01.ipynb?token=t0k"
    )
    assert lab_url("0.0.0.0", 80, "01.ipynb", "t", ["--ServerApp.base_url=/user/ann/"]) == (
        "http://0.0.0.0:80/user/ann/lab/tree/01.ipynb?token=t"
    )
    assert lab_url("h", 1, "n.ipynb", "t", ["--base-url=x"]).startswith("http://h:1/x/lab/tree/")
