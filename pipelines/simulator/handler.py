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
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from pipelines.simulator.auth import JwtError
from pipelines.simulator.callvolume_route import serve_callvolume
from pipelines.simulator.config import API_SCOPES
from pipelines.simulator.debug import serve_debug
from pipelines.simulator.faults import FaultDraw, mutate
from pipelines.simulator.history_routes import serve_history
from pipelines.simulator.listing import (
    agent_queues,
    listing_page,
    parse_page,
    parse_queues_agents,
    queue_agents,
)
from pipelines.simulator.model import BadRequestError, Simulator

if TYPE_CHECKING:
    from pipelines.simulator.server import _HttpServer

__all__ = ["RATE_LIMIT_MESSAGE"]

RATE_LIMIT_MESSAGE = (
    "You've exceeded the per-minute rate limit. Please wait for sometime before retrying."
)

_PUBLIC = r"^/agentassist/api/v1/public/([^/]+)"
# route name -> (path pattern, method, the API scope the app needs)
_ROUTES: dict[str, tuple[re.Pattern[str], str, str]] = {
    "availability": (re.compile(_PUBLIC + r"/agents/availability/?$"), "POST", "configuration"),
    "agents": (
        re.compile(_PUBLIC + r"/organizations/([^/]+)/agents/?$"),
        "GET",
        "smartassist_analytics",
    ),
    "queues_agents": (re.compile(_PUBLIC + r"/queues/agents/?$"), "POST", "configuration"),
    # The analytics family names the account in the path and the bot in the iId header.
    "callvolume": (
        re.compile(r"^/agentassist/api/public/analytics/account/([^/]+)/callvolume/?$"),
        "POST",
        "wfm_integration",
    ),
    "agentstatusdetails": (
        re.compile(r"^/agentassist/api/public/analytics/account/([^/]+)/v3/agentstatusdetails/?$"),
        "POST",
        "smartassist_analytics",
    ),
    # The docs' endpoint has /1.1/, their sample not: both are served.
    "userstatus": (
        re.compile(r"^/agentassist/api/public/analytics/(?:1\.1/)?account/([^/]+)/userstatus/?$"),
        "POST",
        "smartassist_analytics",
    ),
}
_ANALYTICS = frozenset({"callvolume", "agentstatusdetails", "userstatus"})
_MAX_BODY_BYTES = 1 << 20
# After refusing a body: how much of the rest is read and dropped, and for how long at most.
_LINGER_BYTES = 16 << 20
_LINGER_SECONDS = 5.0


def _chunk_size(line: bytes) -> int | None:
    """A chunk's size line as a number of bytes; None unless it is plain hex digits."""
    digits = line.split(b";")[0].strip()
    if not digits or len(digits) > 16 or not all(c in b"0123456789abcdefABCDEF" for c in digits):
        return None
    return int(digits, 16)


def errors(msg: str, code: int) -> dict[str, Any]:
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
    _route: str | None = None  # the Kore endpoint being answered (counted), else None
    _path = ""

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
                size = _chunk_size(line)
                if size is None:  # "-1", "-0x5", garbage: no size to trust, no cap to keep
                    return self._refuse_body(400, "invalid chunk size")
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                size_total += size
                if size_total > _MAX_BODY_BYTES:
                    return self._refuse_body(413, "request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._refuse_body(400, "invalid Content-Length")
        if length > _MAX_BODY_BYTES:
            return self._refuse_body(413, "request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _refuse_body(self, status: int, msg: str) -> None:
        """Answer a body that will not be read, then close the way HTTP servers do.

        Closing a socket with unread input sends a reset, which can destroy the answer before
        the client reads it; so the sending side is shut first and what the client still sends
        is read and dropped, bounded in bytes and time.
        """
        self.close_connection = True
        self._fail(status, msg)
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(_LINGER_SECONDS)
            left = _LINGER_BYTES
            while left > 0 and (data := self.connection.recv(min(1 << 16, left))):
                left -= len(data)
        except OSError:
            pass  # the client is gone or slow: it had its chance to read the answer
        return None

    def _send_bytes(
        self,
        status: int,
        payload: bytes,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._status_sent = status
        if self._route is not None:
            # Counted before the bytes leave, so a client that has its answer sees the count.
            self.server.owner._count(self._route, self.command, self._path, status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def _fail(self, status: int, msg: str) -> None:
        """A Kore-shaped error answer whose code is the HTTP status."""
        self._send_json(status, errors(msg, status))

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        self._send_bytes(status, payload, headers=headers)

    def _dispatch(self, method: str) -> None:
        self._status_sent = 0
        url = urlsplit(self.path)
        self._path, self._route, match = url.path, None, None
        for name, (pattern, _, _) in _ROUTES.items():
            match = pattern.match(url.path)
            if match:
                self._route = name
                break
        body = self._read_body()
        if body is None:
            return
        try:
            if match and self._route is not None:
                _, allowed, api_scope = _ROUTES[self._route]
                if method != allowed:
                    self._send_json(405, errors(f"Method {method} not allowed", 405))
                elif self._admit(match.group(1), api_scope):
                    if self._route == "availability":
                        self._availability(body)
                    elif self._route == "agents":
                        self._listing(match.group(2), url.query)
                    elif self._route == "callvolume":
                        serve_callvolume(self, body)
                    elif self._route in ("agentstatusdetails", "userstatus"):
                        serve_history(self, body, url.query)
                    else:
                        self._queues_agents(body)
            elif url.path.startswith("/debug/"):
                serve_debug(self, method, url.path, url.query, body)
            else:
                self._send_json(404, errors(f"Not found: {url.path}", 404))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # answer rather than drop the connection; never echo request data
            if not self._status_sent:
                self._send_json(500, errors("Internal Server Error", 500))

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    # ---- the availability endpoint -----------------------------------------------------------

    def _admit(self, path_id: str, api_scope: str) -> bool:
        """Kore's checks, in order: bot, JWT, account, API scope, then the account's one rate
        budget (every endpoint counts in the same window). The ``/v1/public/`` family names
        the bot in the path and the account in the ``accountId`` header; the analytics family
        the account in the path and the bot in the ``iId`` header. False once refused and
        answered."""
        owner = self.server.owner
        config = owner.config
        analytics = self._route in _ANALYTICS
        if not analytics and path_id != config.bot_id:
            self._send_json(404, errors(f"Bot not found: {path_id}", 404))
            return False
        token = self.headers.get("auth")
        if not token:
            self._send_json(401, errors("error verifying the jwt: jwt must be provided", 401))
            return False
        try:
            owner._auth.verify(token)
        except JwtError as exc:
            self._send_json(401, errors(f"error verifying the jwt: {exc}", 401))
            return False
        header, expected = ("iId", config.bot_id) if analytics else ("accountId", config.account_id)
        value = self.headers.get(header)
        if not value:
            self._send_json(400, errors(f"{header} header is required", 400))
            return False
        if value != expected or (analytics and path_id != config.account_id):
            self._send_json(401, errors("Invalid SDK credentials", 4002))
            return False
        account = config.account_id
        if api_scope in config.missing_api_scopes:
            msg = f"The app is not authorized for the API scope '{API_SCOPES[api_scope]}'"
            self._send_json(403, errors(msg, 403))
            return False
        wait = owner._take_rate_slot(account)
        if wait is not None:
            headers = {"Retry-After": str(wait)} if config.retry_after_header else None
            self._send_json(429, errors(RATE_LIMIT_MESSAGE, 429), headers)
            return False
        return True

    def _availability(self, raw: bytes) -> None:
        owner = self.server.owner
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            Simulator.parse_filter(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._send_json(400, errors("request body is not valid JSON", 400))
            return
        except BadRequestError as exc:
            self._send_json(400, errors(str(exc), 400))
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

    # ---- the membership endpoints --------------------------------------------------------------

    def _route_faults(self) -> bool:
        """Latency and injected errors for a membership endpoint, only when ``faults.scopes``
        names it (``route:agents``, ``route:queues_agents``); True once answered."""
        owner = self.server.owner
        key = f"route:{self._route}"
        if key not in owner.config.faults.scopes:
            return False
        draw = owner._injector.draw(key)
        if draw.latency_ms > 0:
            time.sleep(draw.latency_ms / 1000.0)
        if draw.error_status is not None:
            self._send_fault(draw)
            return True
        return False

    def _listing(self, org_id: str, query: str) -> None:
        owner = self.server.owner
        if org_id != owner.config.org_id:
            self._send_json(404, errors(f"Organization not found: {org_id}", 404))
            return
        try:
            page, include_queues = parse_page(parse_qs(query))
        except BadRequestError as exc:
            self._send_json(400, errors(str(exc), 400))
            return
        if self._route_faults():
            return
        sim = owner.simulator
        self._send_json(200, listing_page(sim, page, include_queues, sim.now()))

    def _queues_agents(self, raw: bytes) -> None:
        try:
            key, ids = parse_queues_agents(json.loads(raw.decode("utf-8")) if raw.strip() else {})
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._send_json(400, errors("request body is not valid JSON", 400))
            return
        except BadRequestError as exc:
            self._send_json(400, errors(str(exc), 400))
            return
        if self._route_faults():
            return
        sim = self.server.owner.simulator
        at = sim.now()
        if key == "queueIds":
            self._send_json(200, queue_agents(sim, ids, at))
        else:
            self._send_json(200, agent_queues(sim, ids, at))

    def _send_then_reset(self, payload: bytes) -> None:
        """Promise the whole body, send half, then reset the connection (RST, not FIN)."""
        self._status_sent = 200
        self.server.owner._count("availability", self.command, self._path, 200)
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
            self._send_json(429, errors(RATE_LIMIT_MESSAGE, 429), headers)
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
        self._send_json(status, errors(messages.get(status, f"Error {status}"), status))
