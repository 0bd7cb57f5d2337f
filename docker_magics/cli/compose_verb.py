"""`compose [-f FILE] [-p NAME] VERB`: multi-container apps from a compose file (compose/)."""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..display.tables import Table
from ..engine.ports import format_ports
from .status import container_status

if TYPE_CHECKING:
    from ..api import Engine
    from ..compose.model import Project
    from .output import Output

__all__ = ["register", "HANDLERS", "DEFAULT_FILES", "load_args"]

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


def register(sub: argparse._SubParsersAction, verb: Callable[..., argparse.ArgumentParser]) -> None:
    p = verb(sub, "compose", "Run multi-container apps from a compose file (up, down, ps, logs...)")
    p.add_argument(
        "-f", "--file", help="compose file (default: compose.yaml or docker-compose.yml)"
    )
    p.add_argument("-p", "--project-name", help="project name (default: the file's directory)")
    p.add_argument("--profile", action="append", default=[], help="enable services of a profile")
    csub = p.add_subparsers(dest="compose_verb", metavar="VERB", parser_class=type(p))
    csub.required = True
    up = csub.add_parser("up", help="create and start the services")
    up.add_argument("-d", "--detach", action="store_true", help="return once they are started")
    up.add_argument("--build", action="store_true", help="build images before starting")
    up.add_argument("services", nargs="*")
    down = csub.add_parser("down", help="stop and remove containers and networks")
    down.add_argument("-v", "--volumes", action="store_true", help="remove named volumes too")
    ps = csub.add_parser("ps", help="list the project's containers")
    ps.add_argument("-a", "--all", action="store_true", help="stopped ones too")
    for name, text in [
        ("logs", "show the services' output"),
        ("build", "build the services' images"),
        ("pull", "pull the services' images"),
        ("push", "push the services' images"),
        ("start", "start existing containers"),
        ("stop", "stop running containers"),
        ("restart", "stop and start containers"),
    ]:
        csub.add_parser(name, help=text).add_argument("services", nargs="*")
    ex = csub.add_parser("exec", help="run a command in a service's running container")
    ex.add_argument("service")
    ex.add_argument("command", nargs=argparse.REMAINDER)
    run = csub.add_parser("run", help="run a one-off command in a new container of a service")
    run.add_argument("--rm", action="store_true", help="remove the container afterwards")
    run.add_argument("service")
    run.add_argument("command", nargs=argparse.REMAINDER)
    csub.add_parser("config", help="show the file as read: interpolated and checked")


def load_args(args: Any) -> Project:
    from ..compose.loader import ComposeError, load_project

    text = getattr(args, "compose_text", None)
    if text is not None:  # %%compose: the cell is the file; paths are relative to the cwd
        project = load_project(_cell_path(), name=args.project_name, text=text)
        project.warnings = [in_cell(w) for w in project.warnings]
        return project
    path = args.file
    if path is None:
        path = next((f for f in DEFAULT_FILES if os.path.exists(f)), None)
        if path is None:
            raise ComposeError(
                f"no compose file here ({', '.join(DEFAULT_FILES)}): give one with -f FILE"
            )
    return load_project(path, name=args.project_name)


def _cell_path() -> str:
    return os.path.join(os.getcwd(), "compose.yaml")


def in_cell(message: str) -> str:
    """A message about the %%compose cell names its line as the notebook numbers it (the
    `%%compose` line is line 1), not a compose.yaml that does not exist."""
    path = re.escape(_cell_path())
    message = re.sub(path + r":(\d+)", lambda m: f"cell line {int(m[1]) + 1}", message)
    return re.sub(path, "the cell", message)


# Verbs that need only the project's name (its containers carry it as a label): with -p NAME
# they work without the file, as `docker compose -p NAME ps` does.
_BY_NAME = ("down", "ps", "logs", "start", "stop", "restart")


def _project_name(args: Any) -> str:
    if args.project_name and getattr(args, "compose_text", None) is None and not args.file:
        return str(args.project_name)
    return load_args(args).name


def _ps(eng: Engine, name: str, all: bool, out: Output) -> None:
    from ..compose.project import SERVICE_LABEL, containers_of

    rows = [
        [
            c.name,
            c.image_ref,
            c.labels.get(SERVICE_LABEL, ""),
            container_status(c),
            format_ports(c.config),
        ]
        for c in containers_of(eng, name)
        if all or c.state in ("running", "restarting")
    ]
    out.show(Table(["NAME", "IMAGE", "SERVICE", "STATUS", "PORTS"], rows))


def _logs(eng: Engine, name: str, services: list[str], out: Output) -> None:
    from ..compose.project import SERVICE_LABEL, containers_of

    for c in containers_of(eng, name, services):
        prefix = f"{c.labels.get(SERVICE_LABEL, c.name)}-1  | ".encode()
        for line in eng.logs(c.id).splitlines(keepends=True):
            out.raw_out(prefix + line)


def do_compose(eng: Engine, args: Any, out: Output) -> int:
    from ..compose.model import ComposeError

    if getattr(args, "compose_text", None) is None:
        return _do_compose(eng, args, out)
    try:
        return _do_compose(eng, args, out)
    except ComposeError as exc:
        raise ComposeError(in_cell(str(exc))) from None


def _do_compose(eng: Engine, args: Any, out: Output) -> int:
    from ..compose import project as cp

    verb = args.compose_verb
    if verb in _BY_NAME:
        name = _project_name(args)
        if verb == "down":
            cp.down(eng, name, out, volumes=args.volumes)
        elif verb == "ps":
            _ps(eng, name, args.all, out)
        elif verb == "logs":
            _logs(eng, name, args.services, out)
        else:
            _lifecycle(eng, name, verb, args.services, out)
        return 0
    project = load_args(args)
    if verb == "config":
        import yaml

        out.line(yaml.safe_dump(project.raw, sort_keys=False).rstrip())
    elif verb == "up":
        # Output from now on: a container `up` restarts does not replay its earlier runs.
        seen = {c.id: len(eng.logs(c.id)) for c in cp.containers_of(eng, project.name)}
        started = cp.up(
            eng, project, out, services=args.services, build=args.build, profiles=args.profile
        )
        if not args.detach:
            return _follow(eng, project.name, out, seen, set(started))
    else:
        return _service_verb(eng, project, args, out)
    return 0


def _service_verb(eng: Engine, project: Project, args: Any, out: Output) -> int:
    from ..compose import project as cp

    verb = args.compose_verb
    if verb in ("exec", "run"):
        s = project.services.get(args.service)
        if s is None:
            raise cp.ComposeError(f"no such service: {args.service}")
        command = [c for c in args.command if c != "--"]
        if verb == "exec":
            return eng.exec(
                cp.container_name(project, s), command, out=out.raw_out, err=out.raw_err
            )
        cp.ensure_image(eng, project, s, False, out)
        cp.prepare(eng, project, [s.name])
        name = f"{project.name}-{s.name}-run-{os.urandom(3).hex()}"
        opts = cp.run_options(project, s, name=name, command=command)
        opts.publish = []  # like `compose run`: the service's ports stay with the service
        c = eng.create(opts)
        try:
            return eng.start(c.id, out=out.raw_out, err=out.raw_err)
        finally:
            if args.rm:
                eng.rm(c.id, force=True, volumes=True)
    names = cp.selected(project, args.services or None, args.profile)
    for name in names:
        s = project.services[name]
        if verb == "build" and s.build is not None:
            cp.ensure_image(eng, project, s, True, out)
        elif verb == "pull" and s.build is None:  # built images are not pulled, as with
            out.line(f"Pulling {s.name} ({s.image})")  # `docker compose pull --ignore-buildable`
            eng.pull(str(s.image))
        elif verb == "push":
            if s.build is not None and s.image:
                eng.push(s.image)
                out.line(f"Pushed {s.image}")
    return 0


def _lifecycle(eng: Engine, name: str, verb: str, services: list[str], out: Output) -> None:
    from ..compose import project as cp

    containers = cp.containers_of(eng, name, services or None)
    if not containers:
        raise cp.ComposeError(f"no containers in project {name}: start it with `compose up`")
    if verb in ("stop", "restart"):
        for c in reversed(containers):
            eng.stop(c.id)
            out.line(f"Container {c.name}  Stopped")
    if verb in ("start", "restart"):
        for c in containers:
            eng.start_detached(c.id)
            out.line(f"Container {c.name}  Started")


def _follow(eng: Engine, name: str, out: Output, seen: dict[str, int], started: set[str]) -> int:
    """`up` without -d: stream the containers' output until they all stop (Ctrl-C stops them).

    ``seen``: how much of each container's log was there before (not shown again); ``started``:
    the containers `up` started, each said when it ends."""
    from ..compose.project import SERVICE_LABEL, containers_of

    try:
        while True:
            running = False
            for c in containers_of(eng, name):
                data = eng.logs(c.id)
                prefix = f"{c.labels.get(SERVICE_LABEL, c.name)}-1  | ".encode()
                for line in data[seen.get(c.id, 0) :].splitlines(keepends=True):
                    out.raw_out(prefix + line)
                seen[c.id] = len(data)
                if c.state == "running":
                    running = True
                elif c.name in started:
                    started.discard(c.name)
                    out.line(f"{c.name} exited with code {c.exit_code}")
            if not running:
                return 0
            time.sleep(0.3)
    except KeyboardInterrupt:
        for c in containers_of(eng, name):
            eng.stop(c.id)
        return 130


HANDLERS = {"compose": do_compose}
