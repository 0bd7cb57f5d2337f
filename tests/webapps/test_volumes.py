"""Volumes through the CLI in every world: as root, as uid 65534 (userns) and with PRoot.

One image whose /data holds a file; a named volume is created on first use and seeded from it,
keeps what a container wrote after that container is gone, is refused removal while a container
uses it; binds write through to the host; tmpfs starts empty each time; anonymous volumes go
with ``rm -v``; ``volume prune`` keeps named volumes unless ``-a``.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

CASES = [("root", "root"), ("unprivileged", "userns"), ("no-userns", None)]
IDS = [f"{w}-{r or 'auto'}" for w, r in CASES]


def _image(w, busybox_tar) -> None:
    shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
    os.chmod(os.path.join(w.base, "base.tar.gz"), 0o644)
    w.cli("import", "base.tar.gz", "busybox:latest")
    w.cli(
        "run",
        "--name",
        "mk",
        "busybox",
        "sh",
        "-c",
        "mkdir -p /data/sub && echo seed > /data/sub/f",
    )
    w.cli("commit", "mk", "app")
    w.cli("rm", "mk")


@pytest.mark.parametrize(("world", "runtime"), CASES, ids=IDS, indirect=["world"])
def test_volumes_in_every_world(busybox_tar, world, runtime):
    w = world
    if w.name == "no-userns" and not shutil.which("proot"):
        pytest.skip("needs proot: apt-get install proot")
    _image(w, busybox_tar)
    rt = {"runtime": runtime}
    # Named volume: created on first use, seeded from the image, data outlives the container.
    out = w.cli(
        "run",
        "--name",
        "w1",
        "-v",
        "vol1:/data",
        "app",
        "sh",
        "-c",
        "cat /data/sub/f; echo kept > /data/new",
        **rt,
    )
    assert out.stdout == "seed\n"
    refused = w.cli("volume", "rm", "vol1", check=False)
    assert refused.returncode != 0 and "in use by container w1" in refused.stderr
    w.cli("rm", "w1")
    out = w.cli(
        "run",
        "--rm",
        "--mount",
        "type=volume,source=vol1,target=/v,readonly",
        "app",
        "sh",
        "-c",
        "cat /v/new /v/sub/f; echo x > /v/y 2>/dev/null || echo ro",
        **rt,
    )
    ro_line = "ro\n" if w.name != "no-userns" else ""  # PRoot binds cannot be read-only
    assert out.stdout.startswith("kept\nseed\n") and out.stdout.endswith(ro_line)
    info = json.loads(w.cli("volume", "inspect", "vol1").stdout)[0]
    assert info["Name"] == "vol1" and info["Driver"] == "local"
    assert open(os.path.join(info["Mountpoint"], "new")).read() == "kept\n"
    # Bind: writes land on the host. tmpfs: empty at every start.
    host = os.path.join(w.base, "hostdir")
    os.makedirs(host, mode=0o777)
    os.chmod(host, 0o777)
    w.cli(
        "run",
        "--name",
        "t",
        "-v",
        f"{host}:/h",
        "--mount",
        "type=tmpfs,target=/scratch",
        "app",
        "sh",
        "-c",
        "ls /scratch; touch /scratch/x; echo hi > /h/out",
        **rt,
    )
    assert open(os.path.join(host, "out")).read() == "hi\n"
    out = w.cli("start", "-a", "t", **rt)
    assert out.stdout == ""  # /scratch/x from the first start is gone
    assert w.cli("diff", "t").stdout.count("scratch/x") == 0
    w.cli("rm", "t")
    # Anonymous volumes go with rm -v; prune keeps named volumes unless -a.
    w.cli("run", "--name", "anon", "-v", "/data", "app", "true", **rt)
    names = w.cli("volume", "ls", "-q").stdout.split()
    assert len(names) == 2 and "vol1" in names
    w.cli("rm", "-v", "anon")
    assert w.cli("volume", "ls", "-q").stdout.split() == ["vol1"]
    assert w.cli("volume", "prune").stdout.strip() == "No unused volumes to remove."
    assert w.cli("volume", "prune", "-a").stdout.split() == ["Deleted", "Volumes:", "vol1"]


def test_bad_volume_flags(engine, base_image):
    from docker_magics.api import RunOptions
    from docker_magics.errors import UsageError

    for spec, words in [
        ("data:rel", "container path must be absolute"),
        ("a:/b:c:d", "use [SOURCE:]PATH[:ro]"),
        ("/x:/y:bogus", "unknown option bogus"),
        ("!bad:/y", "invalid volume name"),
    ]:
        with pytest.raises(UsageError, match=re.escape(words)):
            engine.create(RunOptions(image=base_image, command=["true"], volumes=[spec]))
    for spec, words in [
        ("type=bind,source=/nonexistent-dir-x,target=/y", "bind source path does not exist"),
        ("type=nfs,target=/y", "type must be volume, bind or tmpfs"),
        ("type=volume,source=v", "target=PATH is required"),
        ("type=volume,colour=red,target=/y", "unknown field 'colour'"),
    ]:
        with pytest.raises(UsageError, match=re.escape(words)):
            engine.create(RunOptions(image=base_image, command=["true"], mounts=[spec]))
    assert engine.ps(all=True) == [] and engine.volumes() == []
