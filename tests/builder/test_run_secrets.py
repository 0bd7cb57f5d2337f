"""Build secrets: seen by the RUN that mounts them, and nowhere else, ever.

"Nowhere" is checked the hard way: after the build, no file anywhere in the store (blobs,
snapshots, records, cache) contains the secret's bytes. Each test runs with the probed backend
and with PRoot.
"""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest

from docker_magics.errors import DockerfileError, UsageError

from ..capture import run_sh


def _store_files_containing(root: str, needle: bytes) -> list[str]:
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as fh:
                if needle in fh.read():
                    found.append(path)
    return found


CHECK = (
    # The build arg is the value's hash: build args are recorded, the value must not be.
    'RUN --mount=type=secret,id=tok [ "$(sha256sum < /run/secrets/tok)" = "$EXPECTED  -" ] '
    "&& stat -c %a /run/secrets/tok > /mode && echo ok > /ok\n"
)


def test_secret_reaches_the_step_and_nothing_else(runtime, engine, base_image, ctx, tmp_path):
    value = f"s3cr3t-{uuid.uuid4().hex}"
    secret_file = tmp_path / "token"
    secret_file.write_text(value)
    ctx.dockerfile(f"FROM busybox\nARG EXPECTED\n{CHECK}")
    spec = f"id=tok,src={secret_file}"
    digest = hashlib.sha256(value.encode()).hexdigest()
    result = engine.build(ctx.root, tags=["s"], secrets=[spec], build_args={"EXPECTED": digest})
    assert run_sh(engine, "s", "cat /ok /mode; ls /run/secrets 2>&1") == (
        1,
        "ok\n400\nls: /run/secrets: No such file or directory\n",
    )
    assert _store_files_containing(engine.store.root, value.encode()) == [], "secret leaked"
    assert value not in str(result.image.config)
    # A new value does not miss the cache (as BuildKit: secrets are not in the key) ...
    secret_file.write_text(value + "-rotated")
    again = engine.build(ctx.root, tags=["s"], secrets=[spec], build_args={"EXPECTED": digest})
    assert again.steps[-1]["cached"]
    assert secret_file.read_text() == value + "-rotated"


def test_env_secret_custom_target_and_a_step_that_writes(
    runtime, engine, base_image, ctx, tmp_path, monkeypatch
):
    monkeypatch.setenv("MY_TOKEN", "from-the-env")
    ctx.dockerfile(
        "FROM busybox\n"
        "RUN --mount=type=secret,id=tok,target=/etc/tok,mode=0444 cat /etc/tok > /seen\n"
        "RUN --mount=type=secret,id=tok (echo overwritten > /run/secrets/tok) 2>/dev/null; true\n"
    )
    engine.build(ctx.root, tags=["e"], secrets=["id=tok,env=MY_TOKEN"])
    assert run_sh(engine, "e", "cat /seen; ls /etc/tok 2>&1") == (
        1,
        "from-the-envls: /etc/tok: No such file or directory\n",
    )


def test_missing_secrets(runtime, engine, base_image, ctx):
    ctx.dockerfile(
        "FROM busybox\nRUN --mount=type=secret,id=absent ls /run/secrets > /l 2>&1; true\n"
    )
    engine.build(ctx.root, tags=["m"])  # optional: the step runs without it
    ctx.dockerfile(
        "FROM busybox\nRUN --mount=type=secret,id=absent,required cat /run/secrets/absent\n"
    )
    with pytest.raises(DockerfileError, match="--secret id=absent") as err:
        engine.build(ctx.root, tags=["m"])
    assert err.value.line == 2
    with pytest.raises(UsageError, match="cannot read"):
        engine.build(ctx.root, tags=["m"], secrets=["id=absent,src=/nonexistent/file"])
    with pytest.raises(UsageError, match="expected id=ID"):
        engine.build(ctx.root, secrets=["tok"])


def test_cli_secret(capsys, engine, base_image, ctx, tmp_path):
    from docker_magics.cli.main import main

    (tmp_path / "tok").write_text("cli-value")
    ctx.dockerfile(
        'FROM busybox\nRUN --mount=type=secret,id=tok [ "$(cat /run/secrets/tok)" = cli-value ]\n'
    )
    root = ["--root", engine.store.root]
    assert main([*root, "build", "--secret", f"id=tok,src={tmp_path / 'tok'}", ctx.root]) == 0
    assert main([*root, "build", "--no-cache", "--secret", "id=tok,env=NOPE_NOT_SET", ctx.root])
    assert "NOPE_NOT_SET is not set" in capsys.readouterr().err
