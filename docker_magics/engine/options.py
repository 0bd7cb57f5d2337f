"""What `run`/`create` take: kept light so importing the API does not import the runtime."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunOptions", "Sink"]

Sink = Callable[[bytes], None]


@dataclass
class RunOptions:
    image: str
    command: list[str] = field(default_factory=list)
    name: str | None = None
    env: list[str] = field(default_factory=list)
    workdir: str | None = None
    user: str | None = None
    entrypoint: str | None = None
    hostname: str | None = None
    volumes: list[str] = field(default_factory=list)  # -v specs
    mounts: list[str] = field(default_factory=list)  # --mount specs
    # "default" (the host's network, or a namespace of its own when ports are published where
    # the backend can make one), "host" or "none"; see runtime/network.py and engine/ports.py
    network: str = "default"
    publish: list[str] = field(default_factory=list)  # -p specs
    publish_all: bool = False  # -P
    expose: list[str] = field(default_factory=list)  # --expose PORT[-PORT][/tcp], as EXPOSE
    network_aliases: list[str] = field(default_factory=list)
    # More user networks (name -> aliases), as compose's `networks: [a, b]` or `network connect`
    extra_networks: dict[str, list[str]] = field(default_factory=dict)
    add_hosts: list[str] = field(default_factory=list)  # NAME:IP
    labels: dict[str, str] = field(default_factory=dict)
    restart: str | None = None  # --restart POLICY (engine/restart.py)
    # --health-* as cmd, interval, timeout, retries, start_period, start_interval, disable
    health: dict[str, Any] = field(default_factory=dict)
