"""What one evaluation reads, in one short read-only connection: every scope's latest poll and
on-queue count, the current and next interval's requirement, the open episodes, the messages
still to send and what each destination spent of its rate limit in the last minute.

Nothing here writes: the evaluation holds the DuckDB file only while these few queries run,
and never while a webhook is called, so a poll waiting for the file waits milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from pipelines.alerts.config import AlertSettings
from pipelines.coverage.calendar import day_bounds, local_date
from pipelines.warehouse import execute, fetch_all

__all__ = ["Interval", "OpenEpisode", "PendingMessage", "ScopeFigures", "Snapshot", "read_snapshot"]

# Alerts need migration 013; a reader does not migrate, the next poll or evaluation's write does.
ALERTS_SCHEMA_VERSION = 13


@dataclass(frozen=True)
class Interval:
    """One coverage interval: UTC [start, end) and the local day it belongs to."""

    start: datetime
    end: datetime
    day: date


def intervals_at(now: datetime, time_zone: str, minutes: int) -> tuple[Interval, Interval]:
    """The interval holding ``now`` and the one after it, on the coverage grid (steps of
    ``minutes`` from local midnight; a day's last interval may be cut short)."""
    day = local_date(now, time_zone)
    start, end = day_bounds(day, time_zone)
    step = timedelta(minutes=minutes)
    current_start = start + step * ((now - start) // step)
    current = Interval(current_start, min(current_start + step, end), day)
    next_day = local_date(current.end, time_zone)
    next_end = min(current.end + step, day_bounds(next_day, time_zone)[1])
    return current, Interval(current.end, next_end, next_day)


@dataclass(frozen=True)
class ScopeFigures:
    """A scope's latest poll (``observed_at``) and the requirements it is judged against."""

    scope_key: str
    scope_name: str
    observed_at: datetime
    on_queue: float
    required: float | None  # the current interval's (None: no requirement)
    requirement_source: str | None
    next_required: float | None


@dataclass(frozen=True)
class OpenEpisode:
    episode_id: str
    scope_key: str
    scope_name: str
    short_since: datetime
    alerted_at: datetime


@dataclass(frozen=True)
class PendingMessage:
    message_id: str
    episode_id: str
    event: str
    destination: str
    fingerprint: str
    body: str
    attempts: int
    next_attempt_at: datetime


@dataclass(frozen=True)
class Snapshot:
    """Everything one evaluation decides on, read at one instant."""

    now: datetime
    current: Interval
    next: Interval
    requirements_today: bool
    figures: list[ScopeFigures]
    open_episodes: dict[str, OpenEpisode]
    pending: list[PendingMessage]
    recent_attempts: dict[str, int]


def schema_ready(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file has the alert tables (migration 013) yet."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not found:
        return False
    newest = con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0]
    return newest is not None and newest >= ALERTS_SCHEMA_VERSION


def read_snapshot(con: duckdb.DuckDBPyConnection, now: datetime, config: AlertSettings) -> Snapshot:
    """Read one evaluation's inputs (the connection may be read-only)."""
    current, following = intervals_at(now, config.time_zone, config.interval_minutes)
    since = now - timedelta(minutes=config.freshness_minutes)
    execute(con, "coverage/macros.sql")
    rows = fetch_all(
        con,
        "alerts/figures.sql",
        since=since,
        until=now + timedelta(seconds=1),
        max_gap=timedelta(seconds=config.max_gap_seconds),
        current_start=current.start,
        next_start=following.start,
        current_day=current.day,
        next_day=following.day,
    )
    ((required_rows,),) = fetch_all(con, "alerts/requirement_days.sql", day=current.day)
    episodes = [OpenEpisode(*row[:5]) for row in fetch_all(con, "alerts/open_episodes.sql")]
    pending = [
        PendingMessage(*row[:6], attempts=row[7], next_attempt_at=row[8])
        for row in fetch_all(con, "alerts/pending_messages.sql")
    ]
    recent = dict(fetch_all(con, "alerts/recent_attempts.sql", since=now - timedelta(minutes=1)))
    return Snapshot(
        now=now,
        current=current,
        next=following,
        requirements_today=required_rows > 0,
        figures=[ScopeFigures(*row) for row in rows],
        open_episodes={e.scope_key: e for e in episodes},
        pending=pending,
        recent_attempts={str(k): int(v) for k, v in recent.items()},
    )
