"""Compose through the CLI in every world: a web app found by port, talking to its database
found by name, whose data stays in a named volume across down and up (%%compose and its errors:
tests/magics/test_compose_magic.py)."""

from __future__ import annotations

import os

import pytest

from docker_magics.engine.ports import free_port
from tests.webapps.setup import import_busybox

from .test_ports import fetch

CASES = [("root", "root"), ("unprivileged", "userns"), ("no-userns", None)]
IDS = [f"{w}-{r or 'auto'}" for w, r in CASES]

# db: a real server keeping its page in a volume; app: fetches db's page by the name `db` and
# serves it on its own port. Ports come from .env, as in many tutorials.
COMPOSE = """\
version: '2'
services:
  app:
    image: busybox
    command: sh -c 'mkdir /www && wget -q -O /www/index.html http://db:${DB_PORT}/ && exec httpd -f -p ${APP_CPORT} -h /www'
    environment:
      GREETING: hello
    depends_on:
      db:
        condition: service_healthy
    ports:
      - "${APP_PORT}:${APP_CPORT}"
  db:
    image: busybox
    command: ["sh", "-c", "mkdir -p /data/www; [ -f /data/www/index.html ] || echo DB-$$$$ > /data/www/index.html; echo db up; exec httpd -f -p ${DB_PORT} -h /data/www"]
    volumes:
      - dbdata:/data
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${DB_PORT}/"]
      interval: 0.3s
volumes:
  dbdata:
"""  # noqa: E501


@pytest.mark.parametrize(("world", "runtime"), CASES, ids=IDS, indirect=["world"])
def test_compose_app_and_database_in_every_world(busybox_tar, world, runtime):
    w = world
    import_busybox(w, busybox_tar)
    proj = os.path.join(w.base, "shop")
    os.makedirs(proj)
    port = free_port()
    with open(os.path.join(proj, "docker-compose.yml"), "w") as fh:
        fh.write(COMPOSE)
    with open(os.path.join(proj, ".env"), "w") as fh:
        fh.write(f"APP_PORT={port}\nAPP_CPORT={free_port()}\nDB_PORT={free_port()}\n")
    for name in ("", "docker-compose.yml", ".env"):
        os.chmod(os.path.join(proj, name), 0o755)
    f = ["compose", "-f", f"{proj}/docker-compose.yml"]
    rt = {"runtime": runtime}
    try:
        w.cli(*f, "up", "-d", **rt)
        page = fetch(port)
        assert page.startswith("DB-")
        ps = w.cli(*f, "ps").stdout
        assert "shop-app-1" in ps and "shop-db-1" in ps and "->" in ps and "Up " in ps
        assert "db-1  | db up" in w.cli(*f, "logs", "db").stdout
        assert w.cli(*f, "exec", "app", "sh", "-c", "echo $GREETING", **rt).stdout == "hello\n"
        w.cli(*f, "down", **rt)
        assert w.cli("ps", "-a", "-q").stdout == ""
        w.cli(*f, "up", "-d", **rt)
        assert fetch(port) == page  # the database's data outlived its container
    finally:
        w.cli(*f, "down", "-v", check=False)
    assert w.cli("volume", "ls", "-q").stdout == "" and w.cli("network", "ls", "-q").stdout == ""
    gone = w.cli(*f, "down", check=False)
    assert gone.returncode != 0 and "no project named shop" in gone.stderr
