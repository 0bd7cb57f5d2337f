"""A relative ``RUN --mount`` target is below the working directory, for every mount type, as
BuildKit joins it with the state's dir (issue 16 item 2: ``docker init``'s Python and Node
Dockerfiles bind ``requirements.txt``/``package.json`` with ``target=`` relative to ``/app``).
"""

from __future__ import annotations

import pytest
from capture import run_sh

from docker_magics.errors import DockerfileError

DOCKERFILE = """\
FROM busybox
WORKDIR /app
RUN --mount=type=bind,source=requirements.txt,target=requirements.txt \\
    cat requirements.txt > /seen-bind
RUN --mount=type=cache,target=.cache echo cached > .cache/f
RUN --mount=type=cache,target=.cache cat /app/.cache/f > /seen-cache
RUN --mount=type=secret,id=tok,target=token.txt cat /app/token.txt > /seen-secret
RUN --mount=type=tmpfs,target=scratch echo t > /app/scratch/x && cat scratch/x > /seen-tmpfs
"""


def test_relative_targets_join_the_workdir(engine, base_image, ctx, runtime, tmp_path):
    ctx.write("requirements.txt", "flask==3.0\n")
    ctx.dockerfile(DOCKERFILE)
    secret = tmp_path / "token"
    secret.write_text("s3cret\n")
    engine.build(ctx.root, tags=["app"], secrets=[f"id=tok,src={secret}"])
    code, out = run_sh(
        engine, "app", "cat /seen-bind /seen-cache /seen-secret /seen-tmpfs; ls -A /app"
    )
    assert code == 0, out
    # Nothing a mount showed stays in the image, and nothing went to the root.
    assert out == "flask==3.0\ncached\ns3cret\nt\n", out
    code, out = run_sh(engine, "app", "ls /requirements.txt /token.txt /scratch /.cache")
    assert code != 0 and out.count("No such file") == 4, out


def test_mount_target_of_the_root_is_refused(engine, base_image, ctx):
    ctx.dockerfile("FROM busybox\nRUN --mount=type=tmpfs,target=. true\n")
    with pytest.raises(DockerfileError) as info:
        engine.build(ctx.root, tags=["bad"])
    assert str(info.value).startswith('Dockerfile:2: invalid mount target "."'), str(info.value)
