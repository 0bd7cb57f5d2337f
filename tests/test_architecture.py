"""README's "Architecture" section describes the package as it is: every package folder has its
line, no line names a folder that is gone, and the layer diagram is the import-linter contract."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

import docker_magics

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(docker_magics.__file__).parent


def _section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Architecture\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_every_package_has_its_line_and_no_other() -> None:
    described = set(re.findall(r"^- `([a-z_]+)/`:", _section(), re.M))
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert described == folders


def test_the_diagram_is_the_layers_contract() -> None:
    block = _section().split("```")[1]
    drawn = [name.strip("/").removesuffix(".py") for name in re.findall(r"[a-z_]+/|api\.py", block)]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    assert [f"docker_magics.{name}" for name in drawn[: len(layers)]] == layers
