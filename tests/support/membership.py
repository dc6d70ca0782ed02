"""Helpers for the membership tests: membership listings, membership-mode and per-scope ticks
written through write_tick, the coverage build and a grid cell. Times are UTC; cells are 15
minutes; max gap 120 s."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pandas as pd

from pipelines import coverage, warehouse
from pipelines.coverage import CoverageSettings
from pipelines.scopes import Scope
from pipelines.warehouse import LANDING_COLUMNS, PiiPolicy, Tick, membership

DAY = date(2026, 1, 5)
NEXT_DAY = date(2026, 1, 6)
SETTINGS = CoverageSettings(time_zone="UTC", interval_minutes=15, max_gap_seconds=120)
SCOPES = [Scope("all", "", "All agents"), Scope("skill", "s1", "Sales")]
KEEP = PiiPolicy("keep")


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=UTC)


def listing(*pairs: tuple[str, str]) -> pd.DataFrame:
    """Membership rows for (agent, scope key) pairs."""
    return pd.DataFrame(
        [
            {
                "agent_id": agent,
                "user_id": f"u-{agent}",
                "scope_key": key,
                "kind": key.split(":")[0],
                "ref_id": key.split(":")[1],
                "name": f"name of {key}",
            }
            for agent, key in pairs
        ],
        columns=membership.MEMBERSHIP_COLUMNS,
    )


def landing(scope_keys: list[str], observed_at: datetime, bodies: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "scope_key": key,
                "requested_at": observed_at,
                "answered_at": observed_at,
                "observed_at": observed_at,
                "attempts": 1,
                "http_status": 200,
                "latency_ms": 0.0,
                "outcome": "ok",
                "error_kind": None,
                "error_text": None,
                "body": json.dumps(body),
            }
            for key, body in zip(scope_keys, bodies, strict=True)
        ],
        columns=LANDING_COLUMNS,
    )
    for column in ("requested_at", "answered_at", "observed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def capacity(used: int) -> dict[str, dict[str, Any]]:
    """A channelCapacity object (voice of 1, messaging of 3) with ``used`` in use on voice."""
    return {
        "voice": {"isEnabled": True, "totalCapacity": 1, "usedCapacity": used,
                  "availableCapacity": 1 - used},
        "messaging": {"isEnabled": True, "totalCapacity": 3, "usedCapacity": 0,
                      "availableCapacity": 3},
    }  # fmt: skip


def body(statuses: dict[str, str], used: dict[str, int] | None = None) -> dict[str, list[dict]]:
    """An availability answer; agents named in ``used`` carry a channelCapacity with that
    used capacity on voice (landed in channel_capacity by the real ingest), others none."""
    out: dict[str, list[dict]] = {"AVAILABLE": [], "BUSY": [], "AWAY": [], "OFFLINE": []}
    for agent, status in statuses.items():
        obj: dict[str, Any] = {"_id": agent, "userId": f"u-{agent}"}
        if used is not None and agent in used:
            obj["channelCapacity"] = capacity(used[agent])
        out.setdefault(status, []).append(obj)
    return out


def membership_tick(
    con: duckdb.DuckDBPyConnection,
    t: datetime,
    statuses: dict[str, str],
    used: dict[str, int] | None = None,
):
    tick = Tick(f"m-{t.isoformat()}", "acct", t, t, mode="membership")
    sends = pd.DataFrame({"scope_key": ["all"], "sent_at": pd.to_datetime([t], utc=True)})
    return warehouse.write_tick(
        con, tick, landing(["all"], t, [body(statuses, used)]), sends, SCOPES, pii=KEEP
    )


def per_scope_tick(
    con: duckdb.DuckDBPyConnection,
    t: datetime,
    by_scope: dict[str, dict],
    used: dict[str, int] | None = None,
):
    tick = Tick(f"p-{t.isoformat()}", "acct", t, t)
    keys = list(by_scope)
    sends = pd.DataFrame({"scope_key": keys, "sent_at": pd.to_datetime([t] * len(keys), utc=True)})
    frame = landing(keys, t, [body(by_scope[k], used) for k in keys])
    return warehouse.write_tick(con, tick, frame, sends, SCOPES, pii=KEEP)


def minutes(start: datetime, end: datetime) -> Iterator[datetime]:
    t = start
    while t < end:
        yield t
        t += timedelta(minutes=1)


def build(con: duckdb.DuckDBPyConnection, day: date = DAY) -> None:
    coverage.build_spans(con, day, SETTINGS)
    coverage.build_coverage(con, day, SETTINGS)


def cell(con: duckdb.DuckDBPyConnection, scope: str, start: datetime) -> dict[str, Any]:
    cursor = con.execute(
        "SELECT * FROM coverage_intervals WHERE scope_key = ? AND interval_start = ?",
        [scope, start],
    )
    names = [c[0] for c in cursor.description]
    found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert len(found) == 1, found
    return found[0]
