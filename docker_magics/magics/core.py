"""The `DockerMagics` class: configuration (traitlets, so `%config` works) and the magics.

Thin by design: parse the line with the CLI's own parser, call the CLI's own handler (or the
builder), display the result. Everything that renders lives in ``display/``.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_cell_magic, magics_class, no_var_expand
from IPython.display import display
from traitlets import Bool, CaselessStrEnum, Unicode, observe

from ..cli.parsers import ArgumentError, build_parser
from ..errors import DockerMagicsError, describe_interrupt
from .dockerfile import run_dockerfile
from .errors import HINT, CellFailed, CellInterrupted
from .output import CellOutput
from .script import BodyError, normalize, split_commands

__all__ = ["DockerMagics"]

PROG = "%container"


def _container_doc() -> str:
    return (
        "Run a docker-magics verb: the same verbs and options as the `docker-magics` CLI.\n\n"
        "As a cell magic with no arguments, each line of the body is one verb (`docker `\n"
        "prefixes, `#` comments and `\\` continuations are fine), stopping at the first failure.\n"
        "`%%container exec NAME` and `%%container run [OPTIONS] IMAGE` run the body as a shell\n"
        "script inside the container.\n\n" + build_parser(prog=PROG).format_help()
    )


@magics_class
class DockerMagics(Magics):
    """Docker's build-and-run model in the notebook; `%config DockerMagics` lists the options."""

    root = Unicode(
        None, allow_none=True, help="Store directory (default $DOCKER_MAGICS_ROOT, else XDG data)"
    ).tag(config=True)
    runtime = CaselessStrEnum(
        ["root", "userns", "proot"], None, allow_none=True, help="Force a runtime backend"
    ).tag(config=True)
    progress = CaselessStrEnum(
        ["auto", "plain", "none"],
        "auto",
        help="Build progress: auto (live step list), plain (text lines), none",
    ).tag(config=True)
    debug = Bool(False, help="Show full tracebacks instead of short errors").tag(config=True)
    widgets = Bool(True, help="Use ipywidgets for interactive views when available").tag(
        config=True
    )
    stand_ins = Bool(
        False,
        help="When no registry has a Docker Hub image, use a stand-in made here (bootstrap)",
    ).tag(config=True)
    raise_on_error = Bool(
        True, help="A command exiting non-zero stops the cell (and Run All) with an error"
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        self._engines: dict[tuple[str | None, str | None], Any] = {}
        super().__init__(shell=shell, **kwargs)

    @observe("stand_ins")
    def _stand_ins(self, change: Any) -> None:
        # Pulls read it from the environment: `run`, `FROM` and `pull` alike, in this kernel.
        if change["new"]:
            os.environ["DOCKER_MAGICS_STAND_INS"] = "1"
        else:
            os.environ.pop("DOCKER_MAGICS_STAND_INS", None)

    @observe("root", "runtime")
    def _forget_engines(self, change: Any) -> None:
        self._engines.clear()

    def engine(self, root: str | None = None, runtime: str | None = None) -> Any:
        from ..api import Engine

        key = (root or self.root, runtime or self.runtime)
        if key not in self._engines:
            self._engines[key] = Engine(key[0], runtime=key[1])
        return self._engines[key]

    # -- failure ------------------------------------------------------------------------------
    def fail(self, exc: BaseException, *, command: str = "", output_tail: str = "") -> CellFailed:
        """Display the short error for ``exc``; return the exception that stops the cell."""
        from ..display.errors import error_view

        view = error_view(exc, command=command, output_tail=output_tail)
        display(view)
        hint = "" if isinstance(exc, DockerMagicsError) else f" {HINT}"
        # The view above says what failed; the exception only stops the cell (and Run All), so
        # its line does not repeat the message.
        return CellFailed(f"the cell stopped here: the error is shown above{hint}")

    # -- %container -----------------------------------------------------------------------------
    def show(self, view: Any) -> None:
        from ..display.layers import LayerExplorer

        if isinstance(view, LayerExplorer) and self.widgets and _in_kernel(self.shell):
            from .widgets import layer_widget

            widget = layer_widget(view)
            if widget is not None:
                display(widget)  # one output: the widget and the static view (magics/widgets.py)
                return
        display(view)

    def parse(self, argv: list[str]) -> Any:
        parser = build_parser(prog=PROG)
        try:
            args = parser.parse_args(argv)
        except ArgumentError as exc:
            raise UsageError(str(exc))
        except SystemExit:
            return None  # --help was printed
        if not args.verb:
            parser.print_help()
            return None
        return args

    def run_argv(self, argv: list[str], extra: dict[str, Any] | None = None) -> int:
        """One CLI verb, run in this cell. Raises CellFailed (after showing why) on failure.

        ``extra``: attributes added to the parsed arguments (``%%compose``'s file text)."""
        from ..cli.commands import HANDLERS

        args = self.parse(argv)
        if args is None:
            return 0
        vars(args).update(extra or {})
        out = CellOutput(self.show)
        command = shlex.join(argv)
        try:
            code = HANDLERS[args.verb](self.engine(args.root, args.runtime), args, out)
        except KeyboardInterrupt as exc:
            raise CellInterrupted(describe_interrupt(exc, args.verb)) from None
        except Exception as exc:
            if self.debug or args.debug:
                raise
            raise self.fail(exc, command=command, output_tail=out.tail()) from None
        if code == 0:
            self._show_links(args)
        if code != 0 and self.raise_on_error:
            from ..display.errors import ErrorView

            display(
                ErrorView(
                    f"{args.verb} exited with code {code}",
                    command=command,
                    exit_code=code,
                    output_tail=out.tail(),
                )
            )
            raise CellFailed(f"{args.verb} exited with code {code}")
        return code

    def _show_links(self, args: Any) -> None:
        """Published ports as links that work where this notebook is (display/web.py)."""
        from ..cli.web_verbs import links_after

        links = links_after(self.engine(args.root, args.runtime), args)
        if links is not None:
            display(links)

    def _split_line(self, line: str) -> list[str]:
        try:
            return normalize(shlex.split(line))  # `%container docker image ls` as pasted
        except ValueError as exc:
            raise UsageError(f"{PROG}: {exc}")

    def _script(self, argv: list[str], body: str) -> None:
        """`%%container exec NAME` / `run [OPTS] IMAGE`: the body is a shell script."""
        args = self.parse(argv)
        if args is None:
            return
        command = [c for c in args.command if c != "--"]
        self.run_argv([*argv, "-c", body] if command else [*argv, "sh", "-c", body])

    @line_cell_magic
    def container(self, line: str, cell: str | None = None) -> None:
        argv = self._split_line(line)
        if cell is None:
            self.run_argv(argv)
            return
        if argv[:1] == ["container"]:
            argv = argv[1:]  # `%%container container exec NAME`: Docker's management spelling
        if argv:
            if argv[0] not in ("exec", "run"):
                raise UsageError(
                    "%%container with a body takes no arguments (one verb per line), or "
                    "`exec NAME` / `run [OPTIONS] IMAGE` to run the body as a shell script"
                )
            self._script(argv, cell)
            return
        try:
            commands = split_commands(cell)
        except BodyError as exc:
            raise UsageError(f"%%container: {exc}")
        for cmd in commands:
            print(f"$ {cmd.text}", flush=True)
            self.run_argv(cmd.argv)

    # -- %%dockerfile ---------------------------------------------------------------------------
    @no_var_expand
    @cell_magic
    def dockerfile(self, line: str, cell: str) -> Any:
        return run_dockerfile(self, line, cell)

    # -- %%compose -----------------------------------------------------------------------------
    @no_var_expand
    @line_cell_magic
    def compose(self, line: str, cell: str | None = None) -> None:
        """%%compose [-p NAME] [--profile P] [VERB ...]: the cell is the compose file.

        VERB is any `docker-magics compose` verb (default `up -d`); relative paths in the file
        (build contexts, binds, env_file) are relative to the notebook's directory. As a line
        magic, `%compose -p NAME ps|logs|stop|start|restart|down` needs no file, and
        `%compose -f FILE VERB` reads one."""
        argv = self._split_line(line)
        opts: list[str] = []
        while argv and argv[0] in ("-p", "--project-name", "--profile", "-f", "--file"):
            opts += argv[:2]
            argv = argv[2:]
        if cell is None:
            self.run_argv(["compose", *opts, *(argv or ["ps"])])
            return
        self.run_argv(["compose", *opts, *(argv or ["up", "-d"])], extra={"compose_text": cell})


def _in_kernel(shell: Any) -> bool:
    return getattr(shell, "kernel", None) is not None


DockerMagics.container.__doc__ = _container_doc()
