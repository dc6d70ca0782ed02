"""Helpers for the finalized-coverage tests: one simulator serves the exact history (Agent
Status Details over real HTTP) and the agents listing; synthetic polls come from the same
model (same roster and seed); the truth per cell is ``Simulator.timeline``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pandas as pd

from pipelines import coverage
from pipelines.coverage import CoverageSettings, day_bounds
from pipelines.defs.coverage.assets import (
    agent_status_spans,
    coverage_intervals,
    coverage_vs_requirement,
    staffing_requirements,
)
from pipelines.defs.history.assets import agent_status_history
from pipelines.defs.reports.assets import coverage_report
from pipelines.kore import RequestPlanner
from pipelines.kore.agents import KoreAgentsClient, membership_rows, next_pages
from pipelines.polling.history import HistoryOutcome, HistorySettings, sync_history
from pipelines.simulator import SimulatorServer
from pipelines.simulator.roster import channel_capacity
from pipelines.warehouse import PiiPolicy, apply_membership, connect
from tests.support.kore import simulator_settings

ZONE = "America/New_York"
NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)  # after both 2026 DST days in New York
SETTINGS = CoverageSettings(time_zone=ZONE, interval_minutes=15, max_gap_seconds=120)
# A day's exact history and everything built on it, in one materialization (upstream first).
FINALIZE_ASSETS = [
    agent_status_history,
    agent_status_spans,
    coverage_intervals,
    staffing_requirements,
    coverage_vs_requirement,
    coverage_report,
]
FIGURES = ("avg_available", "avg_busy", "avg_on_queue", "avg_busy_other", "avg_logged_in")


def fetch_history(server: SimulatorServer, database: str, day: date) -> HistoryOutcome:
    """One closed local day of exact history through the real client and sync."""
    outcome = sync_day(server, database, day, "utc")
    assert outcome.stopped == "complete", outcome.error_text
    return outcome


def sync_day(server: SimulatorServer, database: str, day: date, ask: str) -> HistoryOutcome:
    """The sync of one local day (asked per ``ask``, see HistorySettings), whatever its end."""
    history = HistorySettings(time_zone=ZONE, ask=ask, pages_per_run=100)
    return sync_history(
        partial(connect, database),
        simulator_settings(server.env()),
        history,
        days=[day],
        planner=RequestPlanner(":memory:", 60, clock=NOW.timestamp),
        clock=lambda: NOW,
        pii=PiiPolicy("hash"),
    )


def apply_listing(
    server: SimulatorServer,
    database: str,
    at: datetime,
    edit: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> int:
    """Read Kore's agents listing from the simulator and apply it as the membership at ``at``
    (the account is the one the history is fetched for), after ``edit`` (a planted drift);
    return the agents listed."""
    settings = simulator_settings(server.env())
    client = KoreAgentsClient(settings, planner=RequestPlanner(":memory:", 600))
    (first,) = client.list_pages_sync([1])
    assert first.ok, first.error_text
    calls = [first, *client.list_pages_sync(next_pages(first.value))]
    assert all(c.ok for c in calls), [c.error_text for c in calls]
    agents = [a for c in calls for a in c.value.agents]
    rows = membership_rows(agents)
    with connect(database) as con:
        apply_membership(con, settings.account_id, at, edit(rows) if edit else rows)
    return len(agents)


def build(database: str, day: date, now: datetime = NOW) -> None:
    """Spans, grid and reconciliation of one day, as the coverage assets build them."""
    with connect(database) as con:
        coverage.build_spans(con, day, SETTINGS, now)
        coverage.build_coverage(con, day, SETTINGS, now)


def truth_cells(
    server: SimulatorServer, day: date, members: dict[str, list[str]], zone: str = ZONE
) -> dict[tuple[str, datetime], dict[str, float]]:
    """Per (scope, cell start): the time-weighted figures of the model's exact timeline.

    On queue = AVAILABLE + BUSY handling a contact (used channel capacity, as the simulator
    reports it; exactly the BUSY statuses other than the non-productive custom ones); busy
    other = the rest of BUSY; logged in = every status but OFFLINE."""
    sim = server.simulator
    start, end = day_bounds(day, zone)
    spans = sim.timeline(start, end)
    step = timedelta(minutes=15)
    seconds: dict[tuple[str, datetime], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    scopes_of: dict[str, list[str]] = defaultdict(list)
    for key, ids in members.items():
        for agent_id in ids:
            scopes_of[agent_id].append(key)
    for span in spans:
        productive = False
        if span.bucket == "BUSY":
            used = channel_capacity(
                sim.agent(span.agent_id), int(span.start.timestamp()), "BUSY", span.detail
            )
            productive = any(c["usedCapacity"] > 0 for c in used.values())
        cell = start + (span.start - start) // step * step
        while cell < span.end:
            hi = min(cell + step, end)
            overlap = (min(span.end, hi) - max(span.start, cell)).total_seconds()
            for key in scopes_of[span.agent_id]:
                figures = seconds[(key, cell)]
                if span.bucket == "AVAILABLE":
                    figures["avg_available"] += overlap
                    figures["avg_on_queue"] += overlap
                if span.bucket == "BUSY":
                    figures["avg_busy"] += overlap
                    figures["avg_on_queue" if productive else "avg_busy_other"] += overlap
                if span.bucket != "OFFLINE":
                    figures["avg_logged_in"] += overlap
            cell = hi
    return {
        key: {name: figures[name] / 900 for name in FIGURES} for key, figures in seconds.items()
    }


def measured_cells(database: str, day: date) -> dict[tuple[str, datetime], dict[str, Any]]:
    with connect(database, read_only=True) as con:
        cursor = con.execute("SELECT * FROM coverage_intervals WHERE day = ? ORDER BY ALL", [day])
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    return {(r["scope_key"], r["interval_start"].astimezone(UTC)): r for r in rows}
