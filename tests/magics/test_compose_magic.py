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
    assert "service db is unhealthy" in text and "output: not yet" in text
    assert ip.cell("%container ps -a -q").stdout == ""  # nothing left running
    ip.cell("%%compose -p sick down\nservices: {}\n")  # the network only
    missing = ip.cell("%%compose -p sick down\nservices: {}\n")
    assert "no project named sick" in missing.html() + missing.text() + str(missing.error)
