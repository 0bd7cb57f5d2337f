"""`%config DockerMagics.stand_ins`: off, a pull of an unreachable Docker Hub image is one short
error naming each source and the way to opt in; on, a stand-in takes its place, said plainly.
Docker Hub is a name that never resolves; the busybox stand-in is made from the host's
busybox-static (about 2 s in all)."""

from __future__ import annotations


def test_stand_ins_off_then_on(ip, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_MAGICS_HUB", "registry-1.docker.invalid")
    monkeypatch.setenv("DOCKER_MAGICS_PUBLIC_MIRRORS", "off")
    monkeypatch.setenv("DOCKER_MAGICS_STAND_IN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("DOCKER_MAGICS_STAND_INS", raising=False)
    ip.run_cell("%config DockerMagics.stand_ins = False")
    off = ip.cell("%container run --rm busybox echo hi")
    assert off.error is not None
    shown = off.html() + off.text()
    # shown once: one display (its HTML and its plain text), nothing on stdout or stderr
    assert off.text().count("no such image locally: busybox") == 1
    assert off.html().count("no such image locally: busybox") == 1
    assert "no such image" not in off.stdout + off.stderr
    assert "cannot resolve registry-1.docker.invalid" in shown
    assert "DockerMagics.stand_ins = True" in shown
    assert "Traceback" not in off.stdout + off.stderr + shown
    try:
        ip.run_cell("%config DockerMagics.stand_ins = True")
        on = ip.cell("%container pull busybox")
        assert on.error is None, on.stderr
        # the pull's live view keeps its notes in its final summary
        assert "busybox:latest: using a stand-in made here" in on.text()
        assert "busybox:latest: using a stand-in made here" in on.html()
        # nothing came from a registry: not "Pulled busybox (0 layers, 0B transferred)"
        assert "Ready: busybox:latest\n" in on.text() and "Pulled" not in on.text()
        assert "Status: a stand-in made here for busybox:latest" in on.stdout
        assert on.stderr == ""
    finally:
        ip.run_cell("%config DockerMagics.stand_ins = False")


def test_bootstrap_progress_is_a_live_view_not_lines(ip, monkeypatch, tmp_path):
    """`%container bootstrap` draws its notes in the pull's live view (kept in its summary),
    nothing on stderr, the image's description as the last lines (busybox: about 1 s)."""
    monkeypatch.setenv("DOCKER_MAGICS_STAND_IN_CACHE", str(tmp_path / "cache"))
    made = ip.cell("%container bootstrap busybox")
    assert made.error is None, made.stderr
    for shown in (made.text(), made.html()):
        assert "busybox:latest: making it here, once" in shown
        assert "Ready: busybox" in shown
    assert "making it here" not in made.stdout  # in the view, not printed line by line
    assert "made locally by docker-magics as a stand-in for busybox:latest" in made.stdout
    assert made.stderr == ""
