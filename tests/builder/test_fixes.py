"""COPY --exclude, ``#!`` RUN heredocs and --no-cache-filter, as BuildKit does them."""

from __future__ import annotations

from .conftest import steps_by_instruction
from .test_instructions import _files, _sh


def test_copy_exclude_filters_below_each_source(engine, base_image, ctx):
    # The cases of BuildKit's testExcludedFilesOnCopy (dockerfile_excludepatterns_test.go).
    for name in (
        "dir1/file-101.png",
        "dir1/file-102.txt",
        "dir1/file-103.jpeg",
        "dir2/file-201.pdf",
        "dir2/file-202.jpeg",
        "dir2/file-203.png",
        "dir3/file-301.mp3",
        "dir3/file-302.mpeg",
        "dir3/sub/deep.mp3",
    ):
        ctx.write(name, name)
    ctx.dockerfile(
        "FROM busybox\n"
        "COPY --exclude=*/*.png --exclude=*/*.jpeg . /1\n"
        "ADD --exclude=*.mp3 dir3/ /3/\n"
        "COPY --exclude=*.mp3 --exclude=*.jpeg --exclude=*.png --exclude=*.pdf "
        "--exclude=*.txt dir* /4/\n"
        "COPY --exclude=sub dir3 /5/\n"
        "COPY --exclude=* dir* /6\n"
        "FROM busybox\n"
        "COPY --from=0 / /\n"
        "COPY --from=0 --exclude=*.mpeg /3 /7\n"
    )
    engine.build(ctx.root, tags=["x"])
    files = set(_files(engine, "x"))
    assert {"1/dir1/file-102.txt", "1/dir2/file-201.pdf", "1/dir3/file-301.mp3"} <= files
    assert not {"1/dir1/file-101.png", "1/dir1/file-103.jpeg", "1/dir2/file-203.png"} & files
    assert "1/Dockerfile" in files
    assert {"3/file-302.mpeg", "3/sub"} <= files and "3/file-301.mp3" not in files
    assert "3/sub/deep.mp3" in files  # "*.mp3" is anchored: it does not reach into sub/
    assert {p for p in files if p.startswith("4/")} == {
        "4/file-302.mpeg",
        "4/sub",
        "4/sub/deep.mp3",
    }
    assert "5/file-301.mp3" in files and not any(p.startswith("5/sub") for p in files)
    assert "6" in files and not any(p.startswith("6/") for p in files)
    assert "7/sub/deep.mp3" in files and "7/file-302.mpeg" not in files

    # An excluded file never reaches the key: changing it keeps the step cached.
    ctx.write("dir1/file-101.png", "changed")
    steps = steps_by_instruction(engine.build(ctx.root, tags=["x"]))
    assert steps["COPY --exclude=*/*.png --exclude=*/*.jpeg . /1"]["cached"]
    ctx.write("dir1/file-102.txt", "changed")
    steps = steps_by_instruction(engine.build(ctx.root, tags=["x"]))
    assert not steps["COPY --exclude=*/*.png --exclude=*/*.jpeg . /1"]["cached"]


def test_run_heredoc_with_shebang_runs_as_a_file(engine, base_image, ctx):
    ctx.dockerfile(
        "FROM busybox\n"
        'SHELL ["/bin/false"]\n'  # a shebang script does not go through SHELL
        "RUN <<EOF\n"
        "#!/bin/sh -e\n"
        'echo "$0" > /script-name\n'
        'ls -l "$0" | cut -c1-10 > /script-mode\n'
        "EOF\n"
        "RUN <<-EOF\n"
        "\t#!/bin/sh\n"
        "\techo tabs > /chomped\n"
        "\tEOF\n"
    )
    result = engine.build(ctx.root, tags=["h"])
    assert _sh(engine, "h", "cat /script-name /script-mode /chomped") == (
        "/dev/pipes/EOF\n-rwxr-xr-x\ntabs\n"
    )
    files = _files(engine, "h")
    assert not any(p.startswith("dev") for p in files)
    run = result.image.config["history"][-2]["created_by"]
    assert run.startswith("RUN /dev/pipes/EOF")

    # The script's content is in the key.
    ctx.dockerfile(
        "FROM busybox\n"
        'SHELL ["/bin/false"]\n'
        "RUN <<EOF\n"
        "#!/bin/sh -e\n"
        'echo "$0" > /script-name2\n'
        "EOF\n"
    )
    steps = engine.build(ctx.root, tags=["h"]).steps
    assert not steps[-1]["cached"]


def test_no_cache_filter_invalidates_what_depends_on_the_stage(engine, base_image, ctx):
    ctx.dockerfile(
        "FROM busybox AS a\n"
        "RUN cat /proc/sys/kernel/random/uuid > /x\n"
        "FROM a AS b\n"
        "RUN cat /x > /y\n"
        "FROM busybox\n"
        "COPY --from=a /x /ax\n"
        "COPY --from=b /y /by\n"
        "RUN cat /ax /by > /both\n"
    )
    engine.build(ctx.root, tags=["n"])
    first = _sh(engine, "n", "cat /both")
    result = engine.build(ctx.root, tags=["n"], no_cache_filter=["a"])
    steps = steps_by_instruction(result)
    assert not steps["RUN cat /proc/sys/kernel/random/uuid > /x"]["cached"]
    assert not steps["RUN cat /x > /y"]["cached"]
    assert not steps["COPY --from=a /x /ax"]["cached"]
    # Keyed by the copied file's content (BuildKit): the reason names it.
    reason = steps["COPY --from=a /x /ax"]["reason"]["summary"]
    assert reason == "files from stage a changed: /x (content)", reason
    assert not steps["RUN cat /ax /by > /both"]["cached"]
    second = _sh(engine, "n", "cat /both")
    assert second != first
    a, b = second.split()
    assert a == b  # b and the final stage see the rebuilt /x, never the old one
    # A normal build afterwards reuses the rebuilt results, all consistent.
    again = engine.build(ctx.root, tags=["n"])
    assert all(s["cached"] for s in again.steps)
    assert _sh(engine, "n", "cat /both") == second


def test_parent_changed_names_the_root_cause(engine, base_image, ctx):
    ctx.write("package.json", "{}\n")
    ctx.write("index.js", "1\n")
    ctx.dockerfile("FROM busybox\nCOPY . /src/\nWORKDIR /src\nRUN ls > /list\n")
    engine.build(ctx.root, tags=["p"])
    ctx.write("index.js", "2\n")
    steps = steps_by_instruction(engine.build(ctx.root, tags=["p"]))
    workdir, run = steps["WORKDIR /src"]["reason"], steps["RUN ls > /list"]["reason"]
    assert workdir["summary"] == (
        "parent step changed (line 2: COPY . /src/): context files changed: index.js (content)"
    )
    assert run["kind"] == "parent changed"
    assert run["cause"] == {
        "step": "line 2: COPY . /src/",
        "summary": "context files changed: index.js (content)",
    }
    assert run["summary"] == (
        "parent step changed (line 3: WORKDIR /src), after line 2: COPY . /src/: "
        "context files changed: index.js (content)"
    )


def test_found_by_the_buildah_differential(engine, base_image, ctx):
    """Each of these differed from buildah (and BuildKit) before."""
    ctx.write("dir/x", "x")
    ctx.dockerfile(
        "FROM busybox AS a\n"
        "ENV abc=bye def=$abc\n"
        "ENV abc=hello\n"  # keeps its place in Env
        "COPY --chmod=700 dir /dir700/\n"  # the created destination is 0755, its contents 0700
        "FROM scratch\n"
        "COPY --from=a /dir700 /d\n"
    )
    result = engine.build(ctx.root, tags=["f"], target="a")
    env = result.image.config["config"]["Env"]
    assert env[-2:] == ["abc=hello", "def="]
    files = _files(engine, "f")
    assert files["dir700"].mode == 0o755 and files["dir700/x"].mode == 0o700
    scratch = engine.build(ctx.root, tags=["s"]).image.config["config"]
    assert scratch["Env"] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    assert scratch["WorkingDir"] == "/"
