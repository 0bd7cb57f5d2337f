"""`curl`: fetch a page from a web app in a container and show it (the notebook renders HTML
in a sandboxed frame); and the links to a container's published ports (``port_links``)."""

from __future__ import annotations

import argparse
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..engine.ports import bindings_of
from ..errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from ..api import Engine
    from ..display.web import PortLinks
    from ..store.containers import Container
    from .output import Output

__all__ = ["register", "HANDLERS", "port_links", "links_after"]


def register(sub: argparse._SubParsersAction, verb: Callable[..., argparse.ArgumentParser]) -> None:
    p = verb(sub, "curl", "Fetch a page from a container's published port and show it")
    p.add_argument("target", help="URL, or CONTAINER[:PORT][/PATH] (a published container port)")
    p.add_argument(
        "--wait", type=float, default=10.0, help="seconds to retry while nothing answers yet"
    )


def _resolve(eng: Engine, target: str) -> str:
    if target.startswith(("http://", "https://")):
        return target
    head, slash, path = target.partition("/")
    name, _, port = head.partition(":")
    bindings = bindings_of(eng.container(name).config)
    match = [b for b in bindings if not port or str(b[2]) == port]
    if not match:
        raise UsageError(
            f"container {name} publishes no port {port}: run it with -p HOST:{port or 'PORT'}"
        )
    ip = match[0][0] if match[0][0] not in ("0.0.0.0", "::") else "127.0.0.1"
    return f"http://{ip}:{match[0][1]}/{path}"


def _fetch(url: str, wait: float) -> tuple[int, str, str]:
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                body = resp.read(2_000_000)
                ctype = resp.headers.get("Content-Type", "text/plain")
                return (
                    resp.status,
                    ctype,
                    body.decode(resp.headers.get_content_charset() or "utf-8", "replace"),
                )
        except urllib.error.HTTPError as exc:
            return (
                exc.code,
                exc.headers.get("Content-Type", "text/plain"),
                exc.read().decode(errors="replace"),
            )
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            if time.monotonic() >= deadline:
                reason = getattr(exc, "reason", exc)
                raise UsageError(f"nothing answered at {url}: {reason}") from None
            time.sleep(0.2)


def do_curl(eng: Engine, args: Any, out: Output) -> int:
    from ..display.web import PageView

    url = _resolve(eng, args.target)
    status, ctype, body = _fetch(url, args.wait)
    out.show(PageView(url, status, ctype, body))
    return 0 if status < 400 else 22  # curl -f's code for an HTTP error


def port_links(containers: list[Container]) -> PortLinks | None:
    """Links to the published ports of ``containers`` (None when there are none)."""
    from ..display.web import PortLinks

    rows = [(c.name, cport, host) for c in containers for _ip, host, cport in bindings_of(c.config)]
    return PortLinks(rows) if rows else None


HANDLERS = {"curl": do_curl}


def links_after(eng: Engine, args: Any) -> PortLinks | None:
    """After `run -d -p`, `start` or `compose up` in a notebook: links to what was published."""
    if args.verb == "run" and getattr(args, "created", None):
        # Exactly the container this command made (do_run records it), even if it has
        # already ended: never the newest running one, which may be another.
        try:
            return port_links([eng.container(args.created)])
        except NotFoundError:  # `run -d --rm` of a command that already ended
            return None
    if args.verb == "compose" and args.compose_verb == "up":
        from ..compose.project import containers_of
        from .compose_verb import load_args

        return port_links(containers_of(eng, load_args(args).name))
    return None
