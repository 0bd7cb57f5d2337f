"""Docker's management commands: `image ls|history|...` and `container ls|run|...`.

They are other spellings of the top-level verbs, so each is the top-level verb's own parser reused
as a parent (argparse copies its arguments): one definition, two ways to reach it. The nested
parser sets ``verb`` to the top-level name, so the handlers never know which spelling was typed.
Only ``image prune`` and ``container prune`` are new verbs of their own.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..textfmt import human_size

if TYPE_CHECKING:
    from ..api import Engine
    from .output import Output

__all__ = [
    "add_management_parsers",
    "IMAGE_COMMANDS",
    "CONTAINER_COMMANDS",
    "MANAGEMENT_HANDLERS",
]

# management subcommand -> (top-level verb, Docker's aliases for the subcommand)
IMAGE_COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ls": ("images", ("list",)),
    "history": ("history", ()),
    "inspect": ("inspect", ()),
    "rm": ("rmi", ("remove",)),
    "tag": ("tag", ()),
    "pull": ("pull", ()),
    "push": ("push", ()),
    "save": ("save", ()),
    "load": ("load", ()),
    "import": ("import", ()),
}
CONTAINER_COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ls": ("ps", ("list", "ps")),
    "run": ("run", ()),
    "create": ("create", ()),
    "start": ("start", ()),
    "stop": ("stop", ()),
    "kill": ("kill", ()),
    "rm": ("rm", ("remove",)),
    "commit": ("commit", ()),
    "diff": ("diff", ()),
    "logs": ("logs", ()),
    "exec": ("exec", ()),
    "cp": ("cp", ()),
    "export": ("export", ()),
    "inspect": ("inspect", ()),
    "wait": ("wait", ()),
    "port": ("port", ()),
}


def _group(
    sub: argparse._SubParsersAction,
    parser_class: type[argparse.ArgumentParser],
    name: str,
    help: str,
    commands: dict[str, tuple[str, tuple[str, ...]]],
) -> argparse._SubParsersAction:
    group = sub.add_parser(name, help=help, description=help)
    nested = group.add_subparsers(
        dest=f"{name}_command", metavar="COMMAND", parser_class=parser_class
    )
    nested.required = True
    for command, (verb, aliases) in commands.items():
        top = sub.choices[verb]
        p = nested.add_parser(
            command,
            aliases=list(aliases),
            parents=[top],
            add_help=False,  # the parent's -h comes along with its other arguments
            help=top.description,
            description=top.description,
        )
        p.set_defaults(verb=verb)
    return nested


def add_management_parsers(
    sub: argparse._SubParsersAction, parser_class: type[argparse.ArgumentParser]
) -> None:
    images = _group(sub, parser_class, "image", "Manage images", IMAGE_COMMANDS)
    p = images.add_parser(
        "prune", help="Remove dangling images", description="Remove dangling images"
    )
    p.add_argument("-a", "--all", action="store_true", help="remove every image no container uses")
    p.add_argument("-f", "--force", action="store_true", help="accepted: nothing asks to confirm")
    p.set_defaults(verb="image prune")
    containers = _group(sub, parser_class, "container", "Manage containers", CONTAINER_COMMANDS)
    text = "Remove all stopped containers"
    p = containers.add_parser("prune", help=text, description=text)
    p.add_argument("-f", "--force", action="store_true", help="accepted: nothing asks to confirm")
    p.set_defaults(verb="container prune")


def do_image_prune(eng: Engine, args: Any, out: Output) -> int:
    """Dangling images (and with -a every image no container uses), then what they held."""
    lines: list[str] = []
    if args.all:
        used = {c.manifest_digest for c in eng.ps(all=True)}
        for image in eng.images():
            if image.manifest_digest not in used:
                lines += eng.rmi(image.id, force=True)
    report = eng.prune()
    if lines or report.images:
        out.line("Deleted Images:")
        for line in lines:
            out.line(line)
        if report.images:
            out.line(f"{report.images} dangling images")
        out.line("")
    out.line(f"Total reclaimed space: {human_size(report.bytes_freed)}")
    return 0


def do_container_prune(eng: Engine, args: Any, out: Output) -> int:
    stopped = [c for c in eng.ps(all=True) if c.state != "running"]
    if stopped:
        out.line("Deleted Containers:")
    for c in stopped:
        eng.rm(c.id)
        out.line(c.id)
    out.line(f"{len(stopped)} stopped containers removed")
    return 0


MANAGEMENT_HANDLERS: dict[str, Callable[[Engine, Any, Output], int]] = {
    "image prune": do_image_prune,
    "container prune": do_container_prune,
}
