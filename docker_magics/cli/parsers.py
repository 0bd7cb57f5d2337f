"""One argparse definition per verb, shared by the command line and the `%container` magic."""

from __future__ import annotations

import argparse
import re

__all__ = ["build_parser", "ArgumentError", "VERBS"]


class ArgumentError(Exception):
    """Raised instead of exiting, so a notebook gets a message and not a dead kernel."""

    def __init__(self, message: str, prog: str = "docker-magics") -> None:
        super().__init__(message)
        self.prog = prog  # the command whose --help to point at


def _needs(parser: argparse.ArgumentParser) -> str:
    """ "exactly 2 arguments", "at least 1 argument": what the verb's positionals take."""
    least, exact = 0, True
    for action in parser._actions:
        if action.option_strings or isinstance(action, argparse._SubParsersAction):
            continue
        if action.nargs is None or isinstance(action.nargs, int):
            least += 1 if action.nargs is None else int(action.nargs)
        else:
            exact = False
            least += 1 if action.nargs == "+" else 0
    return f"{'exactly' if exact else 'at least'} {least} argument{'s' if least != 1 else ''}"


def _docker_wording(parser: argparse.ArgumentParser, prog: str, message: str) -> str:
    """argparse's message in Docker's words where Docker has some (people search for those)."""
    if message.startswith("unrecognized arguments: "):
        extra = message.split(": ", 1)[1].split()
        flags = [a.split("=", 1)[0] for a in extra if a.startswith("-")]
        if flags:
            return f"unknown flag: {flags[0]}"
    if message.startswith("the following arguments are required: "):
        missing = message.split(": ", 1)[1].split(", ")
        flags = [m.split("/")[-1].lstrip("-") for m in missing if m.startswith("-")]
        if flags:
            return "required flag(s) " + ", ".join(f'"{f}"' for f in flags) + " not set"
        return f'"{prog}" requires {_needs(parser)}.'
    choice = re.match(
        r"argument COMMAND: invalid choice: '([^']*)'(?: \(choose from (.*)\))?", message
    )
    if choice:
        known = (choice.group(2) or "").replace("'", "")
        return f"{prog}: '{choice.group(1)}' is not a {prog} command." + (
            f" Known: {known}." if known else ""
        )
    needs = re.match(r"argument (\S+): expected one argument", message)
    if needs:
        return f"flag needs an argument: {needs.group(1).split('/')[-1]}"
    return f"{prog}: {message}"


def _signal(text: str) -> int:
    """A signal as Docker takes it: a number, or a name with or without SIG (KILL, SIGTERM)."""
    import signal

    if text.isdigit() and 0 < int(text) < signal.NSIG:
        return int(text)
    name = text.upper() if text.upper().startswith("SIG") else "SIG" + text.upper()
    try:
        return int(signal.Signals[name])
    except KeyError:
        raise argparse.ArgumentTypeError(f"invalid signal: {text}")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgumentError(_docker_wording(self, self.prog, message), self.prog)

    def parse_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def, override]
        # Unknown flags are found by the top parser; name the verb they were given to.
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            verb = getattr(parsed, "verb", None)
            prog = f"{self.prog} {verb}" if verb else self.prog
            message = "unrecognized arguments: " + " ".join(extra)
            raise ArgumentError(_docker_wording(self, prog, message), prog)
        return parsed

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        # --help prints and asks to exit; the CLI exits, a magic just stops.
        raise SystemExit(status)


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", help="assign a name to the container")
    p.add_argument(
        "-e",
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set an environment variable (KEY alone copies the host's value)",
    )
    p.add_argument(
        "--env-file",
        action="append",
        default=[],
        metavar="FILE",
        help="read environment variables from a file (KEY=VALUE lines)",
    )
    p.add_argument(
        "-l", "--label", action="append", default=[], metavar="KEY=VALUE", help="set a label"
    )
    p.add_argument("--hostname", help="the container's host name (default: its short ID)")
    p.add_argument("-w", "--workdir", help="working directory inside the container")
    p.add_argument("-u", "--user", help="user name or UID[:GID] to run as")
    p.add_argument("--entrypoint", help="override the image's ENTRYPOINT")
    p.add_argument(
        "-v",
        "--volume",
        action="append",
        default=[],
        metavar="[SOURCE:]PATH[:ro]",
        help="mount a named volume (NAME:PATH), a host directory (/HOST:PATH) or a new "
        "anonymous volume (PATH)",
    )
    p.add_argument(
        "--mount",
        action="append",
        default=[],
        metavar="type=volume|bind|tmpfs,source=...,target=...",
        help="mount a volume, a host directory or an empty scratch directory",
    )
    p.add_argument(
        "--network",
        "--net",
        default="default",
        metavar="MODE",
        help="host (the host's network; the default unless ports are published), none (only "
        "a loopback interface) or a network made with `network create`",
    )
    p.add_argument(
        "-p",
        "--publish",
        action="append",
        default=[],
        metavar="[IP:]HOST:CONTAINER[/tcp]",
        help="publish a container port on a host port",
    )
    p.add_argument(
        "-P", "--publish-all", action="store_true", help="publish every EXPOSEd port on a free port"
    )
    p.add_argument(
        "--expose", action="append", default=[], metavar="PORT", help="expose a port (as EXPOSE)"
    )
    p.add_argument(
        "--network-alias",
        action="append",
        default=[],
        metavar="NAME",
        help="another name by which the network's containers find this one",
    )
    p.add_argument(
        "--add-host",
        action="append",
        default=[],
        metavar="NAME:IP",
        help="add a line to the container's /etc/hosts",
    )
    p.add_argument(
        "--restart",
        metavar="POLICY",
        help="restart a detached container when it exits: no, always, unless-stopped or "
        "on-failure[:MAX_RETRIES]",
    )
    _health_options(p)
    p.add_argument("-t", "--tty", action="store_true", help="accepted; no terminal is allocated")
    p.add_argument(
        "-i",
        "--interactive",
        action="store_true",
        help="accepted; stdin is not attached (kernels have no terminal)",
    )


def _health_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("healthcheck (replaces the image's HEALTHCHECK field by field)")
    g.add_argument("--health-cmd", metavar="CMD", help="command run in the container to check it")
    for flag, what in (
        ("interval", "time between checks (default 30s)"),
        ("timeout", "a check running longer is killed and fails (default 30s)"),
        ("start-period", "failures in this time after a start do not count (default 0s)"),
        ("start-interval", "time between checks during the start period (default 5s)"),
    ):
        g.add_argument(f"--health-{flag}", metavar="DURATION", help=what)
    g.add_argument("--health-retries", type=int, metavar="N", help="failures to be unhealthy")
    g.add_argument("--no-healthcheck", action="store_true", help="disable any healthcheck")


VERBS: dict[str, str] = {}


def _verb(
    sub: argparse._SubParsersAction, name: str, help: str, aliases: tuple[str, ...] = ()
) -> argparse.ArgumentParser:
    VERBS[name] = help
    return sub.add_parser(name, help=help, description=help, aliases=list(aliases))


def _image_verbs(sub: argparse._SubParsersAction) -> None:
    p = _verb(sub, "import", "Import a root filesystem tarball as an image (like docker import)")
    p.add_argument("file", help="tarball (plain, gzip, bzip2 or xz); - for stdin")
    p.add_argument("reference", nargs="?", help="name[:tag] for the new image")
    p.add_argument("-m", "--message", help="commit message for the history")
    p.add_argument(
        "-c",
        "--change",
        action="append",
        default=[],
        help="Dockerfile instruction to apply (CMD, ENV, WORKDIR, ...)",
    )
    p = _verb(sub, "images", "List images")
    p.add_argument("-q", "--quiet", action="store_true", help="only show image IDs")
    p.add_argument("--no-trunc", action="store_true", help="do not truncate output")
    p = _verb(sub, "tag", "Create a tag TARGET that refers to SOURCE")
    p.add_argument("source")
    p.add_argument("target")
    p = _verb(sub, "rmi", "Remove one or more images")
    p.add_argument("images", nargs="+")
    p.add_argument("-f", "--force", action="store_true", help="remove even if in use")
    p = _verb(sub, "inspect", "Show low-level information on images or containers as JSON")
    p.add_argument("names", nargs="+")
    p = _verb(sub, "history", "Show the history of an image, newest first")
    p.add_argument("image")
    p.add_argument("--no-trunc", action="store_true", help="do not truncate output")
    p.add_argument("-q", "--quiet", action="store_true", help="only show image IDs")
    p.add_argument("-H", "--human", default="true", help="human-readable sizes and dates")
    p.add_argument("--format", help="'json', or a Go-like template such as '{{.CreatedBy}}'")
    p = _verb(sub, "save", "Save images to a tar archive (Docker and OCI layout at once)")
    p.add_argument("images", nargs="+")
    p.add_argument("-o", "--output", help="write to this file (default: standard output)")
    p = _verb(sub, "load", "Load images from a tar archive (docker-archive or OCI layout)")
    p.add_argument("-i", "--input", help="read from this file (default: standard input)")
    p.add_argument("-q", "--quiet", action="store_true")


def _container_verbs(sub: argparse._SubParsersAction) -> None:
    p = _verb(sub, "run", "Run a command in a new container")
    _run_options(p)
    p.add_argument("--rm", action="store_true", help="remove the container when it exits")
    p.add_argument("-d", "--detach", action="store_true", help="run in the background")
    p.add_argument("image")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p = _verb(sub, "create", "Create a container without starting it")
    _run_options(p)
    p.add_argument("image")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p = _verb(sub, "start", "Start a created or stopped container")
    p.add_argument("container")
    p.add_argument("-a", "--attach", action="store_true", help="stay attached and stream output")
    p = _verb(sub, "exec", "Run a command in a running container")
    p.add_argument("-e", "--env", action="append", default=[])
    p.add_argument("-w", "--workdir")
    p.add_argument("-u", "--user")
    p.add_argument("-t", "--tty", action="store_true")
    p.add_argument("-i", "--interactive", action="store_true")
    p.add_argument("container")
    p.add_argument("command", nargs=argparse.REMAINDER)
    from .ps_verb import add_ps_parser

    add_ps_parser(_verb(sub, "ps", "List containers"))
    p = _verb(sub, "rm", "Remove one or more containers")
    p.add_argument("containers", nargs="+")
    p.add_argument("-f", "--force", action="store_true", help="kill a running container first")
    p.add_argument("-v", "--volumes", action="store_true", help="remove its anonymous volumes")
    p = _verb(sub, "commit", "Create a new image from a container's changes")
    p.add_argument("container")
    p.add_argument("reference", nargs="?")
    p.add_argument("-m", "--message")
    p.add_argument("-a", "--author")
    p.add_argument(
        "-c",
        "--change",
        action="append",
        default=[],
        help="Dockerfile instruction: CMD ENTRYPOINT ENV EXPOSE LABEL ONBUILD USER VOLUME WORKDIR",
    )
    p.add_argument("-p", "--pause", action="store_true", help="accepted for compatibility")
    p = _verb(sub, "diff", "List changed files in a container (A added, C changed, D deleted)")
    p.add_argument("container")
    p = _verb(sub, "port", "List a container's published ports")
    p.add_argument("container")
    p.add_argument("private_port", nargs="?", help="only this container port (PORT[/tcp])")
    from .logs_verb import add_logs_parser

    add_logs_parser(_verb(sub, "logs", "Show a container's output"))
    p = _verb(sub, "stop", "Stop running containers (SIGTERM, then SIGKILL)")
    p.add_argument("containers", nargs="+")
    p.add_argument("-t", "--time", type=float, default=10.0, help="seconds before SIGKILL")
    p = _verb(sub, "kill", "Kill running containers")
    p.add_argument(
        "-s", "--signal", type=_signal, default="KILL", help="signal to send (default KILL)"
    )
    p.add_argument("containers", nargs="+")
    p = _verb(sub, "wait", "Wait for containers to stop, then print their exit codes")
    p.add_argument("containers", nargs="+")
    p = _verb(sub, "export", "Export a container's filesystem as a tar archive")
    p.add_argument("container")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p = _verb(sub, "cp", "Copy files between a container and the host")
    p.add_argument("source", help="CONTAINER:PATH or host path")
    p.add_argument("dest", help="CONTAINER:PATH or host path")


def build_parser(prog: str = "docker-magics") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog, description="Docker's build-and-run model with no daemon and no root."
    )
    parser.add_argument(
        "--root",
        help="store directory (default $DOCKER_MAGICS_ROOT or $XDG_DATA_HOME/docker-magics)",
    )
    parser.add_argument(
        "--runtime",
        choices=["root", "userns", "proot"],
        help="force a runtime backend (default: probe)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument(
        "--stand-ins",
        action="store_true",
        help="when no registry has a Docker Hub image, use a stand-in made here (bootstrap)",
    )
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser)
    _image_verbs(sub)
    _container_verbs(sub)
    from .registry_verbs import register as _registry_verbs

    _registry_verbs(sub, _verb)
    from .tutorial_verb import register as _tutorial_verb

    _tutorial_verb(sub, _verb)
    from .compose_verb import register as _compose_verb
    from .network_verbs import register as _network_verbs
    from .volume_verbs import register as _volume_verbs
    from .web_verbs import register as _web_verbs

    _volume_verbs(sub, _verb)
    _network_verbs(sub, _verb)
    _compose_verb(sub, _verb)
    from .update_verb import register as _update_verb

    _update_verb(sub, _verb)
    _web_verbs(sub, _verb)
    from .view_verbs import add_view_parsers

    add_view_parsers(sub, _verb)
    from .build_verb import add_parser as _build_verb

    _build_verb(sub, _verb)
    p = _verb(sub, "info", "Show the store, the runtime backend chosen and why")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p = _verb(sub, "system", "Check or prune the store")
    ssub = p.add_subparsers(dest="system_verb", metavar="SUBCOMMAND", parser_class=_Parser)
    ssub.required = True
    ssub.add_parser("check", help="verify every blob and reference")
    pp = ssub.add_parser("prune", help="remove dangling images and unreferenced data")
    pp.add_argument("-f", "--force", action="store_true", help="accepted for compatibility")
    pp.add_argument("-a", "--all", action="store_true")
    from .management import add_management_parsers

    add_management_parsers(sub, _Parser)
    return parser
