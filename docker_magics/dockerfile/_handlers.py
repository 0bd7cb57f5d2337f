"""Parse-tree node -> typed instruction: one small handler per keyword.

Each handler checks argument counts and flags the way BuildKit's ``instructions/parse.go``
does and builds the frozen record. ``instruction_from_node`` is the only entry point; it adds
the file name, line range and source text to every error.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import TypeVar

from ..errors import DockerfileError
from . import instructions as ins
from ._values import InvalidValue, parse_duration_ns, parse_mount
from .flags import FlagError, FlagKind, FlagValues, parse_flags
from .heredocs import chomp, parse_heredoc
from .nodes import INSTRUCTIONS, Node

__all__ = ["HANDLERS", "instruction_from_node"]

_S, _B, _L = FlagKind.STRING, FlagKind.BOOL, FlagKind.LIST
_STAGE_NAME = re.compile(r"[a-z][a-z0-9\-_.]*\Z")
_ONBUILD_PREFIX = re.compile(r"^\s*ONBUILD\s*", re.IGNORECASE)
_NETWORKS = frozenset({"default", "none", "host"})
_SECURITY = frozenset({"sandbox", "insecure"})

_T = TypeVar("_T", bound=ins.Instruction)


class _Invalid(ValueError):
    """Bad arguments for an instruction; becomes a located DockerfileError."""


def _located(node: Node) -> dict[str, object]:
    return {"line": node.start_line, "end_line": node.end_line, "original": node.original}


def _build(cls: type[_T], node: Node, **fields: object) -> _T:
    return cls(**_located(node), **fields)  # type: ignore[arg-type]


def _flags(node: Node, spec: dict[str, FlagKind] | None = None) -> FlagValues:
    return parse_flags(node.keyword.upper(), node.flags, spec or {})


def _str_flag(values: FlagValues, name: str) -> str | None:
    value = values.get(name)
    return value if isinstance(value, str) else None


def _exactly_one(node: Node) -> str:
    if len(node.args) != 1:
        raise _Invalid(f"{node.keyword.upper()} requires exactly one argument")
    return node.args[0]


def _at_least_one(node: Node) -> tuple[str, ...]:
    if not node.args:
        raise _Invalid(f"{node.keyword.upper()} requires at least one argument")
    return node.args


def _command_line(node: Node) -> tuple[str, ...]:
    # Shell form is one string: BuildKit joins the (single) argument list with spaces.
    if node.json or not node.args:
        return node.args
    return (" ".join(node.args),)


def _key_values(node: Node) -> tuple[ins.KeyValue, ...]:
    args = _at_least_one(node)
    pairs = []
    for i in range(0, len(args) - 2, 3):
        key, value, delim = args[i : i + 3]
        if not key:
            raise _Invalid(f"{node.keyword.upper()} names can not be blank")
        pairs.append(ins.KeyValue(key, value, legacy=delim == ""))
    return tuple(pairs)


def _from(node: Node) -> ins.From:
    args = node.args
    name = None
    if len(args) == 3 and args[1].lower() == "as":
        name = args[2].lower()
        if not _STAGE_NAME.match(name):
            raise _Invalid(
                f"invalid name for build stage: {args[2]!r}, "
                "name can't start with a number or contain symbols"
            )
    elif len(args) != 1:
        raise _Invalid("FROM requires either one or three arguments")
    platform = _str_flag(_flags(node, {"platform": _S}), "platform")
    return _build(ins.From, node, base=args[0], stage_name=name, platform=platform)


def _run(node: Node) -> ins.Run:
    flags = _flags(node, {"mount": _L, "network": _S, "security": _S, "device": _L})
    network, security = _str_flag(flags, "network"), _str_flag(flags, "security")
    if network is not None and network not in _NETWORKS:
        raise _Invalid(f"unsupported network mode {network!r}; expected one of default, none, host")
    if security is not None and security not in _SECURITY:
        raise _Invalid(f"unsupported security mode {security!r}; expected sandbox or insecure")
    mounts = flags.get("mount", ())
    devices = flags.get("device", ())
    assert isinstance(mounts, tuple) and isinstance(devices, tuple)
    return _build(
        ins.Run,
        node,
        command=_command_line(node),
        exec_form=node.json,
        heredocs=node.heredocs,
        mounts=tuple(parse_mount(spec) for spec in mounts),
        network=network,
        security=security,
        devices=devices,
    )


def _cmd(node: Node) -> ins.Cmd:
    _flags(node)
    return _build(ins.Cmd, node, command=_command_line(node), exec_form=node.json)


def _entrypoint(node: Node) -> ins.Entrypoint:
    _flags(node)
    return _build(ins.Entrypoint, node, command=_command_line(node), exec_form=node.json)


def _shell(node: Node) -> ins.Shell:
    _flags(node)
    if not node.args:
        raise _Invalid("SHELL requires at least one argument")
    if not node.json:
        raise _Invalid('SHELL requires the arguments to be in JSON form, e.g. SHELL ["sh", "-c"]')
    return _build(ins.Shell, node, shell=node.args)


def _sources(node: Node) -> dict[str, object]:
    """Split COPY/ADD arguments into paths, inline heredoc contents and the destination."""
    keyword = node.keyword.upper()
    if len(node.args) < 2:
        raise _Invalid(
            f"{keyword} requires at least two arguments, but only one was provided. "
            "Destination could not be determined"
        )
    *sources, dest = node.args
    if parse_heredoc(dest) is not None:
        raise _Invalid(f"{keyword} cannot accept a heredoc as a destination")
    bodies = {heredoc.name: heredoc for heredoc in node.heredocs}
    paths, contents = [], []
    for source in sources:
        opened = parse_heredoc(source)
        if opened is None:
            paths.append(source)
            continue
        body = bodies[opened.name].content if opened.name in bodies else ""
        data = chomp(body) if opened.chomp else body
        contents.append(ins.SourceContent(opened.name, data, opened.expand))
    return {"sources": tuple(paths), "contents": tuple(contents), "dest": dest}


def _copy_common(flags: FlagValues) -> dict[str, object]:
    excludes = flags.get("exclude", ())
    return {
        "chown": _str_flag(flags, "chown"),
        "chmod": _str_flag(flags, "chmod"),
        "link": flags.get("link") is True,
        "excludes": excludes,
    }


def _copy(node: Node) -> ins.Copy:
    spec = {"chown": _S, "chmod": _S, "from": _S, "link": _B, "exclude": _L, "parents": _B}
    if len(node.args) < 2:
        _sources(node)  # reports the missing destination before any flag problem
    flags = _flags(node, spec)
    return _build(
        ins.Copy,
        node,
        **_sources(node),
        **_copy_common(flags),
        from_=_str_flag(flags, "from"),
        parents=flags.get("parents") is True,
    )


def _optional_bool(flags: FlagValues, name: str) -> bool | None:
    value = flags.get(name)
    return value if isinstance(value, bool) else None


def _add(node: Node) -> ins.Add:
    spec = {
        "chown": _S,
        "chmod": _S,
        "link": _B,
        "keep-git-dir": _B,
        "checksum": _S,
        "unpack": _B,
        "exclude": _L,
    }
    if len(node.args) < 2:
        _sources(node)
    flags = _flags(node, spec)
    return _build(
        ins.Add,
        node,
        **_sources(node),
        **_copy_common(flags),
        keep_git_dir=_optional_bool(flags, "keep-git-dir"),
        checksum=_str_flag(flags, "checksum"),
        unpack=_optional_bool(flags, "unpack"),
    )


def _workdir(node: Node) -> ins.Workdir:
    path = _exactly_one(node)
    _flags(node)
    return _build(ins.Workdir, node, path=path)


def _env(node: Node) -> ins.Env:
    _flags(node)
    return _build(ins.Env, node, pairs=_key_values(node))


def _label(node: Node) -> ins.Label:
    _flags(node)
    return _build(ins.Label, node, pairs=_key_values(node))


def _arg(node: Node) -> ins.Arg:
    definitions = []
    for word in _at_least_one(node):
        name, has_value, value = word.partition("=")
        if not name:
            raise _Invalid("ARG names can not be blank")
        definitions.append(ins.ArgDefinition(name, value if has_value else None))
    _flags(node)
    return _build(ins.Arg, node, args=tuple(definitions))


def _expose(node: Node) -> ins.Expose:
    ports = _at_least_one(node)
    _flags(node)
    return _build(ins.Expose, node, ports=ports)


def _user(node: Node) -> ins.User:
    user = _exactly_one(node)
    _flags(node)
    return _build(ins.User, node, user=user)


def _volume(node: Node) -> ins.Volume:
    paths = tuple(path.strip() for path in _at_least_one(node))
    _flags(node)
    if not all(paths):
        raise _Invalid("VOLUME specified can not be an empty string")
    return _build(ins.Volume, node, paths=paths)


def _stopsignal(node: Node) -> ins.Stopsignal:
    signal = _exactly_one(node)
    _flags(node)
    return _build(ins.Stopsignal, node, signal=signal)


def _maintainer(node: Node) -> ins.Maintainer:
    maintainer = _exactly_one(node)
    _flags(node)
    return _build(ins.Maintainer, node, maintainer=maintainer)


def _interval(flags: FlagValues, name: str) -> int:
    text = _str_flag(flags, name)
    if not text:
        return 0
    value = parse_duration_ns(text)
    if value != 0 and value < 1_000_000:
        raise _Invalid(f"Interval {name!r} cannot be less than 1ms")
    return value


def _healthcheck(node: Node) -> ins.Healthcheck:
    args = _at_least_one(node)
    kind = args[0].upper()
    if kind == "NONE":
        if len(args) > 1:
            raise _Invalid("HEALTHCHECK NONE takes no arguments")
        _flags(node)
        return _build(ins.Healthcheck, node, test=("NONE",))
    names = ("interval", "timeout", "start-period", "start-interval", "retries")
    flags = _flags(node, dict.fromkeys(names, _S))
    if kind != "CMD":
        raise _Invalid(f'Unknown type "{kind}" in HEALTHCHECK (try CMD)')
    command = args[1:]
    if command and not node.json:
        command = (" ".join(command),)
    if not command:
        raise _Invalid("Missing command after HEALTHCHECK CMD")
    retries_text = _str_flag(flags, "retries") or "0"
    if not re.fullmatch(r"[+-]?[0-9]+", retries_text):
        raise _Invalid(f"invalid value for --retries: {retries_text!r}")
    if int(retries_text) < 0:
        raise _Invalid(f"--retries cannot be negative ({int(retries_text)})")
    return _build(
        ins.Healthcheck,
        node,
        test=("CMD" if node.json else "CMD-SHELL", *command),
        interval_ns=_interval(flags, "interval"),
        timeout_ns=_interval(flags, "timeout"),
        start_period_ns=_interval(flags, "start-period"),
        start_interval_ns=_interval(flags, "start-interval"),
        retries=int(retries_text),
    )


def _onbuild(node: Node) -> ins.Onbuild:
    if node.child is None:
        raise _Invalid("ONBUILD requires at least one argument")
    _flags(node)
    trigger = node.child.keyword.upper()
    if trigger == "ONBUILD":
        raise _Invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
    if trigger in ("MAINTAINER", "FROM"):
        raise _Invalid(f"{trigger} isn't allowed as an ONBUILD trigger")
    # The image stores the trigger text with its heredoc bodies, to be parsed again later.
    expression = _ONBUILD_PREFIX.sub("", node.original, count=1)
    for heredoc in node.heredocs:
        expression += "\n" + heredoc.content + heredoc.name
    child = node.child
    return _build(ins.Onbuild, node, expression=expression, trigger=_dispatch(child))


HANDLERS: dict[str, Callable[[Node], ins.Instruction]] = {
    "add": _add,
    "arg": _arg,
    "cmd": _cmd,
    "copy": _copy,
    "entrypoint": _entrypoint,
    "env": _env,
    "expose": _expose,
    "from": _from,
    "healthcheck": _healthcheck,
    "label": _label,
    "maintainer": _maintainer,
    "onbuild": _onbuild,
    "run": _run,
    "shell": _shell,
    "stopsignal": _stopsignal,
    "user": _user,
    "volume": _volume,
    "workdir": _workdir,
}
assert set(HANDLERS) == set(INSTRUCTIONS)


def _unknown_instruction(node: Node) -> _Invalid:
    keyword = node.keyword.upper()
    names = [name.upper() for name in INSTRUCTIONS]
    close = difflib.get_close_matches(keyword, names, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return _Invalid(f"unknown instruction: {node.keyword}{hint}")


def _dispatch(node: Node) -> ins.Instruction:
    handler = HANDLERS.get(node.instruction)
    if handler is None:
        raise _unknown_instruction(node)
    return handler(node)


def instruction_from_node(node: Node, filename: str = "Dockerfile") -> ins.Instruction:
    """Type and validate one parse-tree node; errors carry the node's location."""
    try:
        return _dispatch(node)
    except (_Invalid, FlagError, InvalidValue) as exc:
        raise DockerfileError(
            str(exc),
            filename=filename,
            line=node.start_line,
            end_line=node.end_line,
            source=node.original,
        ) from None
