"""In a real in-process shell: the link after `run -d -p` points at exactly the container the
command made; a `%%compose` error names the cell and its line, not a file that is not there."""

from __future__ import annotations

import os

from docker_magics.engine.ports import free_port


def test_run_d_p_links_the_container_it_made(ip, engine, base_image, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.setenv("DOCKER_MAGICS_PORT_URL", "http://localhost:{port}/")
    older, new = free_port(), free_port()
    made = []
    try:
        made.append(ip.cell(f"%container run -d -p {older}:3000 busybox sleep 60").stdout)
        # Unnamed, and ended before the link is made: still its own link. Before, the link
        # went to the newest *running* container: the older one.
        cell = ip.cell(f"%container run -d -p {new}:3000 busybox true")
        made.append(cell.stdout)
        name = engine.container(made[-1].strip()).name
        assert f'href="http://localhost:{new}/"' in cell.html()
        assert f"{name} port 3000" in cell.html() and str(older) not in cell.html()
        ended = ip.cell(f"%container run -d --rm -p {free_port()}:3000 busybox true")
        assert str(older) not in ended.html()  # its own link or, once removed, none
    finally:
        ip.cell(f"%container rm -f {' '.join(m.strip() for m in made)}")


def test_compose_cell_errors_name_the_cell(ip, tmp_path, monkeypatch):
    (tmp_path / "nb").mkdir()
    monkeypatch.chdir(tmp_path / "nb")
    cell = ip.cell("%%compose -p bad\nservices:\n  a:\n    image: busybox\n    colour: red\n")
    text = cell.html() + cell.text() + str(cell.error)
    assert "cell line 5: services.a: unsupported key colour" in text
    assert "compose.yaml" not in text and not os.listdir(tmp_path / "nb")
    cell = ip.cell("%%compose -p bad\nservices:\n  a:\n    image: x\n    depends_on: [b]\n")
    text = cell.html() + cell.text() + str(cell.error)
    assert "cell line 5: service a depends on undefined service b" in text
