"""Kore.ai's "Historical Agent Status Summary": seconds per agent, interval and status, the
optional cross-check of the exact spans of Agent Status Details.

    POST {host}/agentassist/api/public/analytics/1.1/account/{accountId}/userstatus
         ?limit=50&offset=N   (headers auth, iId; "SmartAssist Analytics")
    {"filter": {"agents": [...], "dateFilter": {"startDate", "endDate", "timeZoneOffSet"}},
     "granularity": "PT15M"}
    -> {"hasMore", "limit", "offset", "data": [{userId, firstName, lastName, email, customId,
        timeInterval: [{startTime, endTime (UTC, ...Z), status: [{metric ("AgentStatus" |
        "AgentState"), value ("Available", "Available:Idle", ...), stats: {sum: "919 sec"}}]}]}]}

The page's path has ``/1.1`` (the sample omits it: :data:`USERSTATUS` asks the documented path;
:data:`USERSTATUS_SAMPLE` the sample's). The summary names agents by ``userId`` only, so it is
compared with ``agent_status_history.user_id``: :func:`compare` says where its
``AgentStatus`` seconds and the spans disagree, and :mod:`pipelines.polling.summary_check`
stores both totals per agent, interval and status (``status_summary_checks``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipelines.kore.client import Call, KoreClient, run_sync
from pipelines.kore.errors import KoreInvalidResponseError
from pipelines.kore.payload import load_json_body, text_or_none
from pipelines.kore.planner import PRIORITY_LATER
from pipelines.kore.statusdays import DayAsk
from pipelines.kore.statusdetails import STATUS_DETAILS_SCOPE, status_request
from pipelines.kore.transport import Endpoint, Request

__all__ = [
    "GRANULARITIES",
    "USERSTATUS",
    "USERSTATUS_SAMPLE",
    "KoreUserStatusClient",
    "SummaryRow",
    "compare",
    "parse_summary_page",
    "summary_request",
]

PAYLOAD = "a Historical Agent Status Summary page"
GRANULARITIES = ("PT15M", "PT30M", "PT1H", "PT2H", "PT4H", "PT8H", "PT12H", "PT24H")
_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:sec|secs|seconds|s)?\s*$", re.I)


@dataclass(frozen=True)
class SummaryRow:
    """One ``status[]`` item of one interval of one agent."""

    user_id: str
    interval_start: datetime
    interval_end: datetime
    metric: str
    value: str
    seconds: float


@dataclass(frozen=True)
class SummaryPage:
    has_more: bool | None
    agents: int
    rows: tuple[SummaryRow, ...]


class _RowError(KoreInvalidResponseError):
    pass


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = _SECONDS.match(value) if isinstance(value, str) else None
    if match is None:
        raise _RowError(f"{where}: 'stats.sum' is not '<n> sec', got {value!r:.60}")
    return float(match.group(1))


def _time(value: Any, field: str, where: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise _RowError(f"{where}: {field!r} is not an ISO-8601 time, got {value!r:.60}") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _rows(item: Any, index: int) -> list[SummaryRow]:
    where = f"data[{index}]"
    if not isinstance(item, dict) or text_or_none(item.get("userId")) is None:
        raise _RowError(f"{where}: 'userId' is missing (every row needs its agent)")
    user = str(item["userId"])
    rows = []
    for n, interval in enumerate(item.get("timeInterval") or []):
        at = f"{where} (user {user!r}).timeInterval[{n}]"
        if not isinstance(interval, dict):
            raise _RowError(f"{at} should be an object")
        start = _time(interval.get("startTime"), "startTime", at)
        end = _time(interval.get("endTime"), "endTime", at)
        for k, status in enumerate(interval.get("status") or []):
            place = f"{at}.status[{k}]"
            if not isinstance(status, dict):
                raise _RowError(f"{place} should be an object")
            metric, value = text_or_none(status.get("metric")), text_or_none(status.get("value"))
            if metric is None or value is None:
                raise _RowError(f"{place}: 'metric' and 'value' are required")
            stats = status.get("stats") if isinstance(status.get("stats"), dict) else {}
            seconds = _seconds(stats.get("sum"), place)
            rows.append(SummaryRow(user, start, end, metric, value, seconds))
    return rows


def parse_summary_page(text: str) -> tuple[SummaryPage, str]:
    """A summary page and the text to store (the body itself)."""
    data = load_json_body(text, PAYLOAD)
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise KoreInvalidResponseError(f"expected an object with a 'data' list; not {PAYLOAD}")
    rows = [row for n, item in enumerate(items) for row in _rows(item, n)]
    more = data.get("hasMore")
    return SummaryPage(more if isinstance(more, bool) else None, len(items), tuple(rows)), text


USERSTATUS = Endpoint(
    name="userstatus",
    method="POST",
    path="userstatus",
    payload=PAYLOAD,
    parse=parse_summary_page,
    api_scope=STATUS_DETAILS_SCOPE,
    analytics=True,
    analytics_version="1.1",
)
USERSTATUS_SAMPLE = Endpoint(
    name="userstatus",
    method="POST",
    path="userstatus",
    payload=PAYLOAD,
    parse=parse_summary_page,
    api_scope=STATUS_DETAILS_SCOPE,
    analytics=True,
)


def summary_request(ask: DayAsk, offset: int, limit: int, granularity: str = "PT15M") -> Request:
    """The same dates and offset as the day's status details, with a granularity."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    base = status_request(ask, offset, limit)
    return Request(
        key=base.key,
        subject=f"userstatus {ask.day} offset {offset}",
        body={**base.body, "granularity": granularity},
        params=base.params,
    )


def compare(
    rows: Iterable[SummaryRow],
    spans: Iterable[tuple[str, str, datetime, datetime]],
    tolerance_s: float = 1.0,
) -> list[tuple[str, datetime, str, float, float]]:
    """(user, interval start, bucket, summary seconds, span seconds) wherever the summary's
    ``AgentStatus`` seconds and the spans' (user_id, bucket, start, end) differ by more than
    ``tolerance_s`` ("919 sec" is rounded), over the intervals the summary lists."""
    summary: dict[tuple[str, datetime, str], float] = defaultdict(float)
    intervals: dict[str, set[tuple[datetime, datetime]]] = defaultdict(set)
    for row in rows:
        intervals[row.user_id].add((row.interval_start, row.interval_end))
        if row.metric == "AgentStatus":
            summary[(row.user_id, row.interval_start, row.value.upper())] += row.seconds
    exact: dict[tuple[str, datetime, str], float] = defaultdict(float)
    for user, bucket, start, end in spans:
        for lo, hi in intervals.get(user, ()):
            overlap = (min(end, hi) - max(start, lo)).total_seconds()
            if overlap > 0 and bucket != "OFFLINE":
                exact[(user, lo, bucket)] += overlap
    off = []
    for key in sorted(set(summary) | set(exact)):
        said, seen = summary.get(key, 0.0), exact.get(key, 0.0)
        if abs(said - seen) > tolerance_s:
            off.append((*key, said, seen))
    return off


class KoreUserStatusClient(KoreClient):
    """Reads summary pages at PRIORITY_LATER; ``sample_path`` asks without ``/1.1``."""

    def pages_sync(
        self,
        ask: DayAsk,
        offsets: Sequence[int],
        limit: int = 50,
        granularity: str = "PT15M",
        *,
        sample_path: bool = False,
        priority: int = PRIORITY_LATER,
    ) -> list[Call]:
        endpoint = USERSTATUS_SAMPLE if sample_path else USERSTATUS
        requests = [summary_request(ask, o, limit, granularity) for o in offsets]
        return run_sync(self.call_many(endpoint, requests, priority=priority))
