"""Kore.ai's "Agent Status Details" (v3): every agent's exact status spans over some days.

    POST {host}/agentassist/api/public/analytics/account/{accountId}/v3/agentstatusdetails
         ?limit=50&offset=N   (headers auth, iId = the bot/stream ID; "SmartAssist Analytics")
    {"filter": {"agents": [e-mails, optional],
                "dateFilter": {"startDate", "endDate" (yyyy-mm-dd), "timeZoneOffSet"}}}
    -> {"hasMore", "limit", "offset", "data": [{userId, aId, firstName, lastName, email,
        customId, status: [{primaryStatus, secondaryStatus, startTime, endTime,
        duration "HH:MM:SS"}], events: [...]}]}

The documentation contradicts itself, and each contradiction is handled and recorded
(:meth:`DayAsk.assumptions`, stored with every page):

- ``timeZoneOffSet`` is minutes WEST of UTC (the sign inverted: -330 India, 300 New York);
- the sample sends ``dateFilter.date`` instead of startDate/endDate: KORE_STATUS_HISTORY_DATE_FIELD
  chooses (``range`` default, ``date`` the sample's), and ``endDate`` is taken as inclusive;
- ``iId`` is listed as a path parameter but the sample sends it as a header: a header it is
  (the analytics family's convention, :class:`~pipelines.kore.transport.Endpoint`);
- ``startTime``/``endTime`` carry no zone (the sample's 14:31 beside an event at 09:00Z reads
  as India time, the offset asked): a zone-less time is read at the FIXED offset that was
  asked; a time that does carry a zone is honoured and counted.

How a local day is asked (KORE_STATUS_HISTORY_ASK). ``utc`` (default): offset 0 and the UTC
dates the local day touches (two, unless the zone is UTC). Every timestamp is then plain UTC,
the window covers a 23- or 25-hour DST day whole, and it costs no extra request: Kore pages by
AGENT (50 a page), not by hour, so a two-date window only makes the bodies larger. ``local_noon``:
the day's own date at the offset of its local noon, as an operator would ask; a fixed offset
covers only 24 hours, so on the autumn DST day (25 hours) the window misses the first hour and
the dates are widened by one (with ``date`` they cannot be: ``covers_day`` is False and
says so). ``date`` always asks ``local_noon``: one UTC date never holds a local day. Either
way each span is clipped to the true local day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipelines.kore.client import Call, KoreClient, run_sync
from pipelines.kore.errors import KoreInvalidResponseError
from pipelines.kore.payload import flag, page_items, text_or_none
from pipelines.kore.planner import PRIORITY_LATER
from pipelines.kore.statusdays import ASK_MODES, DATE_FIELDS, DayAsk, inverted_offset, plan_day
from pipelines.kore.transport import Endpoint, Request

__all__ = [
    "ASK_MODES",
    "BUCKETS",
    "DATE_FIELDS",
    "MAX_PAGE_SIZE",
    "SOURCE",
    "STATED_DURATION_TOLERANCE_S",
    "STATUS_DETAILS",
    "STATUS_DETAILS_SCOPE",
    "AgentHistory",
    "DayAsk",
    "KoreStatusDetailsClient",
    "StatusEntry",
    "StatusPage",
    "inverted_offset",
    "parse_duration",
    "parse_status_page",
    "plan_day",
    "spans_of",
    "status_request",
]

STATUS_DETAILS_SCOPE = "SmartAssist Analytics"
PAYLOAD = "an Agent Status Details page"
SOURCE = "status_details_v3"
MAX_PAGE_SIZE = 50  # Kore: "Maximum: 50"
# "HH:MM:SS" drops fractions and start/end are to the second: 1 s apart is agreement.
STATED_DURATION_TOLERANCE_S = 1.0
BUCKETS = {"available": "AVAILABLE", "busy": "BUSY", "away": "AWAY", "offline": "OFFLINE"}
_DURATION = re.compile(r"^(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)$")


@dataclass(frozen=True)
class StatusEntry:
    """One ``status[]`` item as sent: times naive (no zone sent) or aware (one was)."""

    where: str
    bucket: str
    primary: str
    secondary: str | None
    start: datetime
    end: datetime | None
    stated_s: float | None


@dataclass(frozen=True)
class AgentHistory:
    """One ``data[]`` item: the agent and its entries (names and e-mail as sent)."""

    agent_id: str
    user_id: str | None
    email: str | None
    entries: tuple[StatusEntry, ...]


@dataclass(frozen=True)
class StatusPage:
    has_more: bool | None
    limit: int | None
    offset: int | None
    agents: tuple[AgentHistory, ...]


class _RowError(KoreInvalidResponseError):
    pass


def parse_duration(value: Any, where: str) -> float | None:
    """Seconds of ``"HH:MM:SS"`` (hours may pass 24), a number of seconds, or None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise _RowError(f"{where}: 'duration' is not HH:MM:SS, got {value!r:.60}")
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _time(value: Any, field: str, where: str, required: bool) -> datetime | None:
    if value is None or value == "":
        if required:
            raise _RowError(f"{where}: {field!r} is missing")
        return None
    if not isinstance(value, str):
        raise _RowError(f"{where}: {field!r} is not a string, got {value!r:.60}")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise _RowError(f"{where}: {field!r} is not an ISO-8601 time, got {value!r:.60}") from None


def _entry(item: Any, where: str) -> StatusEntry:
    if not isinstance(item, dict):
        raise _RowError(f"{where} should be an object, got {type(item).__name__}")
    primary = text_or_none(item.get("primaryStatus"))
    bucket = BUCKETS.get((primary or "").strip().lower())
    if bucket is None:
        raise _RowError(
            f"{where}: 'primaryStatus' must be Available, Busy, Away or Offline, "
            f"got {item.get('primaryStatus')!r:.60}"
        )
    start = _time(item.get("startTime"), "startTime", where, True)
    end = _time(item.get("endTime"), "endTime", where, False)
    assert start is not None
    if end is not None and (start.tzinfo is None) != (end.tzinfo is None):
        raise _RowError(f"{where}: one of 'startTime'/'endTime' has a zone, the other none")
    if end is not None and end < start:
        raise _RowError(f"{where}: 'endTime' is before 'startTime'")
    stated = parse_duration(item.get("duration"), where)
    secondary = text_or_none(item.get("secondaryStatus"))
    return StatusEntry(where, bucket, primary or "", secondary, start, end, stated)


def _agent(item: Any, index: int) -> AgentHistory:
    where = f"data[{index}]"
    if not isinstance(item, dict):
        raise _RowError(f"{where} should be an object, got {type(item).__name__}")
    agent_id = text_or_none(item.get("aId"))
    if agent_id is None:
        raise _RowError(f"{where}: 'aId' is missing (every row needs its agent)")
    where = f"{where} (agent {agent_id!r})"
    status = item.get("status")
    if status is None:
        status = []
    if not isinstance(status, list):
        raise _RowError(f"{where}: 'status' should be a list, got {type(status).__name__}")
    entries = tuple(_entry(s, f"{where}.status[{n}]") for n, s in enumerate(status))
    email = item.get("email")
    return AgentHistory(agent_id, text_or_none(item.get("userId")), email, entries)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_status_page(text: str) -> tuple[StatusPage, str]:
    """A page and the text to store (the body itself: events and unknown fields kept)."""
    data, items = page_items(text, PAYLOAD, "data")
    agents = tuple(_agent(item, n) for n, item in enumerate(items))
    page = StatusPage(
        flag(data.get("hasMore")), _int(data.get("limit")), _int(data.get("offset")), agents
    )
    return page, text


STATUS_DETAILS = Endpoint(
    name="agentstatusdetails",
    method="POST",
    path="v3/agentstatusdetails",
    payload=PAYLOAD,
    parse=parse_status_page,
    api_scope=STATUS_DETAILS_SCOPE,
    analytics=True,
)


# --------------------------------------------------------------------------------------------
# Asking for a local day
# --------------------------------------------------------------------------------------------


def status_request(
    ask: DayAsk, offset: int, limit: int, agents: Sequence[str] | None = None
) -> Request:
    """The request for one page (``offset``/``limit`` in the query string, as documented)."""
    if offset < 0 or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"offset must be >= 0 and limit 1..{MAX_PAGE_SIZE}, got {offset}, {limit}")
    if ask.date_field == "date":
        dates: dict[str, Any] = {"date": ask.start_date.isoformat()}
    else:
        dates = {"startDate": ask.start_date.isoformat(), "endDate": ask.end_date.isoformat()}
    body: dict[str, Any] = {"filter": {"dateFilter": {**dates, "timeZoneOffSet": ask.tz_offset}}}
    if agents:
        body["filter"]["agents"] = list(agents)
    return Request(
        key=f"offset:{offset}",
        subject=f"agentstatusdetails {ask.day} offset {offset}",
        body=body,
        params={"limit": str(limit), "offset": str(offset)},
    )


def _utc(at: datetime, ask: DayAsk) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=ask.fixed_zone)).astimezone(UTC)


def spans_of(page: StatusPage, ask: DayAsk) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The page's spans clipped to the local day (UTC), and counts for the assumptions:
    ``zoned`` (times that carried a zone), ``open_ends`` (no endTime: read as the window's
    end), ``disagreements`` (stated duration vs end - start), ``outside`` (spans with nothing
    inside the day)."""
    spans: list[dict[str, Any]] = []
    counts = {"zoned": 0, "open_ends": 0, "disagreements": 0, "outside": 0}
    for agent in page.agents:
        for entry in agent.entries:
            start = _utc(entry.start, ask)
            counts["zoned"] += entry.start.tzinfo is not None
            if entry.end is None:
                end = ask.window_end
                counts["open_ends"] += 1
            else:
                end = _utc(entry.end, ask)
            seconds = (end - start).total_seconds()
            disagrees = (
                entry.end is not None
                and entry.stated_s is not None
                and abs(entry.stated_s - seconds) > STATED_DURATION_TOLERANCE_S
            )
            counts["disagreements"] += disagrees
            lo, hi = max(start, ask.day_start), min(end, ask.day_end)
            if hi <= lo:
                counts["outside"] += 1
                continue
            spans.append(
                {
                    "agent_id": agent.agent_id,
                    "user_id": agent.user_id,
                    "email": agent.email,
                    "bucket": entry.bucket,
                    "secondary_status": entry.secondary,
                    "span_start": lo,
                    "span_end": hi,
                    "duration_stated_s": entry.stated_s,
                    "duration_disagrees": bool(disagrees),
                }
            )
    return spans, counts


class KoreStatusDetailsClient(KoreClient):
    """Reads Agent Status Details pages, each within the account's budget."""

    async def pages(
        self,
        ask: DayAsk,
        offsets: Sequence[int],
        limit: int = MAX_PAGE_SIZE,
        *,
        priority: int = PRIORITY_LATER,
    ) -> list[Call]:
        """Several pages at once, in order; a good call's ``value`` is its :class:`StatusPage`."""
        requests = [status_request(ask, offset, limit) for offset in offsets]
        return await self.call_many(STATUS_DETAILS, requests, priority=priority)

    def pages_sync(
        self,
        ask: DayAsk,
        offsets: Sequence[int],
        limit: int = MAX_PAGE_SIZE,
        *,
        priority: int = PRIORITY_LATER,
    ) -> list[Call]:
        """Blocking :meth:`pages`."""
        return run_sync(self.pages(ask, offsets, limit, priority=priority))
