"""``--network none``: a server on the host's 127.0.0.1 is unreachable, in every backend.

The namespace backends give the container its own network namespace with ``lo`` up (a server
inside the container on 127.0.0.1 answers, as with Docker's ``none``); PRoot cannot make a
namespace and refuses IP sockets through seccomp instead, so loopback is refused there too.
Each case first checks that the same request succeeds with the host's network, so a
container that cannot reach anything at all would not pass for isolation.
"""

from __future__ import annotations

import pytest
from rt_helpers import run_capture

from docker_magics.runtime.network import check_mode


def _fetch(url: str) -> tuple[str, ...]:
    return ("wget", "-q", "-O", "-", url)  # no -T: busybox 1.35 wget -T crashes on this kernel


def test_host_network_reaches_the_host(backend, layout, token_url):
    url, token = token_url
    code, out, err = run_capture(backend, layout.spec, *_fetch(url))
    assert (code, out) == (0, token), err


def test_none_cannot_reach_the_host(backend, layout, token_url):
    url, token = token_url
    code, out, err = run_capture(backend, layout.spec, *_fetch(url), network="none")
    assert code != 0 and token not in out
    if backend.name == "proot":
        assert "Permission denied" in err  # socket() refused by the seccomp filter
    else:
        assert "refused" in err.lower()  # the namespace's own lo has nothing listening


def test_none_has_only_an_up_loopback(backend, layout):
    if backend.name == "proot":
        pytest.skip("PRoot has no network namespace: the host's interfaces stay visible")
    code, out, err = run_capture(backend, layout.spec, "ls", "/sys/class/net", network="none")
    assert (code, out.split()) == (0, ["lo"]), err
    code, out, err = run_capture(backend, layout.spec, "ip", "-o", "link", "show", network="none")
    assert code == 0 and len(out.splitlines()) == 1 and "UP" in out.split("<")[1], out + err


def test_none_serves_on_its_own_loopback(backend, layout):
    """A server and a client inside one container talk over 127.0.0.1 (namespaces only)."""
    script = (
        "mkdir -p /www && echo inside > /www/index.html && "
        "httpd -p 127.0.0.1:8080 -h /www && sleep 0.3 && "
        "wget -q -O - http://127.0.0.1:8080/index.html"
    )
    code, out, err = run_capture(backend, layout.spec, "sh", "-c", script, network="none")
    if backend.name == "proot":
        assert code != 0 and "Permission denied" in err
    else:
        assert (code, out) == (0, "inside\n"), err


def test_modes():
    assert check_mode("none") == "none"
    assert check_mode("default") == "host"
    with pytest.raises(ValueError, match="bridge.*daemon"):
        check_mode("bridge")
    with pytest.raises(ValueError, match="host .*or none"):
        check_mode("container:web")


@pytest.mark.slow
@pytest.mark.parametrize("world", ["userns", "nouserns", "binder", "binder-k3s"])
def test_unprivileged_worlds(world, run_in_world, make_layout, token_url):
    """As uid 65534, with user namespaces and without them (PRoot); in the Binder pods (PRoot)."""
    url, token = token_url
    layout = make_layout(overlay=False, owner=1000 if world.startswith("binder") else 65534)
    snippet = f"""
import tempfile
from docker_magics.runtime import ProcessSpec, RootfsSpec, select
backend = select()
def fetch(network):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = ProcessSpec(argv=("wget", "-q", "-O", "-", {url!r}), network=network)
        code = backend.run(RootfsSpec(directory={str(layout.directory)!r}), proc,
                           stdout=out.fileno(), stderr=err.fileno())
        out.seek(0); err.seek(0)
        return [code, out.read().decode(), err.read().decode()]
result = dict(backend=backend.name, host=fetch("host"), none=fetch("none"))
"""
    result = run_in_world(snippet, world)
    expected = "userns" if world == "userns" else "proot"
    assert result["backend"] == expected, f"the {world} world chose {result['backend']}"
    assert result["host"][:2] == [0, token], result
    code, out, err = result["none"]
    assert code != 0 and token not in out, result
