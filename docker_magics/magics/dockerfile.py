"""`%%dockerfile [-t NAME] [--build-arg K=V] [--target S] [--no-cache] [-o VAR] [CONTEXT]`.

The options are the CLI `build` verb's own parser (``cli/build_verb.py``), with CONTEXT made
optional (default: the notebook's directory; ``-`` for an empty context) and two notebook-only
flags: ``-o VAR`` stores the result in a variable, ``--interpolate`` expands ``{{ expr }}`` in the
body. The body is never expanded otherwise (``@no_var_expand``): ``$VAR`` is Dockerfile syntax.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import tempfile
from typing import Any

from IPython.core.error import UsageError
from IPython.display import display

from ..cli.build_verb import add_parser, build_options, plain_printer
from ..errors import DockerMagicsError, describe_interrupt
from ..errors import UsageError as LibUsageError
from .errors import CellInterrupted
from .host import MagicsHost
from .live import LiveView as _Live

__all__ = ["run_dockerfile", "dockerfile_parser", "interpolate"]

PROG = "%%dockerfile"
_EXPR = re.compile(r"\{\{(.+?)\}\}", re.S)


class _MagicParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{PROG}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        raise SystemExit(status)


def dockerfile_parser() -> argparse.ArgumentParser:
    parent = _MagicParser(prog=PROG)
    sub = parent.add_subparsers(parser_class=_MagicParser)
    add_parser(sub)
    p = sub.choices["build"]
    p.prog = PROG
    p.description = "Build the cell body as a Dockerfile."
    for action in p._actions:
        if action.dest == "context":
            action.nargs = "?"
            action.default = None
            action.help = "build context directory (default: the current directory; - for none)"
    p.add_argument("-o", "--output", metavar="VAR", help="store the build result in VAR")
    p.add_argument(
        "--interpolate", action="store_true", help="expand {{ python_expr }} in the body"
    )
    return p


def interpolate(text: str, namespace: dict[str, Any]) -> str:
    def value(m: re.Match[str]) -> str:
        expr = m.group(1).strip()
        try:
            return str(eval(expr, namespace))  # the user's own expression, in their namespace
        except Exception as exc:
            raise UsageError(f"{PROG}: cannot interpolate {{{{ {expr} }}}}: {exc}")

    return _EXPR.sub(value, text)


def _progress(mode: str, view: Any) -> tuple[Any, _Live | None]:
    if mode == "auto":
        handle = display(view, display_id=True)
        live = _Live(view, handle)
        return live, live
    if mode == "plain":
        return plain_printer(
            lambda s: print(s, flush=True), lambda s: print(s, end="", flush=True)
        ), None
    if mode == "json":
        return (lambda ev: print(json.dumps(ev, sort_keys=True), flush=True)), None
    return None, None


def _cachediff(engine: Any, record: dict[str, Any]) -> Any:
    from ..builder.record import load_record
    from ..display.cachediff import CacheDiff, diff_builds

    if not record.get("previous"):
        return None
    try:
        return CacheDiff(diff_builds(load_record(engine.store, record["previous"]), record))
    except DockerMagicsError:
        return None


def run_dockerfile(magics: MagicsHost, line: str, cell: str) -> Any:
    from ..display.buildview import BuildProgress, BuildSummary

    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"{PROG}: {exc}")
    try:
        args = dockerfile_parser().parse_args(argv)
    except SystemExit:
        return None  # --help
    if args.file:
        raise UsageError(f"{PROG}: the cell body is the Dockerfile; -f is not used here")
    user_ns: dict[str, Any] = magics.shell.user_ns if magics.shell is not None else {}
    text = interpolate(cell, user_ns) if args.interpolate else cell
    mode = "quiet" if args.quiet else args.progress
    if mode == "auto" and magics.progress != "auto":
        mode = {"plain": "plain", "none": "quiet"}[magics.progress]
    empty = tempfile.mkdtemp(prefix="docker-magics-ctx-") if args.context == "-" else None
    context = empty or args.context or os.getcwd()
    view = BuildProgress(text)
    progress, live = _progress(mode, view)
    engine = magics.engine()
    try:
        try:
            options = build_options(args)
        except LibUsageError as exc:
            raise UsageError(f"{PROG}: {exc}")
        result = engine.build(
            context,
            # One record identity per tag, so a rebuild is compared with the same cell's last
            # build and not with whatever other cell of the notebook built most recently.
            dockerfile=f"<cell {args.tag[0]}>" if args.tag else None,
            dockerfile_text=text,
            progress=progress,
            **options,
        )
    except KeyboardInterrupt as exc:
        message = describe_interrupt(exc, "build")
        if live is not None:
            if view.interrupted is None:  # interrupted before the builder started
                view.feed({"event": "interrupted", "message": message})
            live.redraw()
        raise CellInterrupted(message) from None
    except UsageError:
        raise
    except Exception as exc:
        if live is not None:
            if view.error is None:
                view.feed({"event": "error", "message": str(exc)})
            live.redraw()
        if magics.debug:
            raise
        raise magics.fail(exc) from None
    finally:
        if live is not None:
            live.stop()  # also on KeyboardInterrupt: no ticker outlives its cell
        if empty:
            shutil.rmtree(empty, ignore_errors=True)
    if live is not None:
        live.redraw()
    summary = BuildSummary(result, _cachediff(engine, result.record))
    if args.output:
        user_ns[args.output] = summary
    if mode == "quiet":
        print(result.image.id)
    return summary
