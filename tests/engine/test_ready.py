"""Copy mode (PRoot) hands finished trees on instead of copying the image again (snapshot/ready.py).

What users rely on: a RUN step starts from the tree the step before it left (the same inodes: no
copy), a container never sees what an earlier container wrote (a used tree is restored to its
base, entry for entry, from the paths recorded), a failed step's tree is not reused as it is,
at most MAX_READY trees are kept, and `system prune` removes them.
(Faithfulness, entry for entry against a plain extraction, is test_flat.py's first test: the
container it compares is made from such a kept tree.)
"""

from __future__ import annotations

import json
import os

import pytest

from docker_magics.api import Engine, RunOptions
from docker_magics.errors import BuildError
from docker_magics.snapshot.ready import MAX_READY, PREFIX
from docker_magics.snapshot.unpack import unpack_into

from ..capture import run_sh
from .test_flat import _tree


def _ready(engine: Engine) -> list[str]:
    names = os.listdir(engine.store.snapshots_dir)
    return sorted(n for n in names if n.startswith(PREFIX) and not n.endswith(".json"))


def _build(engine: Engine, tmp_path, dockerfile: str, tag: str) -> None:
    ctx = tmp_path / f"ctx-{tag.replace(':', '-')}"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(dockerfile)
    engine.build(str(ctx), tags=[tag])


def test_a_build_step_runs_in_the_tree_the_step_before_left(copy_engine, tmp_path):
    _build(
        copy_engine,
        tmp_path,
        "FROM busybox\nRUN ls -i /bin/busybox > /one && echo a > /a\n"
        "RUN ls -i /bin/busybox > /two && cat /a > /b\n",
        "app:1",
    )
    code, out = run_sh(copy_engine, "app:1", "cat /one /two /b")
    one, two, b = out.splitlines()
    assert code == 0 and b == "a"
    assert one.split()[0] == two.split()[0], "the second step got a copy, not the first's tree"


def test_a_container_never_sees_what_an_earlier_one_wrote(copy_engine):
    engine = copy_engine
    assert run_sh(engine, "busybox", "true") == (0, "")
    assert len(_ready(engine)) == 1, "an unchanged tree is kept"
    assert run_sh(engine, "busybox", "echo secret > /tmp/left && rm /bin/vi && echo ok") == (
        0,
        "ok\n",
    )
    assert len(_ready(engine)) == 1, "kept, to be made the image's tree again when taken"
    assert run_sh(engine, "busybox", "test -e /tmp/left || echo absent; ls /bin/vi") == (
        0,
        "absent\n/bin/vi\n",
    )


def test_a_failed_steps_tree_is_not_reused_as_it_is(copy_engine, tmp_path):
    with pytest.raises(BuildError):
        _build(copy_engine, tmp_path, "FROM busybox\nRUN touch /half && false\n", "bad:1")
    (name,) = _ready(copy_engine)
    with open(os.path.join(copy_engine.store.snapshots_dir, name + ".json")) as fh:
        record = json.load(fh)
    assert record["chain"] is None and record["dirty"] == ["half"]
    _build(copy_engine, tmp_path, "FROM busybox\nRUN test ! -e /half\n", "good:1")


def test_kept_trees_are_bounded_and_pruned(copy_engine):
    made = [copy_engine.create(RunOptions(image="busybox", command=["true"])) for _ in range(4)]
    for c in made:  # four trees at once, all given back when removed: only MAX_READY stay
        copy_engine.rm(c.id, force=True)
    assert len(_ready(copy_engine)) == MAX_READY
    copy_engine.prune()
    assert os.listdir(copy_engine.store.snapshots_dir) == [
        n for n in os.listdir(copy_engine.store.snapshots_dir) if not n.startswith(PREFIX)
    ]
    assert run_sh(copy_engine, "busybox", "echo ok") == (0, "ok\n")


def test_a_restored_tree_is_the_image_entry_for_entry(copy_engine, tmp_path):
    engine = copy_engine
    _build(
        engine,
        tmp_path,
        "FROM busybox\nRUN echo 1 > /a && ln -s /a /link && rm /bin/true && rm -rf /usr/sbin"
        " && mkdir -p /opt/x && echo y > /opt/x/y && chmod 700 /bin\n",
        "app:1",
    )
    dirty = "echo more >> /etc/passwd; rm -rf /usr; mkfifo /fifo; mkdir /new; touch /new/f"
    assert run_sh(engine, "busybox", dirty)[0] == 0
    for _ in range(2):  # from the build's tree, then from the dirty container's
        c = engine.create(RunOptions(image="busybox", command=["true"]))
        got = os.path.join(engine.store.containers.dir(c.id), "rootfs")
        image = engine.image("busybox")
        expected = tmp_path / f"expected-{c.id[:6]}"
        expected.mkdir()
        for layer, diff_id in zip(image.layers, image.diff_ids):
            unpack_into(engine.store, layer, diff_id, str(expected), overlay=False)
        assert _tree(got) == _tree(str(expected))
        assert run_sh(engine, "busybox", "echo more >> /etc/passwd; rm -rf /usr")[0] == 0
        engine.rm(c.id, force=True)
