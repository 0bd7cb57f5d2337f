"""A real HTTP file server on 127.0.0.1 for tests (http.server in a thread): ADD <url>."""

from __future__ import annotations

import http.server
import threading
from email.utils import formatdate


class FileServer:
    """Serves ``files`` ({path: (bytes, last_modified or None)}) and counts GET requests."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, int | None]] = {}
        self.gets: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.gets.append(self.path)
                entry = server.files.get(self.path)
                if entry is None:
                    self.send_error(404)
                    return
                body, mtime = entry
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                if mtime is not None:
                    self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
                self.end_headers()
                # In pieces, so that the client really streams.
                for i in range(0, len(body), 65536):
                    self.wfile.write(body[i : i + 65536])

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
