"""The Contact Volume route, ``POST /agentassist/api/public/analytics/account/{id}/callvolume``.

The handler has already checked the account, the JWT, the ``iId`` header, the "WFM
Integration" scope and the rate budget. Here: the body (``orgId`` required and equal to the
tenant's, ``toTimeStamp`` required, ``fromTimeStamp`` optional: then the first available
record, ``callvolume_history_days`` back), paging (``skip`` >= 0, ``limit`` 1 ..
``callvolume_page_max``, default the maximum; a larger limit is cut to it) and the answer
``{hasMore, totalCount, CallVolumeUpdate}``. Rows are those of intervals starting in
``[from, to)`` that ended by now (:mod:`pipelines.simulator.callvolume`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipelines.simulator.callvolume import history_start, parse_instant
from pipelines.simulator.model import BadRequestError

if TYPE_CHECKING:
    from pipelines.simulator.config import SimulatorConfig
    from pipelines.simulator.handler import _Handler

__all__ = ["CallVolumeQuery", "parse_callvolume", "serve_callvolume"]


class UnknownOrgError(BadRequestError):
    """The body names another organization (answered 404, as the agents listing does)."""


@dataclass(frozen=True)
class CallVolumeQuery:
    """A parsed request body."""

    start: datetime
    end: datetime
    skip: int
    limit: int
    include_skills: bool


def _integer(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(f"{name} must be an integer")
    return value


def parse_callvolume(body: Any, config: SimulatorConfig, now: datetime) -> CallVolumeQuery:
    """Validate a body as Kore would; BadRequestError (400) or UnknownOrgError (404)."""
    if not isinstance(body, dict):
        raise BadRequestError("request body must be a JSON object")
    org = body.get("orgId")
    if not isinstance(org, str) or not org:
        raise BadRequestError("orgId is required")
    if org != config.org_id:
        raise UnknownOrgError(f"Organization not found: {org}")
    first = history_start(now, config.callvolume_history_days)
    stamps: dict[str, datetime] = {}
    for name in ("fromTimeStamp", "toTimeStamp"):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise BadRequestError(f"{name} must be an ISO 8601 string")
        try:
            stamps[name] = parse_instant(value)
        except ValueError:
            raise BadRequestError(f"{name} is not an ISO 8601 date and time") from None
    if "toTimeStamp" not in stamps:
        raise BadRequestError("toTimeStamp is required")
    start = max(stamps.get("fromTimeStamp", first), first)
    skip = _integer(body, "skip", 0)
    limit = _integer(body, "limit", config.callvolume_page_max)
    if skip < 0:
        raise BadRequestError("skip must be >= 0")
    if limit < 1:
        raise BadRequestError("limit must be >= 1")
    include = body.get("includeSkillBreakdown", False)
    if include is None:
        include = False
    if not isinstance(include, bool):
        raise BadRequestError("includeSkillBreakdown must be true or false")
    return CallVolumeQuery(
        start, stamps["toTimeStamp"], skip, min(limit, config.callvolume_page_max), include
    )


def serve_callvolume(handler: _Handler, raw: bytes) -> None:
    """Answer one admitted request (400/404 for a refused body; route faults when the faults'
    ``scopes`` name ``route:callvolume``)."""
    owner = handler.server.owner
    sim = owner.simulator
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        query = parse_callvolume(body, owner.config, sim.now())
    except (UnicodeDecodeError, json.JSONDecodeError):
        handler._fail(400, "request body is not valid JSON")
        return
    except UnknownOrgError as exc:
        handler._fail(404, str(exc))
        return
    except BadRequestError as exc:
        handler._fail(400, str(exc))
        return
    key = "route:callvolume"
    draw = None
    if key in owner.config.faults.scopes:
        draw = owner._injector.draw(key)
        if draw.latency_ms > 0:
            time.sleep(draw.latency_ms / 1000.0)
        if draw.error_status is not None:
            handler._send_fault(draw)
            return
    rows = sim.contact_volume(query.start, query.end, query.include_skills)
    page = rows[query.skip : query.skip + query.limit]
    answer = {
        "hasMore": query.skip + len(page) < len(rows),
        "totalCount": len(rows),
        "CallVolumeUpdate": page,
    }
    payload = json.dumps(answer, separators=(",", ":")).encode("utf-8")
    if draw is not None and (draw.malformed or "truncate" in draw.body):
        payload = payload[: max(1, len(payload) // 2)]
    handler._send_bytes(200, payload)
