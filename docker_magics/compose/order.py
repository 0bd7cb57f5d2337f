"""Start order from ``depends_on``: unknown services and cycles are errors with their line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import ComposeError, at, line_of

if TYPE_CHECKING:
    from .model import Project

__all__ = ["check_dependencies", "start_order"]


def check_dependencies(project: Project, node: Any) -> None:
    for s in project.services.values():
        for dep in s.depends_on:
            if dep not in project.services:
                line = line_of(node, ["services", s.name, "depends_on", dep])
                raise ComposeError(
                    f"{at(project.file, line)}: service {s.name} depends on undefined service "
                    f"{dep} (services: {', '.join(project.services)})"
                )
        for net in s.networks:
            if net != "default" and net not in project.networks:
                line = line_of(node, ["services", s.name, "networks"])
                raise ComposeError(
                    f"{at(project.file, line)}: service {s.name} uses network {net}, which the "
                    "top-level networks: does not declare"
                )
    start_order(project, list(project.services))


def start_order(project: Project, names: list[str]) -> list[str]:
    """``names`` and their dependencies, dependencies first."""
    done: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = visiting[visiting.index(name) :] + [name]
            s = project.services[name]
            where = at(project.file, s.line)
            raise ComposeError(f"{where}: dependency cycle: {' -> '.join(cycle)}")
        visiting.append(name)
        for dep in project.services[name].depends_on:
            visit(dep)
        visiting.pop()
        done.append(name)

    for n in names:
        visit(n)
    return done
