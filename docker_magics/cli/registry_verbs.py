"""CLI verbs for registries and base images: pull, push, login, logout, bootstrap.

`register(sub, verb)` adds the parsers (called from `parsers.build_parser`); `HANDLERS` maps each
verb to its handler (merged into `commands.HANDLERS`). Progress goes through ``out.transfer``:
Docker's lines on stdout in a terminal (one per layer state change), a live view in a notebook.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any

from ..engine.standins import STAND_IN_LABEL, catalogue_names
from ..errors import ImageReferenceError, NotFoundError, RegistryError, UsageError
from ..oci.reference import parse_reference

__all__ = ["register", "HANDLERS", "pull_missing"]


def register(sub: argparse._SubParsersAction, verb: Callable[..., argparse.ArgumentParser]) -> None:
    p = verb(sub, "pull", "Download an image from a registry (verified, then tagged)")
    p.add_argument("name", help="NAME[:TAG|@DIGEST], e.g. debian:bookworm or host:5000/app:1")
    p.add_argument("--platform", help="os/arch[/variant] (default: this machine's)")
    p.add_argument(
        "--registry-mirror",
        action="append",
        default=[],
        metavar="URL",
        help="try this mirror first for Docker Hub images (repeatable)",
    )
    _insecure(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only the image name")
    p = verb(sub, "push", "Upload an image to a registry")
    p.add_argument("name", help="a local image tagged with the registry, e.g. host:5000/app:1")
    _insecure(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only the digest")
    p = verb(sub, "login", "Save credentials for a registry in ~/.docker/config.json")
    p.add_argument("server", nargs="?", help="registry host (default: Docker Hub)")
    p.add_argument("-u", "--username")
    p.add_argument("-p", "--password", help="insecure on a shared machine; prefer stdin")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p = verb(sub, "logout", "Remove saved credentials for a registry")
    p.add_argument("server", nargs="?", help="registry host (default: Docker Hub)")
    p = verb(
        sub,
        "bootstrap",
        "Make a base image here, without a registry: a stand-in for an official image "
        f"({', '.join(catalogue_names())}), or any Debian suite with --suite",
    )
    p.add_argument("reference", nargs="?", default="debian:bookworm", help="the image to make")
    p.add_argument("--suite", help="any Debian suite, by mmdebstrap (not a catalogue stand-in)")
    p.add_argument("--variant", help="mmdebstrap variant with --suite (default minbase)")
    p.add_argument("--refresh", action="store_true", help="make it again, not from the cache")


def _insecure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--insecure-registry",
        action="append",
        default=[],
        metavar="HOST",
        help="talk plain HTTP to this host (loopback hosts always are)",
    )


def do_pull(eng: Any, args: Any, out: Any) -> int:
    ref = parse_reference(args.name)
    if not args.quiet:
        where = ref.familiar.rsplit(":", 1)[0] if ref.tag else ref.familiar
        out.line(f"{ref.tag or ref.digest}: Pulling from {where}")
    with out.transfer(f"Pulling {ref.familiar}", quiet=args.quiet) as sink:
        image = eng.pull(
            args.name,
            platform=args.platform,
            mirrors=args.registry_mirror,
            insecure=args.insecure_registry,
            progress=sink,
        )
        labels = (image.config.get("config") or {}).get("Labels") or {}
        stand_in = STAND_IN_LABEL in labels  # nothing came from a registry: do not say "Pulled"
        sink.done(f"Ready: {ref.familiar}" if stand_in else f"Pulled {ref.familiar}")
    if args.quiet:
        out.line(ref.familiar)
        return 0
    out.line(f"Digest: {image.manifest_digest}")
    out.line(f"Status: {_status(image, ref.familiar, 'Image is up to date for')}")
    return 0


def _status(image: Any, name: str, pulled: str) -> str:
    labels = (image.config.get("config") or {}).get("Labels") or {}
    if STAND_IN_LABEL in labels:
        return f"a stand-in made here for {name} (docker-magics bootstrap)"
    return f"{pulled} {name}"


def pull_missing(eng: Any, name: str, out: Any) -> None:
    """`run`/`create` of an image that is not here: pull it first with its progress shown (as
    `docker run` does) instead of a silent wait. Names that are no reference are left to the
    engine, which says "no such image"."""
    try:
        eng.image(name)
        return
    except NotFoundError:
        pass
    bare = name.strip().removeprefix("sha256:")
    if name.startswith("sha256:") or (
        len(bare) == 64 and all(c in "0123456789abcdef" for c in bare)
    ):
        return
    try:
        ref = parse_reference(name)
    except ImageReferenceError:
        return
    out.line(f"Unable to find image '{ref.familiar}' locally")
    where = ref.familiar.rsplit(":", 1)[0] if ref.tag else ref.familiar
    out.line(f"{ref.tag or ref.digest}: Pulling from {where}")
    with out.transfer(f"Pulling {ref.familiar}") as sink:
        try:
            image = eng.pull(name, progress=sink)
        except RegistryError as exc:  # the error's first words say what the user asked for
            raise RegistryError(f"no such image locally: {ref.familiar}; {exc}") from None
        sink.done(f"Pulled {ref.familiar}")
    out.line(f"Digest: {image.manifest_digest}")
    out.line(f"Status: {_status(image, ref.familiar, 'Downloaded newer image for')}")


def do_push(eng: Any, args: Any, out: Any) -> int:
    ref = parse_reference(args.name)
    if not args.quiet:
        out.line(f"The push refers to repository [{ref.name}]")
    with out.transfer(f"Pushing {ref.familiar}", quiet=args.quiet) as sink:
        result = eng.push(args.name, insecure=args.insecure_registry, progress=sink)
        sink.done(f"Pushed {ref.familiar}")
    if args.quiet:
        out.line(result.digest)
    else:
        out.line(f"{ref.tag or ref.digest}: digest: {result.digest} size: {result.size}")
    return 0


def do_login(eng: Any, args: Any, out: Any) -> int:
    password = args.password
    if args.password_stdin:
        if password:
            raise UsageError("--password and --password-stdin are mutually exclusive")
        password = sys.stdin.readline().rstrip("\r\n")
    user = args.username
    if not user or password is None:
        if not sys.stdin.isatty():
            raise UsageError("login needs -u USER and a password (-p or --password-stdin)")
        user = user or input("Username: ")
        password = password if password is not None else getpass.getpass("Password: ")
    path = eng.login(args.server, user, password)
    out.line(f"Login Succeeded (credentials saved in {path})")
    return 0


def do_logout(eng: Any, args: Any, out: Any) -> int:
    server = args.server or "docker.io"
    if eng.logout(args.server):
        out.line(f"Removing login credentials for {server}")
    else:
        out.line(f"Not logged in to {server}")
    return 0


def do_bootstrap(eng: Any, args: Any, out: Any) -> int:
    # The same progress as a pull's: a live view in a notebook (its notes, then a summary or
    # "Interrupted: bootstrap of NAME"), indented lines on stdout in a terminal.
    with out.transfer(f"Bootstrap {args.reference}") as sink:
        image = eng.bootstrap(
            args.reference,
            suite=args.suite,
            variant=args.variant,
            refresh=args.refresh,
            log=sink.note,
        )
        sink.done(f"Ready: {args.reference} ({image.size / 1e6:.0f} MB)")
    labels = (image.config.get("config") or {}).get("Labels") or {}
    if "org.opencontainers.image.description" in labels:
        out.line(labels["org.opencontainers.image.description"])
    out.line(f"{args.reference}: {image.id} ({image.size / 1e6:.0f} MB)")
    return 0


HANDLERS: dict[str, Callable[[Any, Any, Any], int]] = {
    "pull": do_pull,
    "push": do_push,
    "login": do_login,
    "logout": do_logout,
    "bootstrap": do_bootstrap,
}
