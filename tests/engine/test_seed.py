"""The seed walk-through, through the CLI, in every world and runtime backend it supports.

import a base, run a container that installs something, commit it, look at history, run the new
image, commit a default command, run it with no command, diff, remove.
"""

from __future__ import annotations

import os
import shutil

import pytest

CASES = [
    ("root", "root"),
    ("root", "userns"),
    ("root", "proot"),
    ("unprivileged", "userns"),
    ("unprivileged", "proot"),
    ("binder", None),  # a Binder pod (containerd's RuntimeDefault seccomp): must choose PRoot
]
IDS = [f"{w}-{r or 'auto'}" for w, r in CASES]


@pytest.mark.parametrize(("world", "runtime"), CASES, ids=IDS, indirect=["world"])
def test_seed_walkthrough(busybox_tar, world, runtime):
    if (runtime == "proot" or world.name == "binder") and not shutil.which("proot"):
        pytest.skip("needs proot: apt-get install proot")
    w = world
    shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
    os.chmod(os.path.join(w.base, "base.tar.gz"), 0o644)
    info = w.cli("info", runtime=runtime).stdout
    assert f"Runtime:     {runtime or 'proot'}" in info
    assert ("Cost:        PRoot" in info) == ((runtime or "proot") == "proot")
    w.cli("import", "-m", "base rootfs", "base.tar.gz", "base:1")

    owner = "1000:1000"
    install = (
        "mkdir -p /opt/tool && printf '#!/bin/sh\\necho tool v1\\n' > /opt/tool/run && "
        f"chmod 755 /opt/tool/run && chown {owner} /opt/tool/run && rm /bin/vi && "
        "echo installed"
    )
    run = w.cli("run", "--name", "base-container", "base:1", "sh", "-c", install, runtime=runtime)
    assert run.stdout.strip() == "installed"
    diff = w.cli("diff", "base-container", runtime=runtime).stdout.split("\n")
    assert "A /opt/tool/run" in diff and "D /bin/vi" in diff and "C /bin" in diff

    w.cli("commit", "-m", "Add tool", "base-container", "tool-base", runtime=runtime)
    history = w.cli("history", "tool-base").stdout.splitlines()
    assert history[0].split()[:1] == ["IMAGE"]
    assert "Add tool" in history[1] and "sh -c mkdir" in history[1]
    assert "<missing>" not in history[2] and "base rootfs" in history[2]  # the local parent

    out = w.cli(
        "run",
        "--rm",
        "tool-base",
        "sh",
        "-c",
        "/opt/tool/run; ls /bin/vi || echo novi",
        runtime=runtime,
        check=False,
    )
    assert out.stdout.split() == ["tool", "v1", "novi"], out.stderr

    w.cli("commit", "-c", 'CMD ["/opt/tool/run"]', "base-container", "tool-app", runtime=runtime)
    assert w.cli("run", "--rm", "tool-app", runtime=runtime).stdout.strip() == "tool v1"

    failing = w.cli("run", "--rm", "base:1", "sh", "-c", "exit 7", runtime=runtime, check=False)
    assert failing.returncode == 7
    missing = w.cli("run", "--rm", "base:1", "no-such-cmd", runtime=runtime, check=False)
    assert missing.returncode == 127

    w.cli("rm", "-f", "base-container")
    assert "base-container" not in w.cli("ps", "-a").stdout
    check = w.cli("system", "check")
    assert "OK" in check.stdout
