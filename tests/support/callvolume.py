"""A tiny Contact Volume server on 127.0.0.1 for the client tests (real HTTP, nothing mocked).

It serves only ``POST /agentassist/api/public/analytics/account/{accountId}/callvolume`` the
way Kore documents it: the ``auth`` and ``iId`` headers required, the body's ``orgId`` and
``toTimeStamp`` required, rows whose interval lies in [fromTimeStamp, toTimeStamp) (every row
when fromTimeStamp is omitted), ordered by interval then queue, cut by ``skip``/``limit``, the
skill breakdown only when asked. Tests set ``rows`` (the documented CallVolumeUpdate objects)
and may change them between runs (restatements); ``missing_scope`` answers as Kore does for an
app without "WFM Integration". Every request body is kept in ``requests``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.loopback import JsonRouteServer

__all__ = ["VolumeServer", "volume_rows"]

PATH = "/agentassist/api/public/analytics/account/{account}/callvolume"


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def volume_rows(
    start: datetime,
    intervals: int,
    queues: tuple[str, ...] = ("qu-a", "qu-b"),
    *,
    unit: str = "milliseconds",
    aht_seconds: float = 300.0,
    skills: tuple[str, ...] = ("sk-1",),
) -> list[dict[str, Any]]:
    """Documented CallVolumeUpdate rows: ``intervals`` 15-minute intervals per queue, a few
    contacts each, times as TOTALS in ``unit`` (skill rows in the same unit)."""
    scale = 1000.0 if unit == "milliseconds" else 1.0
    rows = []
    for i in range(intervals):
        begin = start + timedelta(minutes=15 * i)
        for q, queue in enumerate(queues):
            answered = 2 + (i + q) % 5
            abandoned = (i + q) % 2
            figures = {
                "offeredContacts": answered + abandoned,
                "answeredContacts": answered,
                "abandonedContacts": abandoned,
                "completedContacts": answered,
                "conversationHandleTime": round(answered * aht_seconds * scale),
                "conversationTalkTime": round(answered * aht_seconds * 0.8 * scale),
                "acwDuration": round(answered * aht_seconds * 0.15 * scale),
                "holdDuration": round(answered * aht_seconds * 0.05 * scale),
                "queueHoldTimeAnswered": round(answered * 12 * scale),
                "maxQueueHoldTimeAnswered": round(30 * scale),
                "queueHoldTimeAbandoned": round(abandoned * 40 * scale),
                "maxqueueHoldTimeAbandoned": round(abandoned * 40 * scale),
            }
            rows.append(
                {
                    "_id": f"cv-{i}-{queue}",
                    "intervalStartTimeStamp": begin.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "intervalEndTimeStamp": (begin + timedelta(minutes=15)).strftime(
                        "%Y-%m-%dT%H:%M:%S.000Z"
                    ),
                    "queueId": queue,
                    "queueName": f"Queue {queue}",
                    "source": "rtm",
                    "futureField": {"kept": True},
                    **figures,
                    "skillBreakdown": [
                        {"skillId": s, "skillName": f"Skill {s}", **figures} for s in skills
                    ],
                }
            )
    return rows


class VolumeServer(JsonRouteServer):
    """The server; use as a context manager. ``base_url`` is what KORE_HOST should be."""

    def __init__(self, account: str = "acct-1", bot: str = "st-bot", org: str = "o-org"):
        self.account, self.bot, self.org = account, bot, org
        self.rows: list[dict[str, Any]] = []
        self.missing_scope = False
        self.requests: list[dict[str, Any]] = []
        super().__init__(PATH.format(account=account))

    def answer(
        self, headers: Any, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """(status, JSON) for one request, as Kore documents it."""
        if not headers.get("auth"):
            return 401, {"errors": [{"msg": "error verifying the jwt: jwt must be provided"}]}
        if headers.get("iId") != self.bot:
            return 400, {"errors": [{"msg": "invalid iId", "code": 400}]}
        if self.missing_scope:
            msg = "The app is not authorized for the API scope 'WFM Integration'"
            return 403, {"errors": [{"msg": msg, "code": 403}]}
        if body.get("orgId") != self.org or "toTimeStamp" not in body:
            return 400, {"errors": [{"msg": "orgId and toTimeStamp are required", "code": 400}]}
        with self._lock:
            self.requests.append(body)
            rows = list(self.rows)
        low = _time(body["fromTimeStamp"]) if body.get("fromTimeStamp") else None
        high = _time(body["toTimeStamp"])
        chosen = [
            r
            for r in rows
            if (low is None or _time(r["intervalStartTimeStamp"]) >= low)
            and _time(r["intervalEndTimeStamp"]) <= high
        ]
        chosen.sort(key=lambda r: (r["intervalStartTimeStamp"], r["queueId"]))
        skip, limit = int(body.get("skip", 0)), int(body.get("limit", 100))
        page = chosen[skip : skip + limit]
        if not body.get("includeSkillBreakdown"):
            page = [{k: v for k, v in r.items() if k != "skillBreakdown"} for r in page]
        more = skip + limit < len(chosen)
        return 200, {"hasMore": more, "CallVolumeUpdate": page, "totalCount": len(chosen)}
