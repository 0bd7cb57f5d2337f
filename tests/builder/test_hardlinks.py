"""Hard links survive COPY, ADD of a local tarball, COPY --from, and the layers' extraction for
RUN and for ``run``, as BuildKit and buildah keep them (issue 16 item 1).

The official busybox image is ``FROM scratch`` + ``ADD busybox.tar.gz /`` with ~400 applets
hard-linked to one binary: copied apart they made a 400 MB image of a 2 MB binary.
"""

from __future__ import annotations

import os
import shutil
import tarfile

import pytest
from rootfs import BUSYBOX, have_busybox, make_hardlinked_busybox_tar

DOCKERFILE = """\
FROM scratch AS tools
ADD busybox.tar.gz /
RUN mkdir /x && echo data > /x/f && ln /x/f /x/g
FROM scratch
ADD busybox.tar.gz /
ADD pair.tar.gz /fromtar/
COPY d /fromcopy/
COPY --from=tools /x /fromstage/
RUN echo built > /built
"""
PAIRS = ["/bin/sh /bin/ls", "/fromtar/d/big /fromtar/d/big2", "/fromcopy/big /fromcopy/big2"]
PAIRS += ["/fromstage/f /fromstage/g"]
# One line per pair: "same" when both names are one inode.
CHECK = "; ".join(
    f'[ "$(stat -c %i {pair.split()[0]})" = "$(stat -c %i {pair.split()[1]})" ] '
    f"&& echo same || echo apart"
    for pair in PAIRS
)


def _context(root: str) -> str:
    os.makedirs(os.path.join(root, "d"))
    with open(os.path.join(root, "d", "big"), "wb") as fh:
        fh.write(os.urandom(200_000))
    os.link(os.path.join(root, "d", "big"), os.path.join(root, "d", "big2"))
    with tarfile.open(os.path.join(root, "pair.tar.gz"), "w:gz") as tar:
        tar.add(os.path.join(root, "d"), arcname="d")
    make_hardlinked_busybox_tar(os.path.join(root, "busybox.tar.gz"))
    with open(os.path.join(root, "Dockerfile"), "w") as fh:
        fh.write(DOCKERFILE)
    for dirpath, _dirs, files in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o644)
    return root


@pytest.fixture()
def hardlink_ctx(tmp_path):
    if not have_busybox():
        pytest.skip("needs a static busybox: apt-get install busybox-static")
    return _context(str(tmp_path / "ctx"))


def _layer_members(engine, layer) -> list[tarfile.TarInfo]:
    with engine.store.blobs.open(layer["digest"]) as fh, tarfile.open(fileobj=fh) as tar:
        return list(tar)


def test_layers_hold_one_copy_of_linked_files(engine, hardlink_ctx):
    image = engine.build(hardlink_ctx, tags=["links"]).image
    busybox_layer, pair_tar, pair_copy, from_stage = image.layers[:4]
    applets = _layer_members(engine, busybox_layer)
    links = [m for m in applets if m.islnk()]
    # Debian's busybox has ~270 applets; the first name in tar order holds the data.
    assert len(links) > 250 and len({m.linkname for m in links}) == 1
    # The layer unpacks to one binary's worth, not one per applet.
    assert sum(m.size for m in applets) < os.path.getsize(BUSYBOX) * 1.05
    for layer, names in (
        (pair_tar, ("fromtar/d/big", "fromtar/d/big2")),
        (pair_copy, ("fromcopy/big", "fromcopy/big2")),
        (from_stage, ("fromstage/f", "fromstage/g")),
    ):
        members = {m.name: m for m in _layer_members(engine, layer)}
        assert members[names[0]].isreg() and members[names[1]].islnk(), names
        assert members[names[1]].linkname == names[0]


def test_separate_sources_stay_separate_files(engine, base_image, ctx):
    """BuildKit copies each source on its own: a file named twice is two files, not a link."""
    ctx.write("a", "same inode")
    os.link(os.path.join(ctx.root, "a"), os.path.join(ctx.root, "b"))
    ctx.dockerfile("FROM busybox\nCOPY a b /out/\n")
    image = engine.build(ctx.root, tags=["two"]).image
    members = {m.name: m for m in _layer_members(engine, image.layers[-1])}
    assert members["out/a"].isreg() and members["out/b"].isreg()


CASES = [("root", "root"), ("unprivileged", "userns"), ("no-userns", None)]


@pytest.mark.parametrize(("world", "runtime"), CASES, ids=[w for w, _ in CASES], indirect=["world"])
def test_links_kept_in_every_world(world, runtime):
    """Built and run in each world: extraction (overlay lowers, userns, PRoot's copied tree)
    keeps every pair one inode, so RUN and ``run`` see what the layers hold."""
    if world.name == "no-userns" and not shutil.which("proot"):
        pytest.skip("needs proot: apt-get install proot")
    if not have_busybox():
        pytest.skip("needs a static busybox: apt-get install busybox-static")
    ctx = _context(os.path.join(world.base, "ctx"))  # made in place: a copy would part the links
    world.cli("build", "-t", "links", ctx, runtime=runtime)
    out = world.cli("run", "--rm", "links", "sh", "-c", CHECK, runtime=runtime)
    assert out.stdout.split() == ["same"] * len(PAIRS), out.stdout
