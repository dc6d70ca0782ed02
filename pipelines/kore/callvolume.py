"""Kore.ai's "Contact Volume": offered, answered and abandoned contacts per queue and interval.

    POST {host}/agentassist/api/public/analytics/account/{accountId}/callvolume
         (headers auth, iId = the bot/stream ID; API scope "WFM Integration")
    {"orgId", "fromTimeStamp" (optional on a first sync), "toTimeStamp", "skip", "limit",
     "includeSkillBreakdown"}
    -> {"hasMore", "totalCount", "CallVolumeUpdate": [...]}

Each ``CallVolumeUpdate`` is one 15-minute interval of one queue: counts (offered, answered,
abandoned, completed) and time TOTALS (handle, talk, after-call work, hold, queue wait of
answered and of abandoned contacts, and the two maxima; note Kore's lower-case q in
``maxqueueHoldTimeAbandoned``), plus, when asked, ``skillBreakdown[]`` with the same figures
per skill (a multi-skill contact counts once per skill). Times are kept as sent: which unit
they are in is :mod:`pipelines.kore.callvolume_units`' question.

The parser is defensive in both directions: a field it does not know is kept (the page's body
is stored whole), while a row it cannot read (no queue ID, a timestamp that is not ISO-8601, a
negative or non-numeric figure) refuses the page with an error naming the field and the row,
since dropping that row would leave a silent hole in demand. Every page reserves a send at
:data:`~pipelines.kore.planner.PRIORITY_LATER`: demand for forecasting is not urgent (a
15-minute schedule, restatements re-read anyway), so it must never take a slot from
availability, membership or the drift check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipelines.kore.client import Call, KoreClient, run_sync
from pipelines.kore.errors import KoreConfigError, KoreInvalidResponseError
from pipelines.kore.payload import flag, page_items, text_or_none
from pipelines.kore.planner import PRIORITY_LATER
from pipelines.kore.transport import Endpoint, Request

__all__ = [
    "CALLVOLUME",
    "CALLVOLUME_SCOPE",
    "COUNT_FIELDS",
    "TIME_FIELDS",
    "KoreVolumeClient",
    "VolumePage",
    "VolumeRow",
    "iso_z",
    "parse_volume_page",
    "volume_request",
]

CALLVOLUME_SCOPE = "WFM Integration"
PAYLOAD = "a Contact Volume page"
# Row attribute -> Kore's field. Counts are whole numbers >= 0; times numbers >= 0 (TOTALS per
# interval, the maxima excepted), in a unit the page does not say.
COUNT_FIELDS = {
    "offered": "offeredContacts",
    "answered": "answeredContacts",
    "abandoned": "abandonedContacts",
    "completed": "completedContacts",
}
TIME_FIELDS = {
    "handle": "conversationHandleTime",
    "talk": "conversationTalkTime",
    "acw": "acwDuration",
    "hold": "holdDuration",
    "wait_answered": "queueHoldTimeAnswered",
    "wait_abandoned": "queueHoldTimeAbandoned",
    "max_wait_answered": "maxQueueHoldTimeAnswered",
    "max_wait_abandoned": "maxqueueHoldTimeAbandoned",
}
# Spellings a later release might fix; read only when the documented one is absent.
_ALIASES = {"maxqueueHoldTimeAbandoned": "maxQueueHoldTimeAbandoned"}


@dataclass(frozen=True)
class VolumeRow:
    """One queue-level row (``skill_id`` "") or one of its skillBreakdown rows, times as sent."""

    queue_id: str
    skill_id: str
    interval_start: datetime
    interval_end: datetime
    queue_name: str | None
    skill_name: str | None
    source: str | None
    counts: dict[str, int | None]  # keys of COUNT_FIELDS
    times: dict[str, float | None]  # keys of TIME_FIELDS, in the source's unit

    @property
    def level(self) -> str:
        """``queue`` or ``skill``: Kore documents different time units for the two."""
        return "skill" if self.skill_id else "queue"


@dataclass(frozen=True)
class VolumePage:
    """One page: its rows, how many CallVolumeUpdate items they came from, and whether more
    follow (``has_more`` None when the answer did not say)."""

    has_more: bool | None
    total_count: int | None
    updates: int
    rows: tuple[VolumeRow, ...]


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


class _RowError(KoreInvalidResponseError):
    pass


def _where(index: int, item: dict[str, Any], skill: int | None = None) -> str:
    place = f"CallVolumeUpdate[{index}]"
    queue = text_or_none(item.get("queueId")) if isinstance(item, dict) else None
    start = item.get("intervalStartTimeStamp") if isinstance(item, dict) else None
    said = f" (queue {queue!r}, interval {start!r})" if queue else ""
    return f"{place}.skillBreakdown[{skill}]{said}" if skill is not None else f"{place}{said}"


def _timestamp(value: Any, field: str, where: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise _RowError(f"{where}: {field!r} is missing or not a string, got {value!r:.60}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _RowError(f"{where}: {field!r} is not an ISO-8601 time, got {value!r:.60}") from None
    # Kore writes ...Z; a time without a zone is read as UTC, like Kore's samples.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _number(value: Any, field: str, where: str, whole: bool) -> float | int | None:
    if value is None:
        return None
    number: float | int | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip():
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    kind = "a whole number >= 0" if whole else "a number >= 0"
    if number is None or not math.isfinite(number) or number < 0:
        raise _RowError(f"{where}: {field!r} must be {kind}, got {value!r:.60}")
    if whole:
        if number != int(number):
            raise _RowError(f"{where}: {field!r} must be {kind}, got {value!r:.60}")
        return int(number)
    return float(number)


def _figures(item: dict[str, Any], where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    counts = {k: _number(item.get(f), f, where, True) for k, f in COUNT_FIELDS.items()}
    times = {}
    for key, field in TIME_FIELDS.items():
        value = item.get(field)
        if value is None and field in _ALIASES:
            value = item.get(_ALIASES[field])
        times[key] = _number(value, field, where, False)
    return counts, times


def _queue_rows(item: Any, index: int) -> list[VolumeRow]:
    where = _where(index, item)
    if not isinstance(item, dict):
        raise _RowError(f"{where} should be an object, got {type(item).__name__}")
    queue_id = text_or_none(item.get("queueId"))
    if queue_id is None:
        raise _RowError(f"{where}: 'queueId' is missing (every row needs its queue)")
    start = _timestamp(item.get("intervalStartTimeStamp"), "intervalStartTimeStamp", where)
    end = _timestamp(item.get("intervalEndTimeStamp"), "intervalEndTimeStamp", where)
    if end <= start:
        raise _RowError(f"{where}: 'intervalEndTimeStamp' is not after 'intervalStartTimeStamp'")
    counts, times = _figures(item, where)
    queue_name = text_or_none(item.get("queueName"))
    source = text_or_none(item.get("source"))
    rows = [VolumeRow(queue_id, "", start, end, queue_name, None, source, counts, times)]
    breakdown = item.get("skillBreakdown")
    if breakdown is None:
        return rows
    if not isinstance(breakdown, list):
        kind = type(breakdown).__name__
        raise _RowError(f"{where}: 'skillBreakdown' should be a list, got {kind}")
    for number, skill in enumerate(breakdown):
        at = _where(index, item, number)
        if not isinstance(skill, dict):
            raise _RowError(f"{at} should be an object, got {type(skill).__name__}")
        skill_id = text_or_none(skill.get("skillId"))
        if skill_id is None:
            raise _RowError(f"{at}: 'skillId' is missing (every skill row needs its skill)")
        counts, times = _figures(skill, f"{at} (skill {skill_id!r})")
        name = text_or_none(skill.get("skillName"))
        row = VolumeRow(queue_id, skill_id, start, end, queue_name, name, source, counts, times)
        rows.append(row)
    return rows


def parse_volume_page(text: str) -> tuple[VolumePage, str]:
    """A Contact Volume page and the text to store (the body itself, every field kept)."""
    data, updates = page_items(
        text, PAYLOAD, "CallVolumeUpdate", ("hasMore", "totalCount"), ("callVolumeUpdate",)
    )
    rows: list[VolumeRow] = []
    for index, item in enumerate(updates):
        rows.extend(_queue_rows(item, index))
    total = data.get("totalCount")
    total_count = total if isinstance(total, int) and not isinstance(total, bool) else None
    page = VolumePage(flag(data.get("hasMore")), total_count, len(updates), tuple(rows))
    return page, text


# --------------------------------------------------------------------------------------------
# The endpoint and its client
# --------------------------------------------------------------------------------------------

CALLVOLUME = Endpoint(
    name="callvolume",
    method="POST",
    path="callvolume",
    payload=PAYLOAD,
    parse=parse_volume_page,
    api_scope=CALLVOLUME_SCOPE,
    analytics=True,
)


def iso_z(at: datetime) -> str:
    """``2023-01-07T09:45:00Z``: the form of Kore's documented request (UTC, no fraction)."""
    if at.tzinfo is None:
        raise ValueError(f"a time without a zone is ambiguous: {at!r}")
    return at.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def volume_request(
    org_id: str,
    from_ts: datetime | None,
    to_ts: datetime,
    skip: int,
    limit: int,
    skills: bool,
) -> Request:
    """The request for one page; ``from_ts`` None omits fromTimeStamp (Kore: from the first
    record it has)."""
    if skip < 0 or limit < 1:
        raise ValueError(f"skip must be >= 0 and limit >= 1, got {skip}, {limit}")
    body: dict[str, Any] = {"orgId": org_id}
    if from_ts is not None:
        body["fromTimeStamp"] = iso_z(from_ts)
    body.update(
        {"toTimeStamp": iso_z(to_ts), "skip": skip, "limit": limit, "includeSkillBreakdown": skills}
    )
    window = f"{body.get('fromTimeStamp', 'start')}..{body['toTimeStamp']}"
    return Request(key=f"skip:{skip}", subject=f"callvolume {window} skip {skip}", body=body)


class KoreVolumeClient(KoreClient):
    """Reads Contact Volume pages (KORE_ORG_ID), each within the account's budget."""

    def org_id(self) -> str:
        """KORE_ORG_ID, or :class:`KoreConfigError` before any request is sent."""
        org = (self.settings.org_id or "").strip()
        if not org:
            raise KoreConfigError(
                "KORE_ORG_ID is not set; Contact Volume needs the org ID (orgId) in its body"
            )
        return org

    async def page(
        self,
        from_ts: datetime | None,
        to_ts: datetime,
        skip: int,
        limit: int,
        skills: bool = True,
        *,
        priority: int = PRIORITY_LATER,
    ) -> Call:
        """One page; a good call's ``value`` is its :class:`VolumePage`, a refused one says why
        in ``error_kind``/``error_text`` ("scope_missing" names "WFM Integration")."""
        request = volume_request(self.org_id(), from_ts, to_ts, skip, limit, skills)
        [call] = await self.call_many(CALLVOLUME, [request], priority=priority)
        return call

    async def pages(
        self,
        from_ts: datetime | None,
        to_ts: datetime,
        skips: Sequence[int],
        limit: int,
        skills: bool = True,
        *,
        priority: int = PRIORITY_LATER,
    ) -> list[Call]:
        """Several pages at once (one connection pool, the client's concurrency), in order."""
        org = self.org_id()
        requests = [volume_request(org, from_ts, to_ts, skip, limit, skills) for skip in skips]
        return await self.call_many(CALLVOLUME, requests, priority=priority)

    def pages_sync(
        self,
        from_ts: datetime | None,
        to_ts: datetime,
        skips: Sequence[int],
        limit: int,
        skills: bool = True,
        *,
        priority: int = PRIORITY_LATER,
    ) -> list[Call]:
        """Blocking :meth:`pages`."""
        return run_sync(self.pages(from_ts, to_ts, skips, limit, skills, priority=priority))

    def page_sync(
        self,
        from_ts: datetime | None,
        to_ts: datetime,
        skip: int,
        limit: int,
        skills: bool = True,
        *,
        priority: int = PRIORITY_LATER,
    ) -> Call:
        """Blocking :meth:`page` (runs in a worker thread if a loop is running)."""
        return run_sync(self.page(from_ts, to_ts, skip, limit, skills, priority=priority))
