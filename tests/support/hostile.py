"""A loopback HTTP server that answers each scope its own way, for hostile-answer tests.

``answers`` maps a skill ID to (status, headers, body); any other skill gets a good answer
listing one agent. Bodies are sent as given (``Content-Length`` unless a header says
``Transfer-Encoding: chunked``), so tests can serve what no honest server would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pipelines.kore import KoreSettings

Answer = tuple[int, Mapping[str, str], bytes]


def good_body(agent_id: str = "a-1") -> bytes:
    return json.dumps({"AVAILABLE": [{"_id": agent_id, "userId": "u"}], "BUSY": []}).encode()


class _Handler(BaseHTTPRequestHandler):
    answers: Mapping[str, Answer] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        try:
            skill = (json.loads(self.rfile.read(length) or b"{}").get("skillIds") or [""])[0]
        except (ValueError, AttributeError):
            skill = ""
        status, headers, payload = self.server.answers.get(  # type: ignore[attr-defined]
            skill, (200, {"Content-Type": "application/json"}, good_body(f"a-{skill}"))
        )
        try:
            self.send_response(status)
            chunked = any(
                k.lower() == "transfer-encoding" and "chunked" in v.lower()
                for k, v in headers.items()
            )
            for name, value in headers.items():
                self.send_header(name, value)
            if not chunked:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if chunked:
                step = 1 << 16
                for i in range(0, len(payload), step):
                    piece = payload[i : i + step]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def serving(answers: Mapping[str, Answer]) -> Iterator[str]:
    """A server on 127.0.0.1 answering ``answers``; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.answers = answers  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def hostile_settings(host: str, **overrides: Any) -> KoreSettings:
    """Settings for :func:`serving`'s server: one quick attempt, a short deadline."""
    values: dict[str, Any] = {
        "host": host,
        "bot_id": "st-1",
        "account_id": "acct",
        "client_id": "cs-1",
        "client_secret": "s" * 32,
        "max_attempts": 1,
        "backoff_base_s": 0.01,
        "backoff_cap_s": 0.02,
        "tick_deadline_s": 30,
        "rate_limit_per_minute": 10_000,
        **overrides,
    }
    return KoreSettings(**values)
