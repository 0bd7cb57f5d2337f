"""Copy mode (PRoot) hands finished trees on instead of copying the image again (snapshot/ready.py).

What users rely on: a RUN step starts from the tree the step before it left (the same inodes: no
copy), a container never sees what an earlier container wrote, a failed step leaves nothing
behind, at most MAX_READY trees are kept, and `system prune` removes them.
(Faithfulness, entry for entry against a plain extraction, is test_flat.py's first test: the
container it compares is made from such a kept tree.)
"""

from __future__ import annotations

import os
import shutil

import pytest

from docker_magics.api import Engine
from docker_magics.errors import BuildError
from docker_magics.snapshot.ready import MAX_READY, PREFIX

from ..capture import run_sh


@pytest.fixture
def copy_engine(tmp_path, busybox_tar) -> Engine:
    if shutil.which("proot") is None:
        pytest.skip("proot is not installed (apt-get install proot)")
    engine = Engine(str(tmp_path / "store"), runtime="proot")
    engine.import_image(busybox_tar, "busybox:latest")
    return engine


def _ready(engine: Engine) -> list[str]:
    return sorted(n for n in os.listdir(engine.store.snapshots_dir) if n.startswith(PREFIX))


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
    assert _ready(engine) == [], "a tree that was written to is deleted, not kept"
    assert run_sh(engine, "busybox", "cat /tmp/left; ls /bin/vi") == (
        0,
        "cat: can't open '/tmp/left': No such file or directory\n/bin/vi\n",
    )


def test_a_failed_step_leaves_no_tree(copy_engine, tmp_path):
    with pytest.raises(BuildError):
        _build(copy_engine, tmp_path, "FROM busybox\nRUN touch /half && false\n", "bad:1")
    assert _ready(copy_engine) == []
    _build(copy_engine, tmp_path, "FROM busybox\nRUN test ! -e /half\n", "good:1")


def test_kept_trees_are_bounded_and_pruned(copy_engine, tmp_path):
    for n in range(MAX_READY + 2):
        _build(copy_engine, tmp_path, f"FROM busybox\nRUN echo {n} > /n\n", f"app:{n}")
    assert len(_ready(copy_engine)) == MAX_READY
    copy_engine.prune()
    assert _ready(copy_engine) == []
    assert run_sh(copy_engine, f"app:{MAX_READY + 1}", "cat /n") == (0, f"{MAX_READY + 1}\n")
