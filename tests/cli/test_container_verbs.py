"""Container verbs as a user runs them: `docker-magics VERB ...` in a process; output and exit
code checked. Detached containers get a short life of their own so none outlives its test."""

from __future__ import annotations

import io
import json
import re
import tarfile
import time

import pytest

TRAP = 'trap "echo got-term; exit 7" TERM; echo ready; while true; do sleep 0.1; done'


def _wait_for_log(cli, name: str, text: str) -> None:
    deadline = time.monotonic() + 20
    while text not in cli.ok("logs", name):
        assert time.monotonic() < deadline, f"{name} never printed {text!r}"
        time.sleep(0.1)


def test_run_passes_exit_code_and_streams(cli):
    script = "echo out; sleep 0.3; echo err >&2; exit 3"
    r = cli("run", "--name", "streams", "busybox", "sh", "-c", script)
    assert (r.code, r.out, r.err) == (3, "out\n", "err\n")
    # Exec failures use Docker's codes and wording: 127 for a missing program.
    r = cli("run", "--rm", "busybox", "/nonexistent")
    assert r.code == 127 and "no such file or directory" in r.err
    lines = cli.ok("ps", "-a").splitlines()
    assert lines[0].split()[:3] == ["CONTAINER", "ID", "IMAGE"]
    [row] = [line for line in lines if line.endswith(" streams")]
    assert "Exited (3)" in row and " busybox " in row
    # The log keeps the streams apart, as Docker's: stdout to stdout, stderr to stderr.
    r = cli("logs", "streams")
    assert (r.code, r.out, r.err) == (0, "out\n", "err\n")
    assert cli.ok("wait", "streams") == "3\n"
    assert cli.ok("rm", "streams") == "streams\n"
    assert "streams" not in cli.ok("ps", "-a")


def test_logs_tail_timestamps_since(cli):
    script = "for i in 1 2 3 4 5; do echo line$i; done"
    cli.ok("run", "--name", "talker", "busybox", "sh", "-c", script)
    try:
        assert cli.ok("logs", "-n", "2", "talker") == "line4\nline5\n"
        assert cli.ok("logs", "--tail", "0", "talker") == ""
        stamped = cli.ok("logs", "-t", "talker").splitlines()
        assert [line.split(" ", 1)[1] for line in stamped] == [f"line{i}" for i in range(1, 6)]
        stamp = stamped[0].split(" ")[0]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", stamp), stamp
        # --since a time after the output: nothing; a duration reaching back before it: all.
        assert cli.ok("logs", "--since", "2999-01-01T00:00:00Z", "talker") == ""
        assert cli.ok("logs", "--since", "10m", "talker").count("line") == 5
        assert cli.ok("logs", "--until", stamp, "talker") == ""
        r = cli("logs", "--since", "yesterday", "talker")
        assert r.code == 125 and r.err.startswith("Error: invalid value for --since: 'yesterday'")
        r = cli("logs", "-n", "many", "talker")
        assert r.code == 125 and "invalid value for --tail" in r.err
    finally:
        cli("rm", "-f", "talker")


def test_logs_follow_until_the_container_stops(cli):
    cli.ok(
        "run",
        "-d",
        "--name",
        "follower",
        "busybox",
        "sh",
        "-c",
        "echo first; sleep 1; echo second; sleep 1; echo last >&2",
    )
    started = time.monotonic()
    r = cli("logs", "-f", "follower", timeout=30)
    # It waited for the later lines and ended by itself when the container stopped.
    assert (r.code, r.out, r.err) == (0, "first\nsecond\n", "last\n"), r
    assert time.monotonic() - started >= 1.0
    cli.ok("rm", "follower")


def test_create_start_attach_and_wait(cli):
    cid = cli.ok("create", "--name", "made", "busybox", "sh", "-c", "echo ran; exit 4").strip()
    assert len(cid) == 64
    [row] = [line for line in cli.ok("ps", "-a").splitlines() if line.endswith(" made")]
    assert "Created" in row and row.startswith(cid[:12])
    r = cli("start", "-a", "made")
    assert (r.code, r.out) == (4, "ran\n")
    assert cli.ok("start", "made") == "made\n"  # detached: prints the name, as Docker
    assert cli.ok("wait", "made") == "4\n"
    assert cli.ok("logs", "made") == "ran\nran\n"
    assert cli.ok("rm", cid[:12]) == cid[:12] + "\n"


def test_diff_commit_export_and_cp(cli, tmp_path):
    cli("run", "--name", "changer", "busybox", "sh", "-c", "echo hi > /hi && rm /bin/vi")
    assert cli.ok("diff", "changer").splitlines() == ["C /bin", "D /bin/vi", "A /hi"]
    image = cli.ok("commit", "changer", "changed:1").strip()
    assert image.startswith("sha256:") and len(image) == 71
    script = "cat /hi; test -e /bin/vi || echo vi-gone"
    assert cli.ok("run", "--rm", "changed:1", "sh", "-c", script) == "hi\nvi-gone\n"
    fs = tmp_path / "fs.tar"
    assert cli.ok("export", "-o", str(fs), "changer") == ""
    with tarfile.open(fs) as tar:
        names = set(tar.getnames())
        assert tar.extractfile("hi").read() == b"hi\n"
    assert "bin/sh" in names and "bin/vi" not in names
    streamed = cli("export", "changer")
    with tarfile.open(fileobj=io.BytesIO(streamed.raw)) as tar:
        assert tar.extractfile("hi").read() == b"hi\n"
    assert cli.ok("cp", "changer:/hi", str(tmp_path / "out.txt")) == ""
    assert (tmp_path / "out.txt").read_text() == "hi\n"
    (tmp_path / "in.txt").write_text("copied in")
    assert cli.ok("cp", str(tmp_path / "in.txt"), "changer:/in.txt") == ""
    cli.ok("commit", "changer", "changed:2")
    assert cli.ok("run", "--rm", "changed:2", "cat", "/in.txt") == "copied in"
    r = cli("cp", "changer:/nothere", str(tmp_path / "x"))
    assert r.code == 125 and r.err.startswith("Error: ") and "/nothere" in r.err
    cli.ok("rm", "changer")
    cli.ok("rmi", "changed:1", "changed:2")


def test_detached_exec_stop(cli):
    cid = cli.ok("run", "-d", "--name", "svc", "busybox", "sh", "-c", TRAP).strip()
    assert len(cid) == 64
    _wait_for_log(cli, "svc", "ready")
    said = cli.ok("exec", "svc", "sh", "-c", "echo from-exec; hostname")
    assert said == f"from-exec\n{cid[:12]}\n"
    r = cli("exec", "svc", "sh", "-c", "exit 5")
    assert r.code == 5
    [row] = [line for line in cli.ok("ps").splitlines() if line.endswith(" svc")]
    assert "Up " in row
    assert cli.ok("stop", "-t", "5", "svc") == "svc\n"
    assert cli.ok("wait", "svc") == "7\n"  # the trap ran: SIGTERM first, as Docker
    assert cli.ok("logs", "svc") == "ready\ngot-term\n"
    assert "svc" not in cli.ok("ps")
    cli.ok("rm", "svc")


def test_kill_with_and_without_signal(cli):
    cli.ok("run", "-d", "--name", "k1", "busybox", "sh", "-c", TRAP)
    cli.ok("run", "-d", "--name", "k2", "busybox", "sh", "-c", TRAP)
    _wait_for_log(cli, "k1", "ready")
    _wait_for_log(cli, "k2", "ready")
    assert cli.ok("kill", "k1") == "k1\n"
    assert cli.ok("kill", "-s", "TERM", "k2") == "k2\n"
    assert cli.ok("wait", "k1", "k2") == "137\n7\n"  # 128 + SIGKILL; the TERM trap's own code
    assert cli.ok("logs", "k1") == "ready\n"
    r = cli("kill", "k1")
    assert (r.code, r.err) == (125, "Error: cannot kill container k1: it is not running\n")
    cli.ok("rm", "k1", "k2")


def test_kill_with_a_caught_signal_leaves_it_running(cli):
    script = 'trap "echo got-usr1" USR1; echo ready; while true; do sleep 0.1; done'
    cli.ok("run", "-d", "--name", "usr1", "busybox", "sh", "-c", script)
    _wait_for_log(cli, "usr1", "ready")
    assert cli.ok("kill", "--signal", "SIGUSR1", "usr1") == "usr1\n"
    _wait_for_log(cli, "usr1", "got-usr1")
    time.sleep(1)  # no SIGKILL follows the caught signal
    [row] = [line for line in cli.ok("ps").splitlines() if line.endswith(" usr1")]
    assert "Up " in row
    assert cli.ok("kill", "usr1") == "usr1\n"
    assert cli.ok("wait", "usr1") == "137\n"
    cli.ok("rm", "usr1")


def test_rm_force_and_running_refusal(cli):
    cli.ok("run", "-d", "--name", "busy", "busybox", "sleep", "60")
    r = cli("rm", "busy")
    assert r.code == 125 and "running" in r.err and "-f" in r.err
    assert cli.ok("rm", "-f", "busy") == "busy\n"
    assert not [line for line in cli.ok("ps", "-a").splitlines() if line.endswith(" busy")]


@pytest.mark.parametrize(
    "verb", ["rm", "logs", "stop", "kill", "wait", "start", "diff", "export", "exec"]
)
def test_unknown_container(cli, verb):
    argv = [verb, "nosuch"] + (["true"] if verb == "exec" else [])
    r = cli(*argv)
    assert (r.code, r.out, r.err) == (125, "", "Error: no such container: nosuch\n")


def test_ps_filters_and_formats(cli):
    cli.ok("run", "--name", "ok-one", "--label", "team=a", "busybox", "true")
    assert (
        cli("run", "--name", "bad-one", "--label", "team=b", "busybox", "sh", "-c", "exit 3").code
        == 3
    )
    cli.ok("run", "-d", "--name", "up-one", "busybox", "sleep", "30")
    try:
        names = cli.ok("ps", "-a", "--format", "{{.Names}} {{.State}}").splitlines()
        assert names[:3] == ["up-one running", "bad-one exited", "ok-one exited"]
        # A status filter looks at stopped containers without -a, as Docker's does.
        assert cli.ok("ps", "--filter", "status=exited", "--format", "{{.Names}}").split() == [
            "bad-one",
            "ok-one",
        ]
        assert cli.ok("ps", "-f", "exited=3", "--format", "{{.Names}}") == "bad-one\n"
        assert cli.ok("ps", "-a", "-f", "label=team=a", "--format", "{{.Names}}") == "ok-one\n"
        assert cli.ok("ps", "-a", "-f", "name=-one", "-f", "status=running", "-q") == (
            cli.ok("ps", "-q")
        )
        assert cli.ok("ps", "-l", "--format", "{{.Names}}") == "up-one\n"
        assert cli.ok("ps", "-n", "2", "--format", "{{.Names}}").split() == ["up-one", "bad-one"]
        table = cli.ok("ps", "--format", "table {{.Names}}\\t{{.Status}}").splitlines()
        assert table[0].split() == ["NAMES", "STATUS"] and table[1].startswith("up-one")
        row = json.loads(cli.ok("ps", "--format", "json"))
        assert row["Names"] == "up-one" and row["State"] == "running"
        r = cli("ps", "-f", "colour=red")
        assert r.code == 125 and r.err.startswith('Error: invalid filter "colour=red"'), r
        r = cli("ps", "-f", "status=sleeping")
        assert r.code == 125 and "the states are created, restarting, running" in r.err, r
    finally:
        cli("rm", "-f", "ok-one", "bad-one", "up-one")


def test_env_file_labels_and_hostname(cli, tmp_path):
    env = tmp_path / "app.env"
    env.write_text("# settings\nGREETING=hello world\nEMPTY=\nQUOTED='kept as is'\n")
    script = 'echo "$GREETING|$EMPTY|$QUOTED|$OVERRIDE"; hostname'
    out = cli.ok(
        "run",
        "--rm",
        "--env-file",
        str(env),
        "-e",
        "OVERRIDE=yes",
        "--hostname",
        "web1",
        "busybox",
        "sh",
        "-c",
        script,
    )
    assert out == "hello world||'kept as is'|yes\nweb1\n"
    cli.ok("create", "--name", "labelled", "-l", "tier=front", "--label", "bare", "busybox", "true")
    labels = json.loads(cli.ok("inspect", "labelled"))[0]["Config"]["Labels"]
    assert labels == {"tier": "front", "bare": ""}
    cli.ok("rm", "labelled")
    env.write_text("GOOD=1\nBAD NAME=2\n")
    r = cli("run", "--rm", "--env-file", str(env), "busybox", "true")
    assert (r.code, r.err) == (
        125,
        f"Error: {env}:2: variable 'BAD NAME' contains whitespaces or is empty (write KEY=VALUE)\n",
    )
    r = cli("run", "--rm", "--env-file", str(tmp_path / "missing.env"), "busybox", "true")
    assert r.code == 125 and "missing.env: No such file or directory" in r.err, r
