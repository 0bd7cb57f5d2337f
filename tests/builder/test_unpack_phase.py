"""A packed base (pulled or loaded) is unpacked as part of FROM, said on FROM's own output, so the
next step's time (a WORKDIR) is its own; an unpacked base is not unpacked again."""

from __future__ import annotations

from docker_magics.api import Engine


def test_unpacking_the_base_is_froms_phase(engine, base_image, tmp_path):
    archive = tmp_path / "bb.tar"
    with open(archive, "wb") as fh:
        engine.save([base_image], fh)
    fresh = Engine(str(tmp_path / "fresh"))
    fresh.load(str(archive))  # loaded images arrive packed
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nWORKDIR /app\nRUN echo hi\n")

    def logs(events: list[dict]) -> dict[int, str]:
        out: dict[int, str] = {}
        for ev in events:
            if ev["event"] == "log":
                out[ev["id"]] = out.get(ev["id"], "") + ev["data"]
        return out

    first: list[dict] = []
    fresh.build(str(ctx), progress=first.append)
    steps = {ev["id"]: ev["instruction"] for ev in first if ev["event"] == "step"}
    by_step = {steps[i]: text for i, text in logs(first).items()}
    assert by_step["FROM busybox"].startswith("unpacked 1 layer of busybox in ")
    assert "WORKDIR /app" not in by_step and by_step["RUN echo hi"] == "hi\n"
    again: list[dict] = []
    (ctx / "Dockerfile").write_text("FROM busybox\nWORKDIR /app\nRUN echo again\n")
    fresh.build(str(ctx), progress=again.append)
    assert "unpacked" not in "".join(logs(again).values())
