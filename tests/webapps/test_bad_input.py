"""The issue's bad input, through the CLI as a user types it: a port already in use, a malformed
`-p`, a compose file with a YAML error, an unknown service in `depends_on`, a dependency cycle,
`down` of a project that does not exist (a healthcheck that never passes: test_health.py). Each
is one message with the file and line where there is one, no traceback, and nothing is left
behind: no container, no network, no volume. The same files through `%%compose`:
tests/magics/test_compose_magic.py (CASES below).

Measured: about 10 s (root world)."""

from __future__ import annotations

import os
import socket

import pytest

from docker_magics.engine.ports import free_port
from tests.webapps.setup import import_busybox

# (id, compose file, line in the file, what the message says)
CASES = [
    ("yaml-error", "services:\n  a:\n    image: busybox\n   bad: [\n", 4, "YAML error"),
    (
        "unknown-dependency",
        "services:\n  a:\n    image: busybox\n    depends_on: [b]\n",
        4,
        "service a depends on undefined service b (services: a)",
    ),
    (
        "dependency-cycle",
        "services:\n  a:\n    image: busybox\n    depends_on: [b]\n"
        "  b:\n    image: busybox\n    depends_on: [a]\n",
        2,
        "dependency cycle: a -> b -> a",
    ),
    (
        "malformed-port",
        "services:\n  a:\n    image: busybox\n    ports: ['80:abc']\n",
        4,
        "services.a.ports.0: invalid -p '80:abc': use [IP:]HOST_PORT:CONTAINER_PORT[/tcp]",
    ),
    (
        "restart-no-unquoted",
        "services:\n  a:\n    image: busybox\n    restart: no\n",
        4,
        'services.a.restart: YAML reads no as a boolean here; write it in quotes: "no"',
    ),
    (
        "bad-duration",
        "services:\n  a:\n    image: busybox\n    healthcheck:\n      test: [CMD, 'true']\n"
        "      interval: 3x\n",
        6,
        "services.a.healthcheck.interval: invalid duration 3x",
    ),
]
IDS = [c[0] for c in CASES]


def assert_nothing_left(w) -> None:
    for what in (("ps", "-a", "-q"), ("network", "ls", "-q"), ("volume", "ls", "-q")):
        assert w.cli(*what).stdout == "", what


def one_message(proc) -> str:
    assert proc.returncode != 0 and "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("world", ["root"], indirect=True)
def test_bad_compose_files_and_ports_through_the_cli(busybox_tar, world):
    w = world
    import_busybox(w, busybox_tar)
    proj = os.path.join(w.base, "bad")
    os.makedirs(proj)
    path = os.path.join(proj, "compose.yaml")
    for _id, text, line, words in CASES:
        with open(path, "w") as fh:
            fh.write(text + "volumes:\n  data:\n")
        message = one_message(w.cli("compose", "-f", path, "up", "-d", check=False))
        assert message.startswith(f"Error: {path}:{line}: ") and words in message, message
        assert_nothing_left(w)
    gone = one_message(w.cli("compose", "-p", "nosuch", "down", check=False))
    assert gone.startswith("Error: no project named nosuch")

    # -p through run: malformed, and a port another program holds (a real listening socket).
    bad = one_message(w.cli("run", "-d", "-p", "80:abc", "busybox", "true", check=False))
    assert (
        bad
        == "Error: invalid -p '80:abc': use [IP:]HOST_PORT:CONTAINER_PORT[/tcp], e.g. -p 8080:80"
    )
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        busy = one_message(
            w.cli("run", "-d", "-p", f"{taken}:80", "busybox", "sleep", "9", check=False)
        )
        assert f"cannot publish port {taken}: it is already in use on this host" in busy
        assert_nothing_left(w)
        # In compose: the message names the service; what `up` started before goes again.
        with open(path, "w") as fh:
            fh.write(
                "services:\n  db:\n    image: busybox\n    command: sleep 30\n"
                f"  web:\n    image: busybox\n    command: sleep 30\n    depends_on: [db]\n"
                f"    ports: ['{taken}:80', '{free_port()}:81']\nvolumes:\n  data:\n"
            )
        up = w.cli("compose", "-f", path, "up", "-d", check=False)
        assert one_message(up).startswith(f"Error: service web: cannot publish port {taken}: ")
        assert_nothing_left(w)
