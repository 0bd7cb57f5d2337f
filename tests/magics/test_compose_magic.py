"""`%%compose` in a real in-process shell: the cell is the file; an unhealthy dependency is a
clear error naming the service and its last check's output, and leaves nothing running."""

from __future__ import annotations


def test_compose_magic_and_unhealthy_service(ip, base_image, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cell = ip.cell(
        "%%compose -p sick\nservices:\n  db:\n    image: busybox\n    command: sleep 30\n"
        "    healthcheck:\n      test: ['CMD-SHELL', 'echo not yet; false']\n"
        "      interval: 0.2s\n      retries: 2\n"
        "  app:\n    image: busybox\n    command: sleep 30\n"
        "    depends_on:\n      db: {condition: service_healthy}\n"
    )
    assert cell.error is not None
    text = cell.html() + cell.text() + cell.stdout + str(cell.error)
    assert "service db is unhealthy" in text and "output: not yet" in text, cell.text()
    assert ip.cell("%container ps -a -q").stdout == ""  # nothing left running
    ip.cell("%%compose -p sick down\nservices: {}\n")  # the network only
    missing = ip.cell("%%compose -p sick down\nservices: {}\n")
    assert "no project named sick" in missing.html() + missing.text() + str(missing.error)


def test_published_port_link_and_curl(ip, base_image, monkeypatch):
    from docker_magics.engine.ports import free_port

    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.setenv("DOCKER_MAGICS_PORT_URL", "http://localhost:{port}/")
    port = free_port()
    script = (
        "mkdir /www && echo '<h1>hi from web</h1>' > /www/index.html && httpd -f -p 3000 -h /www"
    )
    cell = ip.cell(f'%container run -d --name web -p {port}:3000 busybox sh -c "{script}"')
    try:
        assert f'href="http://localhost:{port}/"' in cell.html()
        assert "web port 3000" in cell.html()
        page = ip.cell("%container curl web:3000/")
        assert '<iframe sandbox="" srcdoc="&lt;h1&gt;hi from web&lt;/h1&gt;' in page.html()
        assert "<h1>hi from web</h1>" in page.text()
    finally:
        ip.cell("%container rm -f web")


def test_link_targets_follow_the_server():
    from docker_magics.display.web import port_url

    hub = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ann/"}
    assert port_url(8080, hub) == "/user/ann/proxy/8080/"
    assert port_url(8080, {"DOCKER_MAGICS_PORT_URL": "https://x/{port}/"}) == "https://x/8080/"


def test_bad_compose_cells_name_the_cell_line(ip, base_image, tmp_path, monkeypatch):
    """The bad files of tests/webapps/test_bad_input.py as %%compose cells: one message with
    the cell's line (the %%compose line is line 1), no traceback, nothing left behind."""
    from tests.webapps.test_bad_input import CASES

    monkeypatch.chdir(tmp_path)
    for _id, text, line, words in CASES:
        cell = ip.cell(f"%%compose -p sweep\n{text}volumes:\n  data:\n")
        shown = cell.text() + cell.stdout + cell.stderr
        assert cell.error is not None and "Traceback" not in shown
        assert f"Error: cell line {line + 1}: " in shown and words in shown, shown
        assert "compose.yaml" not in shown  # no such file: the cell is the file
        for listing in ("ps -a -q", "network ls -q", "volume ls -q"):
            assert ip.cell(f"%container {listing}").stdout == "", (_id, listing)
    missing = ip.cell("%compose -p nosuch down")
    assert "Error: no project named nosuch" in missing.text()
