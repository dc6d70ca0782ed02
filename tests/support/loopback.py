"""A one-route JSON server on 127.0.0.1 for the Kore endpoint fixtures in tests/support.

The fixtures answer like Kore documents an endpoint, over real HTTP, so the client's headers,
paging and error handling are exercised; only the answer differs between them, so the
server, its thread and the request handler live here once.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

__all__ = ["JsonRouteServer"]


class JsonRouteServer:
    """Serves POST ``route`` (query string allowed); everything else is a 404.

    Subclasses implement :meth:`answer`. Use as a context manager; ``base_url`` is what
    KORE_HOST should be.
    """

    def __init__(self, route: str) -> None:
        self.route = route
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def answer(
        self, headers: Any, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """(status, JSON) for one request to the route."""
        raise NotImplementedError


def _handler(server: JsonRouteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            if parts.path != server.route:
                status, answer = 404, {"errors": [{"msg": "no such route", "code": 404}]}
            else:
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                status, answer = server.answer(self.headers, query, json.loads(raw or b"{}"))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
