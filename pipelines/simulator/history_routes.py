"""The agent-status history routes: Agent Status Details v3 and Historical Agent Status Summary.

``POST /agentassist/api/public/analytics/account/{accountId}/v3/agentstatusdetails`` and
``POST /agentassist/api/public/analytics/1.1/account/{accountId}/userstatus`` (also without
``/1.1``, as the docs' sample). The handler has already checked the account, the JWT, the
``iId`` header (the docs list ``iId`` as a path parameter, but no path has room for it and
both samples send the header: the header is what is read), the "SmartAssist Analytics" scope
and the rate budget. Here: paging and the body, then the answer from the model's truth
(:mod:`pipelines.simulator.status_details`).

Paging is over agents (roster order, after ``filter.agents``): ``limit`` and ``offset`` are
query parameters, ``limit`` 1 .. ``history_page_max`` (50, the documented maximum; a larger
one is refused with 400 rather than cut), default the maximum; ``offset`` >= 0 counts agents.
The body: ``filter.agents`` (e-mail IDs, case-insensitive; unknown ones match nobody; at most
1,000), ``filter.dateFilter`` with ``startDate`` and ``endDate`` (``yyyy-mm-dd``, both or
neither) or the sample's ``date`` (one day), and ``timeZoneOffSet`` (integer minutes, sign
inverted, -840 .. 720; required for status details, default 0 for the summary, as documented).
At most ``history_max_days`` days a request (31), so one answer costs a bounded number of
simulated days. The summary also needs ``granularity``: PT15M, PT30M, PT1H, PT2H, PT4H, PT8H,
PT12H or PT24H (the docs' sample sends it unquoted, which is not JSON and is refused).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from pipelines.simulator.model import BadRequestError
from pipelines.simulator.status_details import HistoryRange, status_details, status_summary

if TYPE_CHECKING:
    from pipelines.simulator.config import SimulatorConfig
    from pipelines.simulator.handler import _Handler
    from pipelines.simulator.roster import Agent

__all__ = ["GRANULARITIES", "HistoryQuery", "parse_history", "serve_history"]

GRANULARITIES: dict[str, timedelta] = {
    "PT15M": timedelta(minutes=15),
    "PT30M": timedelta(minutes=30),
    "PT1H": timedelta(hours=1),
    "PT2H": timedelta(hours=2),
    "PT4H": timedelta(hours=4),
    "PT8H": timedelta(hours=8),
    "PT12H": timedelta(hours=12),
    "PT24H": timedelta(hours=24),
}
_MAX_AGENTS_FILTER = 1000
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OFFSET_RANGE = (-840, 720)  # UTC+14:00 .. UTC-12:00, in Kore's inverted sign


@dataclass(frozen=True)
class HistoryQuery:
    """A parsed request: the local days, the agents wanted (None: all) and the page."""

    window: HistoryRange
    emails: frozenset[str] | None
    limit: int
    offset: int
    granularity: timedelta | None


def _query_int(params: dict[str, list[str]], name: str, default: int) -> int:
    values = params.get(name)
    if not values:
        return default
    try:
        return int(values[-1])
    except ValueError:
        raise BadRequestError(f"{name} must be an integer") from None


def _day(value: Any, name: str) -> date:
    if not isinstance(value, str) or not _DAY.match(value):
        raise BadRequestError(f"{name} must be a date in yyyy-mm-dd format")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequestError(f"{name} is not a valid date") from None


def _offset(date_filter: dict[str, Any], required: bool) -> int:
    value = date_filter.get("timeZoneOffSet")
    if value is None:
        if required:
            raise BadRequestError("filter.dateFilter.timeZoneOffSet is required")
        return 0
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,4}", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError("timeZoneOffSet must be an integer number of minutes")
    if not _OFFSET_RANGE[0] <= value <= _OFFSET_RANGE[1]:
        raise BadRequestError("timeZoneOffSet must be between -840 and 720 minutes")
    return value


def _days(date_filter: dict[str, Any]) -> tuple[date, date]:
    has_start, has_end = "startDate" in date_filter, "endDate" in date_filter
    if has_start or has_end:
        if not (has_start and has_end):
            raise BadRequestError("filter.dateFilter needs both startDate and endDate")
        first = _day(date_filter["startDate"], "startDate")
        last = _day(date_filter["endDate"], "endDate")
    elif "date" in date_filter:
        first = last = _day(date_filter["date"], "date")
    else:
        raise BadRequestError("filter.dateFilter.startDate and endDate are required")
    if last < first:
        raise BadRequestError("endDate is before startDate")
    return first, last


def _emails(filter_: dict[str, Any]) -> frozenset[str] | None:
    agents = filter_.get("agents")
    if agents is None:
        return None
    if not isinstance(agents, list) or not all(isinstance(a, str) for a in agents):
        raise BadRequestError("filter.agents must be an array of e-mail IDs")
    if len(agents) > _MAX_AGENTS_FILTER:
        raise BadRequestError(f"filter.agents may name at most {_MAX_AGENTS_FILTER} agents")
    return frozenset(a.strip().lower() for a in agents) if agents else None


def parse_history(body: Any, query: str, config: SimulatorConfig, *, summary: bool) -> HistoryQuery:
    """Validate a request as documented (see the module docstring); BadRequestError = 400."""
    params = parse_qs(query)
    limit = _query_int(params, "limit", config.history_page_max)
    offset = _query_int(params, "offset", 0)
    if not 1 <= limit <= config.history_page_max:
        raise BadRequestError(f"limit must be between 1 and {config.history_page_max}")
    if offset < 0:
        raise BadRequestError("offset must be >= 0")
    if not isinstance(body, dict):
        raise BadRequestError("request body must be a JSON object")
    filter_ = body.get("filter")
    if not isinstance(filter_, dict):
        raise BadRequestError("filter is required")
    date_filter = filter_.get("dateFilter")
    if not isinstance(date_filter, dict):
        raise BadRequestError("filter.dateFilter is required")
    first, last = _days(date_filter)
    if (last - first).days + 1 > config.history_max_days:
        raise BadRequestError(f"the date range may span at most {config.history_max_days} days")
    window = HistoryRange(first, last, _offset(date_filter, required=not summary))
    granularity = None
    if summary:
        name = body.get("granularity")
        if name not in GRANULARITIES:
            raise BadRequestError(f"granularity must be one of {', '.join(GRANULARITIES)}")
        granularity = GRANULARITIES[name]
    return HistoryQuery(window, _emails(filter_), limit, offset, granularity)


def _selected(roster: list[Agent], emails: frozenset[str] | None) -> list[Agent]:
    if emails is None:
        return roster
    return [a for a in roster if a.email.lower() in emails]


def serve_history(handler: _Handler, raw: bytes, query: str) -> None:
    """Answer one admitted request of ``handler._route`` (``agentstatusdetails`` or
    ``userstatus``): 400 for a refused one; route faults when the faults' ``scopes`` name
    ``route:agentstatusdetails`` / ``route:userstatus``."""
    owner = handler.server.owner
    sim = owner.simulator
    summary = handler._route == "userstatus"
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        parsed = parse_history(body, query, owner.config, summary=summary)
    except (UnicodeDecodeError, json.JSONDecodeError):
        handler._fail(400, "request body is not valid JSON")
        return
    except BadRequestError as exc:
        handler._fail(400, str(exc))
        return
    key = f"route:{handler._route}"
    draw = None
    if key in owner.config.faults.scopes:
        draw = owner._injector.draw(key)
        if draw.latency_ms > 0:
            time.sleep(draw.latency_ms / 1000.0)
        if draw.error_status is not None:
            handler._send_fault(draw)
            return
    agents = _selected(sim.roster, parsed.emails)
    page = agents[parsed.offset : parsed.offset + parsed.limit]
    if parsed.granularity is not None:
        data = status_summary(sim, page, parsed.window, parsed.granularity)
    else:
        data = status_details(sim, page, parsed.window, owner.config.status_details_offline)
    answer = {
        "hasMore": parsed.offset + len(page) < len(agents),
        "limit": parsed.limit,
        "offset": parsed.offset,
        "data": data,
    }
    payload = json.dumps(answer, separators=(",", ":")).encode("utf-8")
    if draw is not None and (draw.malformed or "truncate" in draw.body):
        payload = payload[: max(1, len(payload) // 2)]
    handler._send_bytes(200, payload)
