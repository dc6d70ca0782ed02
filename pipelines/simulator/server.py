"""The simulator as a real HTTP server: lifecycle, shared request state, and the debug documents.

:class:`SimulatorServer` owns the model, the rate windows, the request counts, the JWT checks
and the fault injector; handler threads (:mod:`pipelines.simulator.handler`) reach them through
it. Binds loopback by default; the CLI refuses any other address unless told otherwise.
"""

from __future__ import annotations

import contextlib
import math
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import ThreadingHTTPServer
from typing import Any

from pipelines.simulator.auth import JwtVerifier
from pipelines.simulator.config import SimulatorConfig
from pipelines.simulator.faults import FaultInjector, Faults
from pipelines.simulator.handler import _Handler
from pipelines.simulator.model import Simulator

__all__ = ["RequestRecord", "SimulatorServer", "StatusCounts"]

_LOG_LIMIT = 200_000  # the request log keeps the latest entries (a soak runs for hours)


class StatusCounts(dict[int, int]):
    """Snapshot of Kore API responses per HTTP status; a status never seen counts 0."""

    @property
    def total(self) -> int:
        """All requests counted here, whatever the status."""
        return sum(self.values())

    def __missing__(self, key: int) -> int:
        return 0


@dataclass(frozen=True)
class RequestRecord:
    """One answered Kore API request: when (model clock and wall clock), what, and the status.

    ``route`` is ``availability``, ``agents`` (List All Agents), ``queues_agents``,
    ``callvolume`` (Contact Volume), ``agentstatusdetails`` (Agent Status Details v3) or
    ``userstatus`` (Historical Agent Status Summary).
    """

    at: datetime
    wall: float
    method: str
    path: str
    route: str
    status: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "at": self.at.isoformat(),
            "wall": self.wall,
            "method": self.method,
            "path": self.path,
            "route": self.route,
            "status": self.status,
        }


class _HttpServer(ThreadingHTTPServer):
    """A threading server that knows its :class:`SimulatorServer` (the handler's state) and
    its open connections, so ``stop`` can drop idle keep-alive connections at once."""

    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: SimulatorServer):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), slow in sandboxes.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that hang up; terse otherwise (a traceback could echo headers)."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return
        print(f"kore simulator: request handler failed: {type(error).__name__}", file=sys.stderr)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
            self.connections.clear()
        for sock in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class SimulatorServer:
    """The simulator as a real HTTP server on loopback, run in a background thread."""

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self.config = config or SimulatorConfig()
        self.config.faults.validate()
        self.simulator = Simulator(self.config, clock=clock)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # guards the counts, the request log and rate windows
        self._counts: dict[int, int] = {}
        self._route_counts: dict[str, dict[int, int]] = {}
        self._log: deque[RequestRecord] = deque(maxlen=_LOG_LIMIT)
        self._windows: dict[str, deque[float]] = {}
        self._auth = JwtVerifier(self.config)
        self._injector = FaultInjector(self.config)

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SimulatorServer:
        """Bind and serve in a daemon thread; returns self so ``with X().start()`` reads well."""
        if self._httpd is not None:
            raise RuntimeError("simulator server already started")
        self._httpd = _HttpServer((self.config.host, self.config.port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"kore-simulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open keep-alive connections and release the port."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_open_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0``)."""
        if self._httpd is None:
            raise RuntimeError("simulator server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>``: what KORE_HOST should be set to."""
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def faults(self) -> Faults:
        """The live fault settings (mutate, or use ``set_faults`` to validate)."""
        return self.config.faults

    @property
    def requests_served(self) -> StatusCounts:
        """Snapshot of Kore API requests answered (every endpoint), per HTTP status."""
        with self._lock:
            return StatusCounts(self._counts)

    def requests_by_route(self) -> dict[str, StatusCounts]:
        """Per endpoint (``availability``, ``agents``, ``queues_agents``): counts per status."""
        with self._lock:
            return {route: StatusCounts(c) for route, c in self._route_counts.items()}

    @property
    def requests_log(self) -> list[RequestRecord]:
        """Every Kore API request answered (the latest 200,000), oldest first."""
        with self._lock:
            return list(self._log)

    def env(self, include_secret: bool = True) -> dict[str, str]:
        """Settings that point the pipeline at this simulator."""
        env = {
            "KORE_HOST": self.base_url,
            "KORE_BOT_ID": self.config.bot_id,
            "KORE_ACCOUNT_ID": self.config.account_id,
            "KORE_CLIENT_ID": self.config.client_id,
            "KORE_ORG_ID": self.config.org_id,
        }
        if include_secret:
            env["KORE_CLIENT_SECRET"] = self.config.client_secret
        return env

    # ---- state shared by handler threads -----------------------------------------------------

    def _count(self, route: str, method: str, path: str, status: int) -> None:
        record = RequestRecord(self.simulator.now(), time.time(), method, path, route, status)
        with self._lock:
            self._counts[status] = self._counts.get(status, 0) + 1
            per_route = self._route_counts.setdefault(route, {})
            per_route[status] = per_route.get(status, 0) + 1
            self._log.append(record)

    def _take_rate_slot(self, account: str) -> int | None:
        """Record a request; None if allowed, else seconds until the oldest slot frees.

        One window per account for every endpoint, so a 429 comes from their sum. The window
        follows the monotonic clock, or the model's with ``rate_clock="model"``.
        """
        limit = self.config.rate_limit_per_minute
        if not limit:
            return None
        if self.config.rate_clock == "model":
            now = self.simulator.now().timestamp()
        else:
            now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault(account, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= limit:
                return max(1, math.ceil(window[0] + 60.0 - now))
            window.append(now)
            return None

    # ---- run-time faults and the debug documents --------------------------------------------

    def set_faults(self, update: dict[str, Any]) -> Faults:
        """Change some or all fault settings at run time; validated before anything changes.

        Setting faults restarts the per-scope counts behind ``fail_first``.
        """
        return self._injector.update(update)

    def faults_document(self) -> dict[str, Any]:
        """The current fault settings as JSON."""
        return self._injector.document()

    def roster_document(self) -> dict[str, Any]:
        """Agents with their starting skills, queues and shift, plus the catalogue."""
        catalogue = self.simulator.catalogue
        return {
            "skills": [{"id": k, "name": v} for k, v in catalogue.skills.items()],
            "queues": [
                {"id": k, "name": name, "skills": list(skills)}
                for k, (name, skills) in catalogue.queues.items()
            ],
            "agents": [
                {
                    "agentId": a.agent_id,
                    **{k: v for k, v in a.kore_fields().items() if k != "_id"},
                    "skills": list(a.skills),
                    "queues": list(a.queues),
                    "shift": a.shift,
                }
                for a in self.simulator.roster
            ],
        }
