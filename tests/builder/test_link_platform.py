"""``COPY --link`` builds like a plain COPY; ``FROM --platform`` is the host's or an error."""

from __future__ import annotations

import pytest

from docker_magics.builder.args import foreign_platform
from docker_magics.errors import DockerfileError
from docker_magics.oci.image import host_platform

HOST = "{os}/{architecture}".format(**host_platform())
OTHER = "linux/s390x" if not HOST.endswith("s390x") else "linux/amd64"


def test_copy_link_gives_the_same_layer_as_copy(engine, base_image, ctx):
    ctx.write("app/main.py", "print('hi')\n", mode=0o755)
    ctx.write("app/data/x.txt", "x\n")
    ctx.dockerfile("FROM busybox\nCOPY --link --chown=7:8 app /srv/\n")
    linked = engine.build(ctx.root, tags=["linked"])
    # --no-cache: produced again, not taken from the first build's cache entry
    ctx.dockerfile("FROM busybox\nCOPY --chown=7:8 app /srv/\n")
    plain = engine.build(ctx.root, tags=["plain"], no_cache=True)
    assert not plain.steps[-1]["cached"]
    assert engine.image("linked").layers == engine.image("plain").layers
    hist = linked.image.config["history"][-1]["created_by"]
    assert hist == "COPY --chown=7:8 app /srv/ # buildkit"  # BuildKit does not record --link


def test_from_platform_of_the_host_builds(engine, base_image, ctx):
    ctx.dockerfile(
        f"FROM --platform={HOST} busybox AS a\nRUN true\n"
        "FROM --platform=$BUILDPLATFORM busybox\nCOPY --from=a /bin/true /t\n"
    )
    engine.build(ctx.root, tags=["p"])


def test_from_platform_of_another_platform_is_a_located_error(engine, base_image, ctx):
    ctx.dockerfile(f"ARG P={OTHER}\nFROM busybox\nRUN true\nFROM --platform=$P busybox\n")
    with pytest.raises(DockerfileError, match="only the host platform") as info:
        engine.build(ctx.root, tags=["x"])
    assert info.value.line == 4 and OTHER in str(info.value)


def test_an_unused_foreign_stage_is_not_built(engine, base_image, ctx):
    # BuildKit builds only the stages the target needs; so do we, and the check with them.
    ctx.dockerfile(f"FROM --platform={OTHER} busybox AS other\nFROM busybox\nRUN true\n")
    engine.build(ctx.root, tags=["ok"])


@pytest.mark.parametrize(
    ("spec", "foreign"),
    [
        ("linux/amd64", False),
        ("linux/x86_64", False),
        ("amd64", False),
        ("linux", False),
        ("linux/arm64", True),
        ("arm64", True),
        ("windows/amd64", True),
        ("linux/arm/v7", True),
    ],
)
def test_platform_matching(spec, foreign):
    assert (foreign_platform(spec, {}, "linux/amd64") is not None) == foreign
