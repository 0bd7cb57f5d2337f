"""Handlers: parsed arguments in, text out. Each returns an exit code and raises on failure."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from typing import Any

from ..api import Engine, RunOptions
from ..display.tables import Table
from ..engine.ports import port_lines
from ..errors import UsageError
from ..oci.digest import short_id
from ..oci.reference import Reference, parse_reference
from ..textfmt import human_age, human_size, parse_time, truncate
from . import build_verb
from .compose_verb import HANDLERS as _compose_handlers
from .logs_verb import do_logs
from .management import MANAGEMENT_HANDLERS
from .network_verbs import HANDLERS as _network_handlers
from .output import Output
from .ps_verb import do_ps
from .registry_verbs import HANDLERS as _registry_handlers
from .registry_verbs import pull_missing
from .tutorial_verb import HANDLERS as _tutorial_handlers
from .update_verb import HANDLERS as _update_handlers
from .view_verbs import VIEW_HANDLERS
from .volume_verbs import HANDLERS as _volume_handlers
from .web_verbs import HANDLERS as _web_handlers

__all__ = ["HANDLERS"]


def _tty_note(args: Any, out: Output) -> None:
    if getattr(args, "tty", False) or getattr(args, "interactive", False):
        out.raw_err(
            b"note: -t/-i accepted, but no terminal is attached; the command runs "
            b"non-interactively\n"
        )


def _env_file(path: str) -> list[str]:
    """Docker's --env-file: KEY=VALUE or KEY (the host's value) per line, # comments, no
    quoting (the value is the rest of the line, as Docker reads it)."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise UsageError(f"--env-file {path}: {exc.strerror or exc}")
    out = []
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        key = stripped.partition("=")[0]
        if not key or any(ch.isspace() for ch in key):
            raise UsageError(
                f"{path}:{number}: variable '{key}' contains whitespaces or is empty "
                "(write KEY=VALUE)"
            )
        out.append(stripped)
    return out


def _labels(specs: list[str]) -> dict[str, str]:
    labels = {}
    for spec in specs:
        key, _, value = spec.partition("=")
        if not key:
            raise UsageError(f"invalid label '{spec}': give KEY=VALUE")
        labels[key] = value
    return labels


def _outbound_note(eng: Engine, c: Any, out: Output) -> None:
    """One line when a container gets a network namespace without outbound traffic."""
    from ..engine.netpods import needs_pod
    from ..runtime.netns import outbound_problem

    if needs_pod(c, c.runtime) and (problem := outbound_problem()):
        out.raw_err(f"note: container {c.name} has no outbound network: {problem}\n".encode())


def _opts(args: Any) -> RunOptions:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    env = [line for path in args.env_file for line in _env_file(path)] + args.env
    return RunOptions(
        image=args.image,
        command=command,
        name=args.name,
        hostname=args.hostname,
        labels=_labels(args.label),
        env=env,
        workdir=args.workdir,
        user=args.user,
        entrypoint=args.entrypoint,
        volumes=args.volume,
        mounts=args.mount,
        network=args.network,
        publish=args.publish,
        publish_all=args.publish_all,
        expose=args.expose,
        network_aliases=args.network_alias,
        add_hosts=args.add_host,
        restart=args.restart,
        health={
            "cmd": args.health_cmd,
            "interval": args.health_interval,
            "timeout": args.health_timeout,
            "retries": args.health_retries,
            "start_period": args.health_start_period,
            "start_interval": args.health_start_interval,
            "disable": args.no_healthcheck,
        },
    )


def do_run(eng: Engine, args: Any, out: Output) -> int:
    _tty_note(args, out)
    opts = _opts(args)
    if args.rm and opts.restart and opts.restart != "no":
        raise UsageError("conflicting options: --restart and --rm (a removed one cannot restart)")
    pull_missing(eng, opts.image, out)
    if args.detach:
        c = eng.run_detached(opts, remove=args.rm)
        _outbound_note(eng, c, out)
        args.created = c.id  # the notebook links this container's ports (web_verbs.links_after)
        out.line(c.id)
        return 0
    if opts.restart and opts.restart != "no":
        out.raw_err(
            b"note: --restart applies to detached containers (run -d, start): this run is in "
            b"the foreground and is not restarted\n"
        )
    c = eng.create(opts)
    _outbound_note(eng, c, out)
    try:
        return eng.start(c.id, out=out.raw_out, err=out.raw_err)
    finally:
        if args.rm:
            eng.rm(c.id, force=True, volumes=True)


def do_create(eng: Engine, args: Any, out: Output) -> int:
    pull_missing(eng, args.image, out)
    out.line(eng.create(_opts(args)).id)
    return 0


def do_start(eng: Engine, args: Any, out: Output) -> int:
    if args.attach:
        return eng.start(args.container, out=out.raw_out, err=out.raw_err)
    eng.start_detached(args.container)
    out.line(args.container)
    return 0


def do_exec(eng: Engine, args: Any, out: Output) -> int:
    _tty_note(args, out)
    command = [c for c in args.command]
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("exec needs a command to run")
    return eng.exec(
        args.container,
        command,
        env=args.env,
        workdir=args.workdir,
        user=args.user,
        out=out.raw_out,
        err=out.raw_err,
    )


def do_port(eng: Engine, args: Any, out: Output) -> int:
    lines = port_lines(eng.container(args.container).config)
    if args.private_port:
        want = args.private_port if "/" in args.private_port else f"{args.private_port}/tcp"
        lines = [line.split(" -> ")[1] for line in lines if line.startswith(want + " ")]
        if not lines:
            raise UsageError(f"no public port {want} published for {args.container}")
    for line in lines:
        out.line(line)
    return 0


def do_rm(eng: Engine, args: Any, out: Output) -> int:
    for name in args.containers:
        eng.rm(name, force=args.force, volumes=args.volumes)
        out.line(name)
    return 0


def do_commit(eng: Engine, args: Any, out: Output) -> int:
    image = eng.commit(
        args.container,
        args.reference,
        message=args.message,
        author=args.author,
        changes=args.change,
    )
    out.line(image.id)
    return 0


def do_diff(eng: Engine, args: Any, out: Output) -> int:
    for line in eng.diff(args.container):
        out.line(line)
    return 0


def do_stop(eng: Engine, args: Any, out: Output) -> int:
    for name in args.containers:
        eng.stop(name, timeout=args.time)
        out.line(name)
    return 0


def do_kill(eng: Engine, args: Any, out: Output) -> int:
    for name in args.containers:
        eng.kill(name, args.signal)
        out.line(name)
    return 0


def do_wait(eng: Engine, args: Any, out: Output) -> int:
    for name in args.containers:
        out.line(str(eng.wait(name)))
    return 0


def do_export(eng: Engine, args: Any, out: Output) -> int:
    if args.output:
        with open(args.output, "wb") as fh:
            eng.export(args.container, fh)
    else:
        eng.export(args.container, sys.stdout.buffer)
    return 0


def do_cp(eng: Engine, args: Any, out: Output) -> int:
    from ..engine.copy import copy_paths

    copy_paths(eng, args.source, args.dest)
    return 0


def do_import(eng: Engine, args: Any, out: Output) -> int:
    image = eng.import_image(args.file, args.reference, message=args.message, changes=args.change)
    out.line(image.id)
    return 0


def do_images(eng: Engine, args: Any, out: Output) -> int:
    rows = []
    for image in eng.images():
        iid = image.id if args.no_trunc else short_id(image.id)
        if args.quiet:
            out.line(iid)
            continue
        created = human_age(parse_time(image.config.get("created", "")))
        refs: list[Reference | None] = [parse_reference(r) for r in image.refs] or [None]
        for ref in refs:
            repo = ref.familiar.rsplit(":", 1)[0] if ref and ref.tag else "<none>"
            tag = ref.tag if ref and ref.tag else "<none>"
            rows.append([repo, tag, iid, created, human_size(image.size)])
    if not args.quiet:
        out.show(Table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows))
    return 0


def do_tag(eng: Engine, args: Any, out: Output) -> int:
    eng.tag(args.source, args.target)
    return 0


def do_rmi(eng: Engine, args: Any, out: Output) -> int:
    for name in args.images:
        for line in eng.rmi(name, force=args.force):
            out.line(line)
    return 0


def do_inspect(eng: Engine, args: Any, out: Output) -> int:
    out.line(json.dumps([eng.inspect(n) for n in args.names], indent=4))
    return 0


_FIELD = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


def _field(rec: dict[str, str], m: re.Match[str]) -> str:
    return str(rec.get(m.group(1), ""))


def do_history(eng: Engine, args: Any, out: Output) -> int:
    rows = eng.history(args.image)
    human = str(args.human).lower() not in ("false", "0", "no")
    records = []
    for r in rows:
        iid = r.image if r.image == "<missing>" or args.no_trunc else short_id(r.image)
        when = parse_time(r.created)
        records.append(
            {
                "ID": iid,
                "CreatedSince": human_age(when) if human else r.created,
                "CreatedAt": r.created,
                "CreatedBy": r.created_by,
                "Size": human_size(r.size) if human else str(r.size),
                "Comment": r.comment,
            }
        )
    if args.quiet:
        for rec in records:
            out.line(rec["ID"])
    elif args.format == "json":
        for rec in records:
            out.line(json.dumps(rec))
    elif args.format:
        for rec in records:
            out.line(_FIELD.sub(partial(_field, rec), args.format))
    else:
        table_rows = [
            [
                rec["ID"],
                rec["CreatedSince"],
                rec["CreatedBy"] if args.no_trunc else truncate(rec["CreatedBy"], 45),
                rec["Size"],
                rec["Comment"],
            ]
            for rec in records
        ]
        out.show(Table(["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"], table_rows))
    return 0


def do_save(eng: Engine, args: Any, out: Output) -> int:
    if not args.output:
        return _save_to_stdout(eng, args.images, out)
    tmp = args.output + f".tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            eng.save(args.images, fh)
        os.replace(tmp, args.output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return 0


def _save_to_stdout(eng: Engine, images: list[str], out: Output) -> int:
    if out.binary is None:
        raise UsageError("save: name a file with -o FILE (a notebook cell cannot hold an archive)")
    if out.binary.isatty():
        # Docker's refusal: a tar archive on a terminal is garbage and can upset it.
        raise UsageError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
    eng.save(images, out.binary)
    out.binary.flush()
    return 0


def do_load(eng: Engine, args: Any, out: Output) -> int:
    if args.input:
        lines = eng.load(args.input)
    else:
        lines = _load_from_stdin(eng, out)
    for line in lines:
        if not args.quiet:
            out.line(line)
    return 0


def _load_from_stdin(eng: Engine, out: Output) -> list[str]:
    source = out.binary_in
    if source is None:
        raise UsageError("load: name a file with -i FILE")
    if source.isatty():
        raise UsageError(
            "requested load from stdin, but stdin is empty: redirect an archive into it "
            "(load < FILE) or use -i FILE"
        )
    # The loader reads members out of order, so the stream is kept in the store's tmp/ first.
    fd, path = tempfile.mkstemp(dir=eng.store.tmp_dir, prefix=f"load-{os.getpid()}-")
    try:
        with os.fdopen(fd, "wb") as fh:
            shutil.copyfileobj(source, fh, 1 << 20)
        if os.path.getsize(path) == 0:
            raise UsageError("requested load from stdin, but stdin is empty")
        return eng.load(path, name="standard input")
    finally:
        os.unlink(path)


def do_info(eng: Engine, args: Any, out: Output) -> int:
    info = eng.info()
    probe = info.pop("probe")
    if args.format == "json":
        info["probe"] = probe.as_dict() if hasattr(probe, "as_dict") else str(probe)
        out.line(json.dumps(info, indent=2))
        return 0
    out.line(f"Store:       {info['root']}")
    out.line(f"Runtime:     {info['runtime']}")
    if info["cost"]:
        out.line(f"Cost:        {info['cost']}")
    out.line(f"Images:      {info['images']}")
    out.line(f"Containers:  {info['containers']}")
    out.line("Network:     host (the default), none, or a user network (`network create`)")
    if info["runtime"] in ("root", "userns"):
        from ..runtime.netns import outbound_problem

        problem = outbound_problem()
        out.line(
            "Outbound:    "
            + (
                f"none for user networks and published ports: {problem}"
                if problem
                else "slirp4netns for user networks and published ports (host at 10.0.2.2)"
            )
        )
    out.line("Backends:")
    out.line(str(probe))
    return 0


def do_system(eng: Engine, args: Any, out: Output) -> int:
    if args.system_verb == "check":
        report = eng.check()
        for problem in report.problems:
            out.line(f"problem: {problem}")
        for warning in report.warnings:
            out.line(f"warning: {warning}")
        out.line(
            f"checked {report.blobs} blobs, {report.images} image references, "
            f"{report.containers} containers: {'OK' if report.ok else 'PROBLEMS FOUND'}"
        )
        return 0 if report.ok else 1
    pr = eng.prune()
    out.line(
        f"Deleted {pr.images} dangling images, {pr.blobs} blobs, {pr.snapshots} snapshots, "
        f"{pr.tmp} temporary files"
    )
    out.line(f"Total reclaimed space: {human_size(pr.bytes_freed)}")
    return 0


HANDLERS: dict[str, Callable[[Engine, Any, Output], int]] = {
    "run": do_run,
    "create": do_create,
    "start": do_start,
    "exec": do_exec,
    "ps": do_ps,
    "rm": do_rm,
    "commit": do_commit,
    "diff": do_diff,
    "logs": do_logs,
    "stop": do_stop,
    "kill": do_kill,
    "wait": do_wait,
    "export": do_export,
    "cp": do_cp,
    "import": do_import,
    "images": do_images,
    "tag": do_tag,
    "rmi": do_rmi,
    "inspect": do_inspect,
    "history": do_history,
    "save": do_save,
    "load": do_load,
    "info": do_info,
    "system": do_system,
}
HANDLERS.update(_registry_handlers)
HANDLERS["build"] = build_verb.do_build
HANDLERS.update(VIEW_HANDLERS)
HANDLERS.update(MANAGEMENT_HANDLERS)
HANDLERS.update(_tutorial_handlers)
HANDLERS.update(_volume_handlers)
HANDLERS.update(_network_handlers)
HANDLERS.update(_compose_handlers)
HANDLERS.update(_web_handlers)
HANDLERS.update(_update_handlers)
HANDLERS["port"] = do_port
