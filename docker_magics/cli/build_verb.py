"""`docker-magics build`: the parser, and a handler that prints the builder's progress events.

The builder never prints; this module turns its events into BuildKit's plain progress lines
(``#5 [2/4] RUN npm install``, ``#5 CACHED``, ``#5 DONE 1.2s``; ``plain_progress.py``), with the
reason for every miss on one line, or into one JSON object per event. Progress goes to stderr
(as `docker build` does) except for ``--progress=json``, which is meant to be read by programs
from stdout.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import BuildError, DockerMagicsError, UsageError
from .plain_progress import PlainPrinter

if TYPE_CHECKING:
    from ..api import Engine
    from .output import Output

__all__ = ["add_parser", "do_build", "plain_printer"]


def add_parser(sub: argparse._SubParsersAction, verb: Callable[..., Any] | None = None) -> None:
    help_text = "Build an image from a Dockerfile"
    if verb is not None:
        p = verb(sub, "build", help_text)
    else:
        p = sub.add_parser("build", help=help_text, description=help_text)
    p.add_argument("-f", "--file", help="the Dockerfile (default CONTEXT/Dockerfile)")
    p.add_argument("-t", "--tag", action="append", default=[], help="name:tag to give the image")
    p.add_argument(
        "--build-arg", action="append", default=[], metavar="K=V", help="set a build argument"
    )
    p.add_argument("--label", action="append", default=[], metavar="K=V", help="add a label")
    p.add_argument("--target", help="build this stage (and what it needs) only")
    p.add_argument("--no-cache", action="store_true", help="do not use the build cache")
    p.add_argument(
        "--no-cache-filter", action="append", default=[], metavar="STAGE", help="no cache for STAGE"
    )
    p.add_argument(
        "--progress", choices=["auto", "plain", "json", "quiet"], default="auto", help="output"
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="kill a RUN step (and every process it started) that runs longer than this",
    )
    p.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="id=ID[,src=FILE|,env=VAR]",
        help="a secret for RUN --mount=type=secret (never stored in the image or the cache)",
    )
    p.add_argument("--metadata-file", help="write the build record (steps, reasons) as JSON here")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the image ID")
    p.add_argument("context", help="the build context directory")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _pairs(items: list[str], what: str, from_env: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise UsageError(f"invalid {what} {item!r}: expected KEY=VALUE")
        if not sep:
            if not from_env:
                raise UsageError(f"invalid {what} {item!r}: expected KEY=VALUE")
            if key not in os.environ:
                continue  # `--build-arg NAME` passes the host's value only when it is set
            value = os.environ[key]
        out[key] = value
    return out


def build_options(args: Any) -> dict[str, Any]:
    """The `Engine.build` keywords that the CLI and ``%%dockerfile`` read from the same flags."""
    return {
        "tags": args.tag,
        "build_args": _pairs(args.build_arg, "--build-arg", True),
        "labels": _pairs(args.label, "--label", False),
        "target": args.target,
        "no_cache": args.no_cache,
        "no_cache_filter": args.no_cache_filter,
        "timeout": args.timeout,
        "secrets": args.secret,
    }


def plain_printer(
    write: Callable[[str], None], write_raw: Callable[[str], None] | None = None
) -> Callable[[dict[str, Any]], None]:
    """BuildKit-style plain progress lines from build events (``plain_progress.py``)."""
    return PlainPrinter(write, write_raw)


def _metadata(record: dict[str, Any]) -> dict[str, Any]:
    out = {
        "buildx.build.ref": record.get("id"),
        "containerimage.config.digest": record.get("image_id"),
        "containerimage.digest": record.get("image"),
        "image.name": ",".join(record.get("tags") or []),
        "status": record.get("status"),
    }
    out.update({k: record[k] for k in ("error", "steps") if k in record})
    return out


def _write_metadata(path: str, record: dict[str, Any]) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as fh:
        json.dump(_metadata(record), fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def do_build(eng: Engine, args: Any, out: Output) -> int:
    def err_line(text: str) -> None:
        out.raw_err((text + "\n").encode())

    mode = "quiet" if args.quiet else args.progress
    progress: Callable[[dict[str, Any]], None] | None = None
    if mode in ("auto", "plain"):
        # line by line, and raw text for a RUN's unfinished line (plain_progress.py)
        progress = plain_printer(lambda text: out.build_progress(text + "\n"), out.build_progress)
    elif mode == "json":
        progress = lambda ev: out.line(json.dumps(ev, sort_keys=True))  # noqa: E731
    try:
        result = eng.build(
            args.context, dockerfile=args.file, progress=progress, **build_options(args)
        )
    except DockerMagicsError as exc:
        record = getattr(exc, "build_record", None)
        if args.metadata_file and record is not None:
            _write_metadata(args.metadata_file, record)
        if isinstance(exc, BuildError) and exc.output_tail and mode != "json":
            err_line(f"--- last output of line {exc.line} ---")
            err_line(exc.output_tail)
        raise
    if args.metadata_file:
        _write_metadata(args.metadata_file, result.record)
    if mode != "json":
        out.line(result.image.id)
    return 0
