"""Reading compose files: every bad input is one message with its file and line; the
version-2 format of old tutorials, short and long syntaxes and interpolation are read as
Docker Compose reads them. Pure: no containers."""

from __future__ import annotations

import pytest

from docker_magics.compose.loader import ComposeError, load_project

SEED = """\
version: '2'
services:
  app:
    build: .
    environment:
      MONGO_URL: mongodb://db/test
    depends_on:
      - db
    ports:
      - "3000:3000"
  db:
    image: redis:7
"""


def load(tmp_path, text: str, env: dict[str, str] | None = None):
    path = tmp_path / "docker-compose.yml"
    path.write_text(text)
    return load_project(str(path), environ=env or {})


def error(tmp_path, text: str) -> str:
    with pytest.raises(ComposeError) as err:
        load(tmp_path, text)
    return str(err.value)


def test_the_seed_file_reads_as_docker_compose_reads_it(tmp_path):
    p = load(tmp_path, SEED)
    assert p.name == tmp_path.name.lower().replace(".", "")
    app = p.services["app"]
    assert app.build == {"context": str(tmp_path), "args": {}}
    assert app.environment == {"MONGO_URL": "mongodb://db/test"}
    assert app.depends_on == {"db": "service_started"} and app.ports == ["3000:3000"]


def test_interpolation_env_file_and_long_syntax(tmp_path):
    (tmp_path / ".env").write_text("# settings\nPORT=8081\nTAG='7'\n")
    (tmp_path / "app.env").write_text("FROM_FILE=yes\n")
    p = load(
        tmp_path,
        "name: demo\nservices:\n  web:\n    image: redis:${TAG}\n"
        "    command: echo ${MISSING:-fallback} $$HOME\n"
        "    env_file: app.env\n    environment: [A=1, HOSTVAL]\n"
        "    ports:\n      - target: 80\n        published: ${PORT}\n        host_ip: 127.0.0.1\n"
        "    volumes:\n      - ./src:/src:ro\n      - type: volume\n        source: data\n"
        "        target: /data\n    depends_on:\n      db:\n        condition: service_healthy\n"
        "  db:\n    image: redis:7\n    profiles: [debug]\nvolumes:\n  data:\n",
        env={"HOSTVAL": "from-host"},
    )
    web = p.services["web"]
    assert p.name == "demo" and web.image == "redis:7"
    assert web.command == ["echo", "fallback", "$HOME"]
    assert web.environment == {"FROM_FILE": "yes", "A": "1", "HOSTVAL": "from-host"}
    assert web.ports == ["127.0.0.1:8081:80"]
    assert web.volumes == [f"{tmp_path}/src:/src:ro"]
    assert web.mounts == ["type=volume,target=/data,source=data"]
    assert web.depends_on == {"db": "service_healthy"} and p.services["db"].profiles == ["debug"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("services:\n  a:\n    image: x\n   bad: [\n", ":4: YAML error"),
        (
            "services:\n  a:\n    image: x\n    depends_on: [b]\n",
            ":4: service a depends on undefined service b",
        ),
        (
            "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n"
            "    depends_on: [a]\n",
            ":2: dependency cycle: a -> b -> a",
        ),
        (
            "services:\n  a:\n    image: x\n    colour: red\n",
            ":4: services.a: unsupported key colour",
        ),
        ("services:\n  a:\n    image: x\n    ports: {p: 1}\n", ":4: services.a.ports:"),
        ("services:\n  a:\n    command: x\n", ":2: service a has neither image nor build"),
        ("services:\n  a:\n    image: ${NEEDED:?set NEEDED}\n", "required variable NEEDED"),
    ],
    ids=["yaml", "unknown-dep", "cycle", "unknown-key", "bad-type", "no-image", "required-var"],
)
def test_bad_files_name_file_and_line(tmp_path, text, expected):
    message = error(tmp_path, text)
    assert str(tmp_path / "docker-compose.yml") in message and expected in message


def test_keys_without_meaning_here_are_warned_with_their_line(tmp_path):
    p = load(tmp_path, "services:\n  a:\n    image: x\n    deploy: {replicas: 2}\n")
    assert p.warnings == [
        f"{tmp_path}/docker-compose.yml:4: services.a.deploy: ignored (no daemon)"
    ]
