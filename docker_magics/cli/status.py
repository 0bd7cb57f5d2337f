"""Docker's STATUS column for a container, shared by `ps` and `compose ps`."""

from __future__ import annotations

from ..store.containers import Container
from ..textfmt import human_age

__all__ = ["container_status"]


def container_status(c: Container) -> str:
    """Docker's STATUS column: Up 5 seconds (healthy), Restarting (1) 2 seconds ago, ..."""
    if c.state == "running":
        up = f"Up {human_age(c.started).replace(' ago', '')}"
        status = (c.health or {}).get("Status")
        if status:
            up += " (health: starting)" if status == "starting" else f" ({status})"
        return up
    if c.state == "created":
        return "Created"
    if c.state == "restarting":
        return f"Restarting ({c.exit_code}) {human_age(c.finished)}"
    return f"Exited ({c.exit_code}) {human_age(c.finished)}"
