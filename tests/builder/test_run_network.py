"""``RUN --network=none`` is enforced: a server on the host's 127.0.0.1 is out of reach.

The same Dockerfile's plain ``RUN`` reaches the server (so the step is not merely broken), and
the two steps have different cache keys. Run with the default backend and with PRoot, whose
enforcement is a seccomp filter instead of a network namespace.
"""

from __future__ import annotations

import pytest

from docker_magics.errors import BuildError

from ..capture import run_output

# What busybox wget says offline: a network namespace has only a loopback with nothing listening;
# PRoot's seccomp filter refuses the socket itself.
_OFFLINE = {
    "default": "wget: can't connect to remote host (127.0.0.1): Connection refused\n",
    "proot": "wget: socket: Permission denied\n",
}


def test_network_none_is_enforced(runtime, engine, base_image, ctx, token_url):
    url, token = token_url
    ctx.dockerfile(f"FROM {base_image}\nRUN wget -q -O /fetched {url}\n")
    host = engine.build(ctx.root, tags=["net:host"])
    assert run_output(engine, "net:host", ["cat", "/fetched"]) == (0, token)
    ctx.dockerfile(f"FROM {base_image}\nRUN --network=none wget -q -O /fetched {url}\n")
    with pytest.raises(BuildError) as err:
        engine.build(ctx.root, tags=["net:none"])
    assert err.value.line == 2 and "ran with --network=none" in str(err.value)
    tail = err.value.output_tail.lower()
    assert "refused" in tail or "permission denied" in tail, tail
    with pytest.raises(Exception, match="net:none"):
        engine.image("net:none")
    # A step that needs no network passes, and its key differs from the plain RUN's.
    ctx.dockerfile(f"FROM {base_image}\nRUN --network=none wget -q -O /fetched {url} || true\n")
    none = engine.build(ctx.root, tags=["net:none"])
    assert none.steps[-1]["cache_key"] != host.steps[-1]["cache_key"]
    assert not none.steps[-1]["cached"]


def test_run_network_none_from_the_api(runtime, engine, base_image, token_url):
    url, token = token_url
    code, out = run_output(engine, base_image, ["wget", "-q", "-O", "-", url])
    assert (code, out) == (0, token)
    chunks: list[bytes] = []
    code = engine.run(
        base_image,
        ["wget", "-q", "-O", "-", url],
        out=chunks.append,
        err=chunks.append,
        network="none",
        remove=True,
    )
    said = b"".join(chunks).decode()
    assert code == 1 and token not in said, said
    assert said == _OFFLINE[runtime]


def test_detached_container_and_exec_stay_offline(runtime, engine, base_image, token_url):
    """`run -d --network none`, then `exec`: the exec'd process joins the container's network."""
    from docker_magics.api import RunOptions

    url, token = token_url
    c = engine.run_detached(
        RunOptions(image=base_image, name="off", command=["sleep", "60"], network="none")
    )
    try:
        assert engine.inspect("off")["HostConfig"]["NetworkMode"] == "none"
        chunks: list[bytes] = []
        argv = ["wget", "-q", "-O", "-", url]
        code = engine.exec("off", argv, out=chunks.append, err=chunks.append)
        said = b"".join(chunks).decode()
        assert code == 1 and token not in said, said
        assert said == _OFFLINE[runtime]
    finally:
        engine.rm(c.id, force=True)


def test_cli_network_flag(runtime, capsys, engine, base_image, token_url):
    from docker_magics.cli.main import main

    url, token = token_url
    root = ["--root", engine.store.root]
    argv = ["wget", "-q", "-O", "-", url]
    code = main([*root, "run", "--rm", "--network", "none", base_image, *argv])
    out = capsys.readouterr()
    assert code == 1 and token not in out.out
    assert out.err == _OFFLINE[runtime]
    assert main([*root, "run", "--rm", "--net=host", base_image, "wget", "-O", "-", url]) == 0
    assert capsys.readouterr().out == token
    assert main([*root, "run", "--network", "bridge", base_image, "true"]) == 125
    err = capsys.readouterr().err
    assert "bridge" in err and "--network none" in err
