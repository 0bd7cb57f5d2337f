"""The builder pulls what `FROM` and `COPY --from=IMAGE` name when the store lacks it.

Against a real docker-registry on 127.0.0.1: a Debian bookworm made by mmdebstrap (pushed once per
session) and the busybox rootfs. A Docker Hub name resolves through a configured mirror.
"""

from __future__ import annotations

import json
import os

import pytest

from docker_magics.api import Engine
from docker_magics.cli.main import main
from docker_magics.display.buildview import BuildProgress
from docker_magics.errors import DockerfileError

from .helpers import store_state

pytestmark = pytest.mark.registry


def _output(engine: Engine, image: str, *cmd: str) -> bytes:
    out: list[bytes] = []
    assert engine.run(image, list(cmd), remove=True, out=out.append) == 0
    return b"".join(out)


def _pull_logs(events: list[dict], step: int) -> str:
    return "".join(e["data"] for e in events if e.get("stream") == "pull" and e["id"] == step)


@pytest.mark.slow
def test_from_registry_debian_builds_and_runs(debian_in_registry, tmp_path):
    engine = Engine(str(tmp_path / "store"))
    text = f"FROM {debian_in_registry}\nRUN cat /etc/debian_version > /v && apt-get --version\n"
    events: list[dict] = []
    result = engine.build(
        str(tmp_path), dockerfile_text=text, tags=["deb:1"], progress=events.append
    )
    log = _pull_logs(events, 1)
    assert f"pulling {debian_in_registry}" in log and "pull complete" in log
    assert any(e.get("event") == "log" and "apt " in e.get("data", "") for e in events)
    assert _output(engine, "deb:1", "cat", "/v").startswith(b"12.")
    again = engine.build(str(tmp_path), dockerfile_text=text, progress=events.append)
    assert all(s["cached"] for s in again.steps) and again.id == result.id


@pytest.mark.slow
def test_hub_name_resolves_through_the_mirror(debian_in_registry, registry, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_MAGICS_REGISTRY_MIRRORS", f"http://{registry.host}")
    engine = Engine(str(tmp_path / "store"))
    text = "FROM debian:bookworm\nRUN test -x /usr/bin/apt-get\n"
    engine.build(str(tmp_path), dockerfile_text=text, tags=["via-mirror"])
    pulled = engine.image("debian:bookworm")
    assert pulled.refs == ["docker.io/library/debian:bookworm"]
    assert pulled.diff_ids == engine.image("via-mirror").diff_ids[: len(pulled.diff_ids)]


def test_mirror_from_the_store_config_and_copy_from_remote(
    engine, base_image, registry, ctx_dir, tmp_path
):
    """The store's config.json names the mirror; COPY --from= pulls a remote image too."""
    with open(os.path.join(ctx_dir, "tool.sh"), "w") as fh:
        fh.write("echo remote tool\n")
    engine.build(ctx_dir, dockerfile_text="FROM busybox\nCOPY tool.sh /opt/tool.sh\n", tags=["t"])
    engine.push("t", f"{registry.host}/library/bbtools:1")  # what the mirror serves for bbtools:1
    engine.push(base_image, f"{registry.host}/library/busybox:mirrored")

    other = Engine(str(tmp_path / "other"))
    with open(os.path.join(other.store.root, "config.json"), "w") as fh:
        json.dump({"registry-mirrors": [f"http://{registry.host}"]}, fh)
    text = "FROM busybox:mirrored\nCOPY --from=bbtools:1 /opt/tool.sh /tool.sh\n"
    events: list[dict] = []
    other.build(ctx_dir, dockerfile_text=text, tags=["app"], progress=events.append)
    assert "pulling docker.io/library/bbtools:1" in _pull_logs(events, 2)
    assert _output(other, "app", "sh", "/tool.sh") == b"remote tool\n"
    view = BuildProgress(text)  # the notebook's live view folds the pull into the COPY step
    for ev in events:
        view.feed(ev)
    copy_step = view.steps[1]
    assert copy_step.line == 2 and any("pull complete" in x for x in copy_step.log_lines())
    assert "pulling docker.io/library/bbtools:1" in view.to_html()


def test_copy_from_a_remote_image_by_host(engine, base_image, registry, ctx_dir, tmp_path):
    name = f"{registry.host}/files/bb:2"
    engine.push(base_image, name)
    other = Engine(str(tmp_path / "other"))
    text = f"FROM scratch\nCOPY --from={name} /bin/busybox /busybox\n"
    image = other.build(ctx_dir, dockerfile_text=text, tags=["only-busybox"]).image
    assert len(image.layers) == 1 and name in [r for i in other.images() for r in i.refs]


def test_missing_image_names_the_line_and_tags_nothing(engine, base_image, registry, ctx_dir):
    before = store_state(engine)
    text = f"FROM busybox\nRUN true\nFROM {registry.host}/nope/none:1\nRUN true\n"
    with pytest.raises(DockerfileError) as err:
        engine.build(ctx_dir, dockerfile_text=text, tags=["never:1"])
    assert err.value.line == 3
    assert "no such image locally, and the pull failed" in str(err.value)
    assert "MANIFEST_UNKNOWN" in str(err.value) or "NAME_UNKNOWN" in str(err.value)
    assert [i.refs for i in engine.images()] == [["docker.io/library/busybox:latest"]]
    text = f"FROM busybox\nCOPY --from={registry.host}/nope/none:2 /a /a\n"
    with pytest.raises(DockerfileError, match="undefined --from=.*pull failed") as err:
        engine.build(ctx_dir, dockerfile_text=text, tags=["never:2"])
    assert err.value.line == 2
    after = store_state(engine)
    assert after[1] == before[1] and after[2] == before[2]  # no tag, no snapshot from a pull


def test_cli_build_prints_pull_progress_under_the_step(
    engine, base_image, registry, ctx_dir, capsys
):
    name = f"{registry.host}/cli/bb:3"
    engine.push(base_image, name)
    root = os.path.join(os.path.dirname(engine.store.root), "cli-store")
    with open(os.path.join(ctx_dir, "Dockerfile"), "w") as fh:
        fh.write(f"FROM {name}\n")
    assert main(["--root", root, "build", ctx_dir]) == 0
    err = capsys.readouterr().err
    assert f"#1 pulling {name}" in err and "pull complete" in err
    with open(os.path.join(ctx_dir, "Dockerfile"), "w") as fh:
        fh.write(f"FROM {registry.host}/cli/none:1\n")
    assert main(["--root", root, "build", ctx_dir]) != 0
    err = capsys.readouterr().err
    assert "Dockerfile:1: base image" in err and "pull failed" in err


@pytest.fixture()
def ctx_dir(tmp_path) -> str:
    path = str(tmp_path / "ctx")
    os.makedirs(path)
    return path
