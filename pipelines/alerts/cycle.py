"""One evaluation, as the sensor runs it every minute: read, decide, record, post, record.

1. Read the figures, open episodes and pending messages in one short READ-ONLY connection
   (:func:`~pipelines.alerts.figures.read_snapshot`).
2. Decide, with no connection open (:func:`~pipelines.alerts.episodes.step`).
3. Write the episodes opened and ended and their messages (one brief transaction), so an
   alert is on record before anyone is told.
4. Post every pending message with NO connection open (:func:`~pipelines.alerts.delivery.deliver`):
   a receiver that hangs keeps nothing from the DuckDB file.
5. Write the attempts (one brief transaction).

Without any requirement for today's local day nothing is judged and the evaluation says so
(``skipped``); pending messages are still posted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.alerts import bodies
from pipelines.alerts.config import AlertSettings
from pipelines.alerts.delivery import Attempt, deliver
from pipelines.alerts.episodes import Closed, Opened, dump_states, load_states, step
from pipelines.alerts.figures import PendingMessage, Snapshot, read_snapshot, schema_ready
from pipelines.alerts.store import record
from pipelines.coverage.calendar import local_date
from pipelines.warehouse import connect

__all__ = ["Evaluation", "evaluate"]

# A reader or a brief write waits this long for a poll's transaction at most. With the delivery
# deadline counted from the evaluation's start (at most 30 s), one attempt in flight (at most
# 15 s) and the last write's wait, an evaluation ends within Dagster's 60 s sensor limit.
LOCK_WAIT_S = 10.0


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation did: the cursor to keep, and what to say about it."""

    cursor: str | None
    skipped: str | None = None  # why nothing was judged (no requirements today, no database)
    opened: list[str] = field(default_factory=list)  # episode IDs
    closed: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    scopes: int = 0  # scopes with a fresh poll


def _episode_row(
    opened: Opened, episode_id: str, snapshot: Snapshot, time_zone: str
) -> dict[str, Any]:
    j = opened.judgement
    f = j.figures
    return {
        "episode_id": episode_id,
        "day": local_date(f.observed_at, time_zone),
        "scope_key": f.scope_key,
        "scope_name": f.scope_name,
        "short_since": opened.short_since,
        "alerted_at": f.observed_at,
        "threshold": j.rule.threshold.text(),
        "short_in": j.short_in,
        "interval_start": snapshot.current.start,
        "on_queue": f.on_queue,
        "required": f.required,
        "net_staffing": j.net,
        "next_required": f.next_required,
        "next_net_staffing": j.next_net,
        "worst_net_staffing": j.lowest_net,
    }


def _closed_row(closed: Closed) -> dict[str, Any]:
    j = closed.judgement
    return {
        "episode_id": closed.episode.episode_id,
        "ended_at": j.figures.observed_at,
        "worst_net_staffing": closed.worst,
        "end_on_queue": j.figures.on_queue,
        "end_required": j.figures.required,
        "end_net_staffing": j.net,
    }


def _messages(
    event: str, episode_id: str, facts: dict[str, Any], config: AlertSettings, now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "message_id": f"{episode_id}/{event}/{d.name}",
            "episode_id": episode_id,
            "event": event,
            "destination": d.name,
            "fingerprint": d.fingerprint,
            "body": bodies.render(d.name, facts, config.name_account),
            "created_at": now,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for d in config.destinations
    ]


def evaluate(
    database: str | Path,
    cursor: str | None,
    config: AlertSettings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    account: str | None = None,
) -> Evaluation:
    """Run one evaluation against the DuckDB file at ``database``; see the module docstring.
    ``account``: the account the file must belong to (its writes claim it, or are refused)."""
    now = clock()
    deadline = time.monotonic() + config.deadline_s
    if not Path(database).is_file():
        return Evaluation(cursor, skipped=f"no DuckDB file at {database} yet: nothing polled")
    with connect(database, read_only=True, lock_timeout_s=LOCK_WAIT_S) as con:
        if not schema_ready(con):
            return Evaluation(cursor, skipped="the alert tables are not there yet (migration 013)")
        snapshot = read_snapshot(con, now, config)
    decided = step(snapshot, config.rules, load_states(cursor))
    opened_rows, closed_rows, queued = [], [], []
    for opened in decided.opened:
        figures = opened.judgement.figures
        episode_id = f"{figures.scope_key}@{figures.observed_at.isoformat()}"
        opened_rows.append(_episode_row(opened, episode_id, snapshot, config.time_zone))
        facts = bodies.for_alert(opened, episode_id, snapshot, config.time_zone, config.account)
        queued += _messages("alert", episode_id, facts, config, now)
    for closed in decided.closed:
        closed_rows.append(_closed_row(closed))
        facts = bodies.for_recovery(closed, snapshot, config.time_zone, config.account)
        queued += _messages("recovery", closed.episode.episode_id, facts, config, now)
    if opened_rows or closed_rows:
        with connect(database, lock_timeout_s=LOCK_WAIT_S, account=account) as con:
            record(con, opened=opened_rows, closed=closed_rows, queued=queued)
    pending = snapshot.pending + [
        PendingMessage(
            q["message_id"],
            q["episode_id"],
            q["event"],
            q["destination"],
            q["fingerprint"],
            q["body"],
            attempts=0,
            next_attempt_at=now,
        )  # fmt: skip
        for q in queued
    ]
    attempts, sent = deliver(pending, config, snapshot.recent_attempts, clock, deadline)
    if attempts or sent:
        with connect(database, lock_timeout_s=LOCK_WAIT_S, account=account) as con:
            record(con, attempts=attempts, sent=sent)
    return Evaluation(
        cursor=dump_states(decided.states),
        skipped=_skipped(snapshot),
        opened=[row["episode_id"] for row in opened_rows],
        closed=[row["episode_id"] for row in closed_rows],
        attempts=attempts,
        notes=decided.notes,
        scopes=len(snapshot.figures),
    )


def _skipped(snapshot: Snapshot) -> str | None:
    if not snapshot.requirements_today:
        return (
            f"no staffing requirements for {snapshot.current.day} (local day): nothing is "
            "judged until the staffing_requirements partition of that day is built"
        )
    if not snapshot.figures:
        return "no successful poll within AVAILABILITY_FRESHNESS_MINUTES: nothing to judge"
    return None
