"""Bad command lines: exit 125, Docker's wording where Docker has one, and the verb's --help named.
Also the verbs with no store to change: info, system check/prune, the views, --help."""

from __future__ import annotations

import pytest

USAGE = [
    (["run", "--bogus", "busybox"], "unknown flag: --bogus", "run"),
    (["--bogus"], "unknown flag: --bogus", None),
    (["kill", "-x", "c"], "unknown flag: -x", "kill"),
    (["rm"], '"docker-magics rm" requires at least 1 argument.', "rm"),
    (["run"], '"docker-magics run" requires at least 1 argument.', "run"),
    (["tag", "busybox"], '"docker-magics tag" requires exactly 2 arguments.', "tag"),
    (["cp", "a"], '"docker-magics cp" requires exactly 2 arguments.', "cp"),
    (["save"], '"docker-magics save" requires at least 1 argument.', "save"),
    (["stop", "-t"], "flag needs an argument: --time", "stop"),
    (["image", "lsx"], "docker-magics image: 'lsx' is not a docker-magics image command. Known: "
     "ls, list, history, inspect, rm, remove, tag, pull, push, save, load, import, prune.",
     "image"),
    (["kill", "-s", "FOO", "c"], "docker-magics kill: argument -s/--signal: invalid signal: FOO",
     "kill"),
    (["run", "--network", "bridge", "busybox", "true"], None, None),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "first", "verb"), USAGE, ids=lambda v: " ".join(v) if v else "")
def test_usage_errors_exit_125(cli, argv, first, verb):
    r = cli(*argv)
    assert (r.code, r.out) == (125, "")
    if first is None:  # an engine-side refusal: one line, naming what to use instead
        assert r.err.startswith("Error: ") and r.err.count("\n") == 1 and "none" in r.err
        return
    help_of = f"docker-magics {verb}" if verb else "docker-magics"
    assert r.err == f"{first}\nSee '{help_of} --help'.\n"


def test_unknown_verb_lists_the_known_ones(cli):
    r = cli("frobnicate")
    assert (r.code, r.out) == (125, "")
    first, see = r.err.splitlines()
    assert first.startswith("docker-magics: 'frobnicate' is not a docker-magics command. Known: ")
    assert " run, " in first and see == "See 'docker-magics --help'."


def test_help_lists_every_verb(cli):
    out = cli.ok("--help")
    for verb in ("run", "create", "start", "exec", "ps", "rm", "logs", "stop", "kill", "wait",
                 "export", "cp", "commit", "diff", "images", "tag", "rmi", "inspect", "history",
                 "save", "load", "import", "build", "pull", "push", "login", "logout", "info",
                 "system", "graph", "layers", "cachediff", "bootstrap"):  # fmt: skip
        assert f"\n    {verb} " in out, verb
    run_help = cli.ok("run", "--help")
    assert run_help.startswith("usage: docker-magics run ") and "--network" in run_help


def test_info_and_system(cli):
    info = cli.ok("info")
    assert f"Store:       {cli.root}\n" in info
    assert "Runtime:     " in info and "Backends:" in info and "proot" in info
    check = cli.ok("system", "check")
    assert check.startswith("checked ") and check.rstrip().endswith(": OK")
    prune = cli.ok("system", "prune").splitlines()
    assert prune[0].startswith("Deleted ") and prune[-1].startswith("Total reclaimed space: ")


def test_views(cli, tmp_path):
    assert "image busybox:latest" in cli.ok("graph")
    assert cli.ok("graph", "-o", str(tmp_path / "g.dot")) == f"wrote {tmp_path}/g.dot\n"
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    layers = cli.ok("layers", "busybox")
    assert "efficiency 100.0%" in layers and "A /bin/busybox" in layers
    r = cli("cachediff")
    assert (r.code, r.out) == (125, "") and "no build records" in r.err
