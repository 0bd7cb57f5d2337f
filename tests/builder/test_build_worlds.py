"""RUN mounts and --network=none through the CLI, as root, as uid 65534, and in a Binder pod.

One Dockerfile uses a bind from another stage, a secret and ``--network=none``; in every world
and backend the step sees the stage's files and the secret, the secret is in no layer, and a
server on the host's 127.0.0.1 (reachable by a plain RUN of the same build) is out of reach.
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest

CASES = [
    ("root", "root"),
    ("unprivileged", "userns"),
    ("binder", None),  # PRoot, chosen by the probe (containerd's RuntimeDefault seccomp)
]
IDS = [f"{w}-{r or 'auto'}" for w, r in CASES]


@pytest.mark.parametrize(("world", "runtime"), CASES, ids=IDS, indirect=["world"])
def test_mounts_and_network_in_every_world(busybox_tar, world, runtime, token_url):
    if world.name == "binder" and not shutil.which("proot"):
        pytest.skip("needs proot: apt-get install proot")
    url, token = token_url
    w = world
    shutil.copy(busybox_tar, os.path.join(w.base, "base.tar.gz"))
    os.chmod(os.path.join(w.base, "base.tar.gz"), 0o644)
    w.cli("import", "base.tar.gz", "busybox:latest")
    ctx = os.path.join(w.base, "ctx")
    os.makedirs(ctx)
    secret = f"value-{uuid.uuid4().hex}"
    with open(os.path.join(w.base, "secret"), "w") as fh:
        fh.write(secret)
    with open(os.path.join(ctx, "Dockerfile"), "w") as fh:
        fh.write(
            "FROM busybox AS tools\n"
            "RUN mkdir /out && echo from-tools > /out/f\n"
            "FROM busybox\n"
            f"RUN wget -q -O /online {url}\n"
            "RUN --mount=type=bind,from=tools,source=/out,target=/in "
            "--mount=type=secret,id=s,required "
            "cat /in/f > /seen && wc -c < /run/secrets/s > /secret-size\n"
            f"RUN --network=none wget -q -O /offline {url} || echo offline > /offline\n"
        )
    os.chmod(os.path.join(w.base, "secret"), 0o644)
    for d in (ctx,):
        os.chmod(d, 0o755)
        os.chmod(os.path.join(d, "Dockerfile"), 0o644)
    w.cli("build", "-t", "app", "--secret", f"id=s,src={w.base}/secret", ctx, runtime=runtime)
    out = w.cli("run", "--rm", "app", "cat", "/online", "/seen", "/secret-size", "/offline")
    assert out.stdout == f"{token}from-tools\n{len(secret)}\noffline\n"
    assert w.cli("run", "--rm", "app", "ls", "/run/secrets", check=False).returncode != 0
    # Build layers are stored uncompressed: the value would show in any blob that held it.
    for dirpath, _dirs, files in os.walk(w.store):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    assert secret.encode() not in fh.read(), path
