"""A webhook receiver on 127.0.0.1 for the alert tests: records every body it is sent, answers
the statuses it is told to, and can hold an answer until the test releases it.

Built on the one-route JSON server of ``loopback``; its route carries a token the way Slack's
and Teams' webhook URLs do, so a test can prove the token never reaches a log or a table.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from tests.support.loopback import JsonRouteServer

__all__ = ["WebhookReceiver"]


class WebhookReceiver(JsonRouteServer):
    """POST ``/hooks/<token>``: ``statuses`` are answered first, in order, then 200.

    ``hold`` (an Event), when set by the test, blocks every answer until it is set (or 60 s);
    ``arrived`` is set as soon as a request arrives, before any holding.
    """

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.token = secrets.token_hex(12)
        super().__init__(f"/hooks/T0/{self.token}")
        self.statuses = list(statuses or [])
        self.received: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        self.hold: threading.Event | None = None

    @property
    def url(self) -> str:
        return self.base_url + self.route

    def answer(
        self, headers: Any, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.received.append(body)
            status = self.statuses.pop(0) if self.statuses else 200
        self.arrived.set()
        if self.hold is not None:
            self.hold.wait(timeout=60)
        return status, {"ok": status < 300}
