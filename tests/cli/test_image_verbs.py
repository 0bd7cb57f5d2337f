"""Image verbs as a user runs them: `docker-magics VERB ...` in a process; output and exit code."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import tarfile

import pytest


def test_images_tag_and_rmi(cli):
    image_id = json.loads(cli.ok("inspect", "busybox"))[0]["Id"]
    short = image_id[7:19]
    assert cli.ok("tag", "busybox", "other:1") == ""
    lines = cli.ok("images").splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    rows = sorted(line.split()[:3] for line in lines[1:])
    assert rows == [["busybox", "latest", short], ["other", "1", short]]
    assert cli.ok("images", "-q").split() == [short]  # one image under two names
    assert cli.ok("rmi", "other:1") == "Untagged: other:1\n"
    assert "other" not in cli.ok("images")


def test_inspect_and_history(cli):
    [image] = json.loads(cli.ok("inspect", "busybox"))
    assert image["RepoTags"] == ["busybox:latest"]
    assert image["RootFS"]["Type"] == "layers" and len(image["RootFS"]["Layers"]) == 1
    assert (image["Os"], image["Architecture"]) == ("linux", "amd64")
    head, row = cli.ok("history", "busybox").splitlines()
    assert head.split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    cells = re.split(r"\s{3,}", row.strip())
    assert cells[0] == image["Id"][7:19] and cells[2] == "Imported from busybox.tar.gz", cells
    assert re.fullmatch(r"\d+(\.\d+)?[kMG]?B", cells[3]), cells


def test_save_load_round_trip(cli, tmp_path):
    cli.ok("run", "--name", "saver", "busybox", "sh", "-c", "echo saved > /saved")
    assert cli.ok("commit", "saver", "saved:1").startswith("sha256:")
    out = tmp_path / "saved.tar"
    assert cli.ok("save", "-o", str(out), "saved:1") == ""
    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == ["saved:1"] and len(manifest[0]["Layers"]) == 2
    removed = cli.ok("rmi", "saved:1").splitlines()
    assert removed[0] == "Untagged: saved:1" and removed[1].startswith("Deleted: sha256:")
    assert cli.ok("load", "-i", str(out)) == "Loaded image: saved:1\n"
    assert cli.ok("run", "--rm", "saved:1", "cat", "/saved") == "saved\n"
    again = tmp_path / "again.tar"
    cli.ok("save", "-o", str(again), "saved:1")
    assert again.read_bytes() == out.read_bytes()  # the archive is reproducible
    cli.ok("rm", "saver")
    cli.ok("rmi", "saved:1")


def test_save_to_stdout_and_load_from_stdin(cli, tmp_path):
    """`save IMAGE > FILE` and `load < FILE`, as the Docker docs show them first."""
    cli.ok("tag", "busybox:latest", "piped:1")
    r = cli("save", "piped:1")
    assert (r.code, r.err) == (0, ""), r
    with tarfile.open(fileobj=io.BytesIO(r.raw)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == ["piped:1"]
    cli.ok("rmi", "piped:1")
    assert cli.ok("load", stdin=r.raw) == "Loaded image: piped:1\n"
    assert cli.ok("run", "--rm", "piped:1", "echo", "back") == "back\n"
    cli.ok("rmi", "piped:1")
    # Nothing of the copy of stdin stays in the store.
    assert not [n for n in os.listdir(os.path.join(cli.root, "tmp")) if n.startswith("load-")]


def test_load_from_empty_or_bad_stdin(cli):
    r = cli("load", stdin=b"")
    assert (r.code, r.out) == (125, "")
    assert r.err == "Error: requested load from stdin, but stdin is empty\n"
    r = cli("load", stdin=b"not a tar archive at all" * 100)
    assert r.code == 125 and r.err.startswith("Error: standard input: not an image archive"), r


def test_save_refuses_a_terminal(cli):
    """A tar archive is never written onto a terminal (Docker's words)."""
    main, tty = pty.openpty()
    try:
        proc = subprocess.run(
            cli.argv("save", "busybox:latest"),
            stdout=tty,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(tty)
        os.close(main)
    assert proc.returncode == 125
    assert proc.stderr.decode() == (
        "Error: cowardly refusing to save to a terminal. Use the -o flag or redirect\n"
    )


def test_import_names_the_image(cli, tmp_path, busybox_tar):
    out = cli.ok("import", busybox_tar, "imported:v2")
    assert out.strip()[7:19] in cli.ok("images", "-q").split()
    assert "imported     v2" in cli.ok("images")
    untagged, deleted = cli.ok("rmi", "imported:v2").splitlines()
    assert (untagged, deleted) == ("Untagged: imported:v2", "Deleted: " + out.strip())


def test_build_and_run(cli, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "greeting").write_text("hello from COPY\n")
    (ctx / "Dockerfile").write_text(
        'FROM busybox\nCOPY greeting /g\nRUN cat /g > /copy\nCMD ["cat", "/copy"]\n'
    )
    built = cli("build", "-t", "built:1", str(ctx))
    assert built.code == 0, built.err
    assert cli.ok("run", "--rm", "built:1") == "hello from COPY\n"
    again = cli("build", "-t", "built:1", str(ctx))
    assert again.code == 0 and "CACHED" in again.out + again.err
    cli.ok("rmi", "built:1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rmi", "nosuch"], "Error: no such image: nosuch:latest\n"),
        (["inspect", "nosuch"],
         "Error: no such object: nosuch (neither an image nor a container)\n"),
        (["history", "nosuch"], "Error: no such image: nosuch (list images with `images`; "
         "import a root filesystem with `import FILE NAME`)\n"),
        (["load", "-i", "/nonexistent"],
         "Error: /nonexistent: cannot read the image archive (No such file or directory)\n"),
    ],
)  # fmt: skip
def test_missing_things_are_one_line_and_125(cli, argv, message):
    r = cli(*argv)
    assert (r.code, r.out, r.err) == (125, "", message)
