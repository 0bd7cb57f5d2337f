"""Issue 16 items 4 and 6: `docker-magics build` output a person can read.

RUN output by lines (a pause mid-line and carriage-return progress bars included), BuildKit's
plain progress (metadata instructions are no steps, each step's lines together) and miss
reasons in words: the build argument that changed, the stage a step builds on, the mounted
file, the build a failed step last reached.
"""

from __future__ import annotations

import re
import time

from docker_magics.builder.lines import LineBuffer, resolve_returns
from docker_magics.cli.main import main


def _build(root: str, context: str, capsys, *extra: str) -> tuple[int, str]:
    code = main(["--root", root, "build", *extra, context])
    return code, capsys.readouterr().err


def _blocks(err: str) -> dict[str, list[str]]:
    """Plain progress split into vertex blocks: "#N" -> its lines, in the order printed."""
    out: dict[str, list[str]] = {}
    for line in err.splitlines():
        m = re.match(r"#(\d+) (.*)", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


def test_line_buffer_joins_a_paused_line_and_keeps_a_bars_last_state():
    got: list[tuple[str, bool]] = []
    buf = LineBuffer(lambda text, partial: got.append((text, partial)), idle=0.05)
    buf.feed("abc")
    time.sleep(0.3)  # idle: the unfinished line is passed on as it stands, once
    buf.feed("def\n\r 10%")
    buf.feed("\r 50%\r100%\nlast")
    buf.close()
    assert got == [("abc", True), ("abcdef\n", False), ("100%\n", False), ("last\n", False)]
    assert resolve_returns("hello\rHE") == "HEllo"  # as a terminal shows it
    assert resolve_returns("long text\r\x1b[Kshort") == "short"  # erase-line clears the rest


def test_run_output_by_lines_and_metadata_is_no_step(engine, base_image, ctx, capsys):
    root = engine.store.root
    ctx.dockerfile(
        "FROM busybox\n"
        "ARG X=1\n"
        "ENV Y $X\n"
        "EXPOSE 80\n"
        "RUN printf abc; sleep 1; printf 'def\\n'; printf '\\r 10%%'; sleep 0.1;"
        " printf '\\r 60%%'; printf '\\r100%%\\n'\n"
        "RUN echo y=$Y\n"
        'CMD ["sh"]\n'
    )
    code, err = _build(root, ctx.root, capsys)
    assert code == 0, err
    blocks = _blocks(err)
    # BuildKit's vertices only: FROM and the two RUNs, counted [1/3]..[3/3].
    heads = [lines[0] for lines in blocks.values()]
    assert heads[:3] == [
        "[1/3] FROM busybox",
        "[2/3] RUN printf abc; sleep 1; printf 'def\\n'; printf '\\r 10%%'; sleep 0.1;"
        " printf '\\r 60%%'; printf '\\r100%%\\n'",
        "[3/3] RUN echo y=$Y",
    ]
    assert not re.search(r"ARG|ENV|EXPOSE|CMD", "\n".join(heads[:3]))
    run = blocks["2"]
    assert run[2:4] == ["abcdef", "100%"] and "" not in run, run  # one line; no blank bar lines
    assert run[-1].startswith("DONE")
    # Each vertex's lines come together: "#2 ..." never appears between #3's lines.
    numbers = [m.group(1) for m in re.finditer(r"^#(\d+) ", err, re.M)]
    assert numbers == sorted(numbers, key=int)

    # 16.4: a build argument changed: said on the first step that uses it, in words.
    code, err = _build(root, ctx.root, capsys, "--build-arg", "X=2")
    assert code == 0, err
    blocks = _blocks(err)
    assert blocks["2"][1] == (
        "CACHE MISS: build argument X changed: 1 -> 2; environment variable Y changed: 1 -> 2"
    )
    assert blocks["3"][1] == (
        "CACHE MISS: parent step changed (line 5: RUN printf abc; sleep 1; printf 'def\\n';"
        " printf '\\r 10%%'; sleep 0.1; printf '\\r 60%%'; printf '\\r100%%\\n'):"
        " build argument X changed: 1 -> 2; environment variable Y changed: 1 -> 2"
    )
    assert "instruction changed" not in err and "ARG" not in err


def test_reasons_name_the_mounted_file_the_stage_and_the_failed_build(
    engine, base_image, ctx, capsys
):
    root = engine.store.root
    ctx.write("package.json", '{"v": 1}\n')
    ctx.write("src.txt", "1\n")
    ctx.dockerfile(
        "FROM busybox AS deps\n"
        "WORKDIR /app\n"
        "RUN --mount=type=bind,source=package.json,target=/app/package.json cat package.json > v\n"
        "FROM deps AS app\n"
        "COPY src.txt .\n"
        "RUN cat src.txt\n"
    )
    assert _build(root, ctx.root, capsys)[0] == 0
    ctx.write("package.json", '{"v": 2}\n')
    code, err = _build(root, ctx.root, capsys)
    assert code == 0, err
    assert "CACHE MISS: files mounted at /app/package.json changed: package.json (content)" in err
    # The stage built on the changed one names it and its first changed step, no chain keys.
    assert (
        "CACHE MISS: base stage deps changed at line 3 (RUN --mount=type=bind,"
        "source=package.json,target=/app/package.json cat package.json > v): files mounted at "
        "/app/package.json changed: package.json (content)"
    ) in err
    assert "sha256:" not in err.replace(err.splitlines()[-1], "")  # only the image ID line
    assert not re.search(r"\[\{|\{'|\['|'\]", err)

    # A failing step, then the same build again, then fixed: compared with the attempts.
    ctx.dockerfile(ctx_text := "FROM busybox\nCOPY src.txt /s\nRUN echo no; exit 3\nRUN true\n")
    assert _build(root, ctx.root, capsys)[0] != 0
    code, err = _build(root, ctx.root, capsys)
    assert code != 0 and "a new step" not in err
    assert "CACHE MISS: this step failed in the previous build; running it again" in err
    ctx.dockerfile(ctx_text.replace("exit 3", "exit 0"))
    code, err = _build(root, ctx.root, capsys)
    assert code == 0, err
    assert "CACHE MISS: instruction changed, was: RUN echo no; exit 3" in err
    ctx.dockerfile(ctx_text.replace("exit 3", "exit 4"))
    assert _build(root, ctx.root, capsys)[0] != 0
    ctx.dockerfile(ctx_text.replace("exit 3", "exit 0; echo fixed"))
    code, err = _build(root, ctx.root, capsys)
    assert "CACHE MISS: instruction changed, was: RUN echo no; exit 4" in err
    # RUN true was last reached two builds ago: compared with that build, not called new.
    assert code == 0 and "a new step" not in err, err
    assert "CACHE MISS: parent step changed (line 3: RUN echo no; exit 0; echo fixed)" in err


def test_copy_from_and_mount_from_reasons_name_the_stage_and_the_path():
    """For content-keyed ``COPY --from`` (the selected paths' checksum, no stage chain key in
    the key) and for ``RUN --mount=from=``: the stage and the changed path, in words."""
    from docker_magics.builder import cachekey, explain

    def copy(files):
        return cachekey.copy_key(
            "p",
            op="copy",
            source="a",
            paths=["/a.txt"],
            files=files,
            dest="/",
            owner=None,
            chmod=None,
        )

    old, new = copy({"a.txt": "file 0644 - sha256:1"}), copy({"a.txt": "file 0644 - sha256:2"})
    prev = {
        "instruction": "COPY --from=a /a.txt /",
        "components": old.components,
        "notes": old.notes,
    }
    ctx = explain.Context(stage="a")
    reason = explain.explain_miss(prev["instruction"], new.components, new.notes, prev, ctx)
    assert reason["summary"] == "files from stage a changed: a.txt (content)"

    def run(chain):
        mount = {"type": "bind", "target": "/m", "from": chain, "source": "/"}
        return cachekey.run_key(
            "p", argv=["ls"], env=[], user="", workdir="/", platform="linux/amd64", mounts=[mount]
        )

    old, new = run("sha256:" + "1" * 64), run("sha256:" + "2" * 64)
    prev = {"instruction": "RUN --mount=from=src,target=/m ls", "components": old.components}
    cause = {
        "step": "line 2: COPY a.txt /a.txt",
        "summary": "context files changed: a.txt (content)",
    }
    ctx = explain.Context(mount_stages=("src",), causes={"sha256:" + "2" * 64: cause})
    reason = explain.explain_miss(prev["instruction"], new.components, {}, prev, ctx)
    assert reason["summary"] == (
        "files mounted at /m from stage src changed at line 2 (COPY a.txt /a.txt): "
        "context files changed: a.txt (content)"
    )
