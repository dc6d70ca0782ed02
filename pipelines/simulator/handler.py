"""The HTTP request handler: Kore.ai's availability endpoint and the simulator's debug endpoints.

Answers follow Kore.ai's contract (status codes, error bodies, Retry-After); injected faults
are applied here, per request, as :mod:`pipelines.simulator.faults` draws them. Nothing from
a request (headers, body) is ever logged or echoed in an error.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from pipelines.net import is_loopback_host
from pipelines.simulator.auth import JwtError
from pipelines.simulator.faults import FaultDraw, mutate
from pipelines.simulator.model import BadRequestError, Simulator, as_utc

if TYPE_CHECKING:
    from pipelines.simulator.server import _HttpServer

__all__ = ["RATE_LIMIT_MESSAGE"]

RATE_LIMIT_MESSAGE = (
    "You've exceeded the per-minute rate limit. Please wait for sometime before retrying."
)

_AVAILABILITY_PATH = re.compile(r"^/agentassist/api/v1/public/([^/]+)/agents/availability/?$")
_MAX_BODY_BYTES = 1 << 20
_MAX_TRUTH_RANGE = timedelta(days=8)


def _errors(msg: str, code: int) -> dict[str, Any]:
    """A Kore-shaped error body."""
    return {"errors": [{"msg": msg, "code": code}]}


class _Handler(BaseHTTPRequestHandler):
    """One connection's requests: the availability endpoint as Kore.ai answers it, and the
    loopback-only ``/debug/*`` endpoints (health, roster, truth, faults, stats)."""

    protocol_version = "HTTP/1.1"
    server_version = "KoreSimulator/1.0"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    timeout = 120  # idle keep-alive connections release their thread eventually
    server: _HttpServer
    _status_sent = 0
    _counted_route = False

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silent: request lines carry nothing useful and headers must never reach a log."""

    # ---- plumbing ----------------------------------------------------------------------------

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 413/400 for an unusable one."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            size_total = 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                size_total += size
                if size_total > _MAX_BODY_BYTES:
                    self.close_connection = True
                    self._send_json(413, _errors("request body too large", 413))
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            self._send_json(400, _errors("invalid Content-Length", 400))
            return None
        if length > _MAX_BODY_BYTES:
            self.close_connection = True
            self._send_json(413, _errors("request body too large", 413))
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _send_bytes(
        self,
        status: int,
        payload: bytes,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._status_sent = status
        if self._counted_route:
            # Counted before the bytes leave, so a client that has its answer sees the count.
            self.server.owner._count(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        self._send_bytes(status, payload, headers=headers)

    def _dispatch(self, method: str) -> None:
        self._status_sent = 0
        url = urlsplit(self.path)
        match = _AVAILABILITY_PATH.match(url.path)
        self._counted_route = match is not None
        body = self._read_body()
        if body is None:
            return
        try:
            if match:
                if method != "POST":
                    self._send_json(405, _errors(f"Method {method} not allowed", 405))
                else:
                    self._availability(match.group(1), body)
            elif url.path.startswith("/debug/"):
                self._debug(method, url.path, url.query, body)
            else:
                self._send_json(404, _errors(f"Not found: {url.path}", 404))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # answer rather than drop the connection; never echo request data
            if not self._status_sent:
                self._send_json(500, _errors("Internal Server Error", 500))

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    # ---- the availability endpoint -----------------------------------------------------------

    def _availability(self, bot_id: str, raw: bytes) -> None:
        owner = self.server.owner
        config = owner.config
        if bot_id != config.bot_id:
            self._send_json(404, _errors(f"Bot not found: {bot_id}", 404))
            return
        token = self.headers.get("auth")
        if not token:
            self._send_json(401, _errors("error verifying the jwt: jwt must be provided", 401))
            return
        try:
            owner._auth.verify(token)
        except JwtError as exc:
            self._send_json(401, _errors(f"error verifying the jwt: {exc}", 401))
            return
        account = self.headers.get("accountId")
        if not account:
            self._send_json(400, _errors("accountId header is required", 400))
            return
        if account != config.account_id:
            self._send_json(401, _errors("Invalid SDK credentials", 4002))
            return
        wait = owner._take_rate_slot(account)
        if wait is not None:
            headers = {"Retry-After": str(wait)} if config.retry_after_header else None
            self._send_json(429, _errors(RATE_LIMIT_MESSAGE, 429), headers)
            return
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            Simulator.parse_filter(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._send_json(400, _errors("request body is not valid JSON", 400))
            return
        except BadRequestError as exc:
            self._send_json(400, _errors(str(exc), 400))
            return
        draw = owner._injector.draw(Simulator.scope_key_of(body))
        if draw.latency_ms > 0:
            time.sleep(draw.latency_ms / 1000.0)
        if draw.error_status is not None:
            self._send_fault(draw)
            return
        if "html" in draw.body:
            page = b"<!DOCTYPE html><html><body><h1>Please sign in</h1></body></html>"
            self._send_bytes(200, page, content_type="text/html; charset=utf-8")
            return
        response = owner.simulator.availability(body, owner.simulator.now())
        response = mutate(response, draw.body)
        payload = json.dumps(response, separators=(",", ":")).encode("utf-8")
        if draw.malformed or "truncate" in draw.body:
            payload = payload[: max(1, len(payload) // 2)]  # a cut-off body is never valid JSON
        if "reset" in draw.body:
            self._send_then_reset(payload)
            return
        self._send_bytes(200, payload)

    def _send_then_reset(self, payload: bytes) -> None:
        """Promise the whole body, send half, then reset the connection (RST, not FIN)."""
        self._status_sent = 200
        self.server.owner._count(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        self.close_connection = True
        sock = self.connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()

    def _send_fault(self, draw: FaultDraw) -> None:
        status = draw.error_status
        assert status is not None
        if status == 429:
            config = self.server.owner.config
            headers = None
            if config.retry_after_header and draw.retry_after_s is not None:
                headers = {"Retry-After": f"{draw.retry_after_s:g}"}
            self._send_json(429, _errors(RATE_LIMIT_MESSAGE, 429), headers)
            return
        messages = {
            401: f"error verifying the jwt: {draw.auth_error}",
            403: "Forbidden: the app's API scope does not allow this API",
            404: "Not Found",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }
        self._send_json(status, _errors(messages.get(status, f"Error {status}"), status))

    # ---- debug endpoints ---------------------------------------------------------------------

    def _debug(self, method: str, path: str, query: str, raw: bytes) -> None:
        if not is_loopback_host(str(self.client_address[0])):
            self._send_json(
                403, _errors("debug endpoints are served to loopback clients only", 403)
            )
            return
        owner = self.server.owner
        simulator = owner.simulator
        if path == "/debug/health" and method == "GET":
            self._send_json(200, {"ok": True})
        elif path == "/debug/roster" and method == "GET":
            self._send_json(200, owner.roster_document())
        elif path == "/debug/truth" and method == "GET":
            params = parse_qs(query)
            try:
                start = as_utc(datetime.fromisoformat(params["start"][0]))
                end = as_utc(datetime.fromisoformat(params["end"][0]))
                ids_param = params.get("agentIds", [""])[0]
                ids = [x for x in ids_param.split(",") if x] or None
                if end < start or end - start > _MAX_TRUTH_RANGE:
                    raise ValueError("end must be after start and at most 8 days later")
                spans = simulator.timeline(start, end, ids)
            except (KeyError, ValueError) as exc:
                msg = (
                    f"bad truth query: {exc}"
                    if not isinstance(exc, KeyError)
                    else (f"bad truth query: missing or unknown {exc}")
                )
                self._send_json(400, _errors(msg, 400))
                return
            self._send_json(
                200,
                {
                    "spans": [
                        {
                            "agentId": s.agent_id,
                            "start": s.start.isoformat(),
                            "end": s.end.isoformat(),
                            "bucket": s.bucket,
                            "detail": s.detail,
                        }
                        for s in spans
                    ]
                },
            )
        elif path == "/debug/faults" and method == "GET":
            self._send_json(200, owner.faults_document())
        elif path == "/debug/faults" and method == "POST":
            try:
                update = json.loads(raw.decode("utf-8") or "{}")
                owner.set_faults(update)
            except (UnicodeDecodeError, json.JSONDecodeError):
                self._send_json(400, _errors("request body is not valid JSON", 400))
                return
            except (TypeError, ValueError) as exc:
                self._send_json(400, _errors(str(exc), 400))
                return
            self._send_json(200, owner.faults_document())
        elif path == "/debug/stats" and method == "GET":
            counts = owner.requests_served
            self._send_json(
                200, {"total": counts.total, "byStatus": {str(k): v for k, v in counts.items()}}
            )
        else:
            self._send_json(404, _errors(f"Not found: {path}", 404))
