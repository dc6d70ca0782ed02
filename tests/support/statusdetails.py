"""A tiny Agent Status Details (v3) server on 127.0.0.1 for the history tests (real HTTP).

It serves ``POST /agentassist/api/public/analytics/account/{accountId}/v3/agentstatusdetails``
as Kore documents it: ``auth`` and ``iId`` headers required, ``limit`` (at most 50) and
``offset`` in the query string counting AGENTS, ``filter.dateFilter`` with startDate/endDate
(inclusive) or the sample's ``date``, and ``timeZoneOffSet`` in minutes WEST of UTC. The
window is those dates at that fixed offset; each agent's spans that overlap it are clipped to
it and written WITHOUT a zone, in the fixed offset asked, with ``duration`` "HH:MM:SS".

Tests set ``agents`` (dicts with aId, userId, email, firstName, lastName) and ``spans``
(agent ID -> [(primaryStatus, secondaryStatus, start UTC, end UTC)]); ``mangle`` may rewrite
an answer (bad rows), ``missing_scope`` answers as Kore does without "SmartAssist Analytics".
Every request (query and body) is kept in ``requests``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from tests.support.loopback import JsonRouteServer

__all__ = ["PATH", "StatusDetailsServer", "day_of_spans", "hms"]

PATH = "/agentassist/api/public/analytics/account/{account}/v3/agentstatusdetails"
Span = tuple[str, str, datetime, datetime]


def hms(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class StatusDetailsServer(JsonRouteServer):
    """The server; use as a context manager. ``base_url`` is what KORE_HOST should be."""

    def __init__(self, account: str = "acct-1", bot: str = "st-bot"):
        self.account, self.bot = account, bot
        self.agents: list[dict[str, Any]] = []
        self.spans: dict[str, list[Span]] = {}
        self.missing_scope = False
        self.mangle: Callable[[dict[str, Any], dict[str, Any]], None] | None = None
        self.requests: list[dict[str, Any]] = []
        super().__init__(PATH.format(account=account))

    def answer(
        self, headers: Any, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if not headers.get("auth"):
            return 401, {"errors": [{"msg": "error verifying the jwt: jwt must be provided"}]}
        if headers.get("iId") != self.bot:
            return 400, {"errors": [{"msg": "invalid iId", "code": 400}]}
        if self.missing_scope:
            msg = "The app is not authorized for the API scope 'SmartAssist Analytics'"
            return 403, {"errors": [{"msg": msg, "code": 403}]}
        dates = (body.get("filter") or {}).get("dateFilter") or {}
        try:
            first = date.fromisoformat(dates.get("startDate") or dates["date"])
            last = date.fromisoformat(dates.get("endDate") or dates.get("date") or "")
            west = int(dates["timeZoneOffSet"])
        except (KeyError, ValueError, TypeError):
            return 400, {"errors": [{"msg": "dateFilter is invalid", "code": 400}]}
        limit = min(int(query.get("limit", "50")), 50)
        offset = int(query.get("offset", "0"))
        with self._lock:
            self.requests.append({"query": dict(query), "body": body})
            agents = list(self.agents)
        fixed = timezone(timedelta(minutes=-west))
        low = datetime.combine(first, time(0), fixed)
        high = datetime.combine(last + timedelta(days=1), time(0), fixed)
        data = []
        for agent in agents[offset : offset + limit]:
            status = []
            for primary, secondary, start, end in self.spans.get(agent["aId"], []):
                lo, hi = max(start, low), min(end, high)
                if hi <= lo:
                    continue
                status.append(
                    {
                        "primaryStatus": primary,
                        "secondaryStatus": secondary,
                        "startTime": lo.astimezone(fixed).strftime("%Y-%m-%dT%H:%M:%S"),
                        "endTime": hi.astimezone(fixed).strftime("%Y-%m-%dT%H:%M:%S"),
                        "duration": hms((hi - lo).total_seconds()),
                    }
                )
            events = [{"type": "entry", "at": "2026-01-01T00:00:00.000Z", "ip": "10.0.0.1"}]
            data.append({**agent, "customId": "", "status": status, "events": events})
        answer = {
            "hasMore": offset + limit < len(agents),
            "limit": limit,
            "offset": offset,
            "data": data,
        }
        if self.mangle is not None:
            self.mangle(answer, body)
        return 200, answer


def day_of_spans(
    agent_ids: list[str], start: datetime, end: datetime, step: timedelta
) -> dict[str, list[Span]]:
    """Contiguous spans per agent over ``[start, end)`` (UTC), cycling through the buckets
    with custom names, each agent shifted a little so boundaries differ."""
    cycle = [
        ("OFFLINE", "Offline"),
        ("AVAILABLE", "Available"),
        ("BUSY", "Training"),
        ("AWAY", "Break"),
        ("BUSY", "Busy"),
    ]
    out: dict[str, list[Span]] = {}
    for n, agent in enumerate(agent_ids):
        at = start.astimezone(UTC)
        spans: list[Span] = []
        k = n
        while at < end:
            length = step + timedelta(minutes=7 * (k % 5), seconds=13 * n)
            primary, secondary = cycle[k % len(cycle)]
            spans.append((primary, secondary, at, min(at + length, end)))
            at += length
            k += 1
        out[agent] = spans
    return out
