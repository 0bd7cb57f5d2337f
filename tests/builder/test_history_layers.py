"""Layers and history where BuildKit has them (issue 16 item 5).

Every RUN, COPY, ADD and every WORKDIR other than ``/`` records a layer, even one that changes
nothing (BuildKit's ``testExportedHistory``: ``RUN ["ls"]`` is not an empty layer); metadata
instructions record ``empty_layer``. History text as BuildKit writes it, and ``history`` SIZE
as Docker shows it: the layer unpacked, not its tar.
"""

from __future__ import annotations

# Docker's and containerd's empty layer: a tar of nothing but its two end blocks.
EMPTY_TAR = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

# testExportedHistory's Dockerfile.
DOCKERFILE = """\
FROM busybox AS base
ENV foo=bar
COPY foo /foo2
FROM busybox
LABEL lbl=val
COPY --from=base foo2 foo3
WORKDIR /
RUN echo bar > foo4
RUN ["ls"]
EXPOSE 2375 5000 1234/udp
"""


def test_exported_history_as_buildkit(engine, base_image, ctx):
    ctx.write("foo", "contents0")
    ctx.dockerfile(DOCKERFILE)
    image = engine.build(ctx.root, tags=["h"]).image
    base = engine.image("busybox")
    history = image.config["history"][len(base.config["history"]) :]
    shown = [(h["created_by"], bool(h.get("empty_layer"))) for h in history]
    assert shown == [
        ("LABEL lbl=val", True),
        ("COPY foo2 foo3 # buildkit", False),
        ("WORKDIR /", True),
        ("RUN /bin/sh -c echo bar > foo4 # buildkit", False),
        ("RUN ls # buildkit", False),
        ("EXPOSE [1234/udp 2375/tcp 5000/tcp]", True),
    ]
    assert len(image.diff_ids) == len(base.diff_ids) + 3
    assert image.diff_ids[-1] == EMPTY_TAR  # `ls` changed nothing, and still has its layer


def test_workdir_of_an_existing_dir_has_a_layer_and_sizes_are_unpacked(engine, base_image, ctx):
    ctx.dockerfile("FROM busybox\nWORKDIR /tmp\nWORKDIR /new/dir\nRUN echo bar > f\n")
    image = engine.build(ctx.root, tags=["w"]).image
    rows = {r.created_by: r for r in engine.history("w")}
    assert not rows["WORKDIR /tmp"].empty_layer and not rows["WORKDIR /new/dir"].empty_layer
    assert image.diff_ids[-3] == EMPTY_TAR
    # Docker's SIZE: directories count nothing, files their bytes ("bar\n").
    assert rows["WORKDIR /tmp"].size == 0 and rows["WORKDIR /new/dir"].size == 0
    assert rows["RUN /bin/sh -c echo bar > f # buildkit"].size == 4
    assert sum(layer["size"] for layer in image.layers[-3:]) >= 3 * 1024  # the tars are not


def test_healthcheck_history_is_gos_struct_text(engine, base_image, ctx):
    ctx.dockerfile(
        "FROM busybox AS first\n"
        "HEALTHCHECK --interval=1s --timeout=10s --start-period=3s --start-interval=100ms "
        "--retries=5 CMD exit 0\n"
        'FROM busybox\nHEALTHCHECK --interval=90s CMD ["/bin/true"]\n'
    )
    first = engine.build(ctx.root, tags=["hc1"], target="first").image
    assert first.config["history"][-1]["created_by"] == (
        "HEALTHCHECK {Test:[CMD-SHELL exit 0] Interval:1s Timeout:10s StartPeriod:3s "
        "StartInterval:100ms Retries:5}"
    )
    second = engine.build(ctx.root, tags=["hc2"]).image
    assert second.config["history"][-1]["created_by"] == (
        "HEALTHCHECK {Test:[CMD /bin/true] Interval:1m30s Timeout:0s StartPeriod:0s "
        "StartInterval:0s Retries:0}"
    )
