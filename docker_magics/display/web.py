"""Web apps in the notebook: links to published ports, and a fetched page.

Where a link points depends on where the notebook runs (``port_url``): behind JupyterHub or
Binder (``JUPYTERHUB_SERVICE_PREFIX`` set) a port is reachable only through jupyter-server-proxy
at ``<prefix>proxy/<port>/``; a server that has jupyter-server-proxy answers ``/proxy/<port>/``;
elsewhere the browser is on the same machine and ``http://localhost:PORT/`` works.
``DOCKER_MAGICS_PORT_URL`` (a template with ``{port}``) overrides all of these.

A fetched HTML page is shown in an ``<iframe sandbox>`` (no scripts, no same-origin access to
the notebook), other text as text.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass

from ._base import FONT, View, esc

__all__ = ["port_url", "PortLinks", "PageView"]


def port_url(port: int, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    template = env.get("DOCKER_MAGICS_PORT_URL")
    if template:
        return template.format(port=port)
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        return f"{prefix.rstrip('/')}/proxy/{port}/"
    if importlib.util.find_spec("jupyter_server_proxy") is not None:
        return f"/proxy/{port}/"
    return f"http://localhost:{port}/"


@dataclass(repr=False)
class PortLinks(View):
    """(container, container port, host port) rows, each with the link that reaches it."""

    rows: list[tuple[str, int, int]]

    def _url(self, host_port: int) -> str:
        return port_url(host_port)

    def to_html(self) -> str:
        items = "".join(
            f'<li><a href="{esc(self._url(h))}" target="_blank">{esc(self._url(h))}</a> '
            f"&rarr; {esc(name)} port {c}</li>"
            for name, c, h in self.rows
        )
        return f'<ul style="{FONT}">{items}</ul>'

    def to_text(self) -> str:
        return "\n".join(f"{self._url(h)} -> {name} port {c}" for name, c, h in self.rows)


@dataclass(repr=False)
class PageView(View):
    url: str
    status: int
    content_type: str
    body: str

    def to_html(self) -> str:
        head = f'<div style="{FONT}">{esc(self.url)}: {self.status} {esc(self.content_type)}</div>'
        if "html" in self.content_type:
            return (
                f'{head}<iframe sandbox="" srcdoc="{esc(self.body)}" '
                'style="width:100%;height:320px;border:1px solid #d0d7de;background:#fff">'
                "</iframe>"
            )
        return f"{head}<pre>{esc(self.body)}</pre>"

    def to_text(self) -> str:
        return self.body
