"""The `docker-magics` command: parse, call the engine, print; an error is one line + exit code."""

from __future__ import annotations

import gc
import os
import sys
import traceback
from typing import TYPE_CHECKING

from ..errors import DockerMagicsError, describe_interrupt
from .parsers import ArgumentError, build_parser

if TYPE_CHECKING:
    from .output import Output

__all__ = ["main"]


def _write_out(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _write_err(data: bytes) -> None:
    sys.stderr.buffer.write(data)
    sys.stderr.buffer.flush()


def _cli_output() -> Output:
    from .output import Output

    out = Output(sys.stdout, _write_out, _write_err, binary=sys.stdout.buffer)
    out.binary_in = sys.stdin.buffer
    return out


def main(argv: list[str] | None = None) -> int:
    code = _main(argv)
    if argv is None:
        # A whole `docker-magics` process ends here. Its last act would be a garbage
        # collection over every object the imports made (a pull: ~25,000 objects, 25-40 ms
        # of the 0.35 s the user waits); frozen objects are skipped. Only a collection is
        # skipped: atexit handlers still run and modules are still torn down.
        gc.freeze()
    return code


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except ArgumentError as exc:
        # Docker's exit status for a usage error, and its pointer to the verb's help.
        print(f"{exc}\nSee '{exc.prog} --help'.", file=sys.stderr)
        return 125
    except SystemExit as exc:
        return int(exc.code or 0)
    if not args.verb:
        parser.print_help()
        return 0
    from ..api import Engine
    from .commands import HANDLERS

    if args.stand_ins:  # read by every pull of this process, FROM and run included
        os.environ["DOCKER_MAGICS_STAND_INS"] = "1"
    try:
        engine = Engine(args.root, runtime=args.runtime)
        return HANDLERS[args.verb](engine, args, _cli_output())
    except DockerMagicsError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"Error: {exc}", file=sys.stderr)
        return 125
    except KeyboardInterrupt as exc:
        # Ctrl-C is an outcome, not a crash: one line saying what stopped (and where), no
        # traceback, and the shell's exit status for SIGINT.
        print(describe_interrupt(exc, args.verb), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
