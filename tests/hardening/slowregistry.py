"""A registry on 127.0.0.1 whose one image has a layer that trickles down (64 KiB every 50 ms, for
minutes): a pull of it is reliably still running when a test interrupts it."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading

from docker_magics.oci.image import host_platform

__all__ = ["SlowRegistry"]

LAYER_SIZE = 64 << 20
CHUNK = 64 << 10


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class SlowRegistry:
    def __init__(self) -> None:
        platform = host_platform()
        self.config = json.dumps(
            {
                "architecture": platform.get("architecture", "amd64"),
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]},
            }
        ).encode()
        self.layer_digest = "sha256:" + "1" * 64  # never fully sent, so never checked
        self.manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": _digest(self.config),
                    "size": len(self.config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": self.layer_digest,
                        "size": LAYER_SIZE,
                    }
                ],
            }
        ).encode()
        self.sending = threading.Event()  # the layer has started to come down
        self.closing = threading.Event()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        reg = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, body: bytes, ctype: str, head: bool = False) -> None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Docker-Content-Digest", _digest(body))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def do_HEAD(self) -> None:  # noqa: N802
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:  # noqa: N802
                if self.path == "/v2/":
                    self._send(b"{}", "application/json", head)
                elif self.path == "/v2/slow/img/manifests/1":
                    self._send(reg.manifest, "application/vnd.oci.image.manifest.v1+json", head)
                elif self.path.endswith(_digest(reg.config)):
                    self._send(reg.config, "application/octet-stream", head)
                elif self.path.endswith(reg.layer_digest):
                    self._trickle()
                else:
                    self.send_error(404)

            def _trickle(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(LAYER_SIZE))
                self.end_headers()
                try:
                    for _ in range(LAYER_SIZE // CHUNK):
                        self.wfile.write(b"\0" * CHUNK)
                        self.wfile.flush()
                        reg.sending.set()
                        if reg.closing.wait(0.05):
                            return
                except OSError:  # the client went away: what an interrupted pull does
                    return

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()
