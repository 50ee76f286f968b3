"""A real HTTP webhook receiver on 127.0.0.1 (a thread), for tests that need a socket."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


class LocalReceiver:
    """Records every POST (headers, body); answers the statuses in `answers`, then 204."""

    def __init__(self, answers: list[int] | None = None) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.answers = list(answers or [])
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.got.append((dict(self.headers), body))
                status = owner.answers.pop(0) if owner.answers else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])

    def __enter__(self) -> LocalReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
