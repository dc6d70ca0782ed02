"""Status history end to end: the simulator's Agent Status Details route on 127.0.0.1, the real
sync and a DuckDB file. A fetched day equals the simulator's truth (``Simulator.timeline``
clipped to the local day) exactly, on a normal day and on both 2026 DST days in New York,
asked either way (UTC, or the local-noon offset). The model clock is fixed; nothing depends on
the machine's speed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pipelines.kore import RequestPlanner
from pipelines.kore.statusdays import plan_day
from pipelines.kore.userstatus import KoreUserStatusClient, compare
from pipelines.polling.history import HistorySettings
from pipelines.polling.summary_check import check_day
from pipelines.simulator import SimulatorServer
from pipelines.simulator.status_details import primary_status, secondary_status
from pipelines.warehouse import connect
from tests.support.finalized import sync_day
from tests.support.kore import simulator_settings

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)  # after both 2026 DST days in New York
ZONE = "America/New_York"  # the simulator's zone
Start = Callable[..., SimulatorServer]


def local(day: date) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(ZONE)).astimezone(UTC)


def truth(server: SimulatorServer, day: date, offline: bool) -> list[tuple[Any, ...]]:
    spans = server.simulator.timeline(local(day), local(day + timedelta(days=1)))
    return sorted(
        (s.agent_id, primary_status(s.bucket), secondary_status(s.bucket, s.detail), s.start, s.end)
        for s in spans
        if offline or s.bucket != "OFFLINE"
    )


def stored(database: str, day: date) -> list[tuple[Any, ...]]:
    with connect(database, read_only=True) as con:
        rows = con.execute(
            "SELECT agent_id, bucket, secondary_status, span_start, span_end "
            "FROM agent_status_history WHERE day = ? ORDER BY ALL",
            [day],
        ).fetchall()
    return [(a, b, s, x.astimezone(UTC), y.astimezone(UTC)) for a, b, s, x, y in rows]


@pytest.mark.parametrize(
    ("day", "ask"),
    [
        (date(2026, 10, 20), "utc"),
        (date(2026, 3, 8), "utc"),  # 23 hours
        (date(2026, 11, 1), "utc"),  # 25 hours
        (date(2026, 11, 1), "local_noon"),  # asked from 2026-10-31 at 300
    ],
)
def test_a_fetched_day_equals_the_simulators_truth(
    simulator_factory: Start, tmp_db: str, day: date, ask: str
) -> None:
    server = simulator_factory(
        clock=lambda: NOW, rate_limit_per_minute=None, agents=60, status_details_offline=True
    )
    outcome = sync_day(server, tmp_db, day, ask)
    assert outcome.stopped == "complete", outcome.error_text
    assert (outcome.pages, outcome.agents, outcome.disagreements) == (2, 60, 0)
    expected = truth(server, day, offline=True)
    assert stored(tmp_db, day) == expected
    hours = (local(day + timedelta(days=1)) - local(day)).total_seconds() / 3600
    covered = sum((e - s).total_seconds() for *_, s, e in expected)
    assert covered == pytest.approx(60 * hours * 3600)  # every agent, every second


def test_without_offline_spans_the_day_holds_the_logged_in_truth(
    simulator_factory: Start, tmp_db: str
) -> None:
    # The simulator's default: logged-out time is not a reported status (README there).
    server = simulator_factory(clock=lambda: NOW, rate_limit_per_minute=None, agents=60)
    day = date(2026, 10, 20)
    assert sync_day(server, tmp_db, day, "utc").stopped == "complete"
    assert stored(tmp_db, day) == truth(server, day, offline=False)


def test_the_summary_agrees_with_the_stored_spans_per_agent_and_interval(
    simulator_factory: Start, tmp_db: str
) -> None:
    server = simulator_factory(clock=lambda: NOW, rate_limit_per_minute=None, agents=60)
    day = date(2026, 11, 1)  # 25 hours
    assert sync_day(server, tmp_db, day, "utc").stopped == "complete"
    with connect(tmp_db, read_only=True) as con:
        spans = [
            (u, b, s.astimezone(UTC), e.astimezone(UTC))
            for u, b, s, e in con.execute(
                "SELECT user_id, bucket, span_start, span_end FROM agent_status_history"
            ).fetchall()
        ]
    client = KoreUserStatusClient(
        simulator_settings(server.env()), planner=RequestPlanner(":memory:", 60)
    )
    ask = plan_day(day, ZONE)
    rows = []
    for sample_path in (False, True):
        calls = client.pages_sync(ask, [0, 50], sample_path=sample_path)
        assert all(c.ok for c in calls), [c.error_text for c in calls]
        assert [c.value.agents for c in calls] == [50, 10]
        rows.append([r for c in calls for r in c.value.rows])
    assert rows[0] == rows[1]  # with and without /1.1
    inside = [
        r
        for r in rows[0]
        if r.interval_start >= local(day) and r.interval_end <= local(day + timedelta(days=1))
    ]
    assert len({r.interval_start for r in inside}) == 100  # 25 hours of 15 minutes
    assert compare(inside, spans) == []
    # A planted error is found: one span a minute longer.
    u, b, s, e = spans[0]
    assert len(compare(inside, [(u, b, s, e + timedelta(minutes=1)), *spans[1:]])) >= 1


def test_the_summary_check_is_stored_and_finds_a_planted_difference(
    simulator_factory: Start, tmp_db: str
) -> None:
    server = simulator_factory(clock=lambda: NOW, rate_limit_per_minute=None, agents=20)
    day = date(2026, 3, 8)  # 23 hours
    assert sync_day(server, tmp_db, day, "utc").stopped == "complete"

    def check() -> Any:
        return check_day(
            partial(connect, tmp_db),
            simulator_settings(server.env()),
            HistorySettings(time_zone=ZONE),
            day,
            planner=RequestPlanner(":memory:", 60, clock=NOW.timestamp),
            clock=lambda: NOW,
        )

    clean = check()
    assert clean.error_text is None and clean.pages == 1
    assert clean.differing == 0 and clean.rows > 20 * 10 and 15 < clean.users <= 20
    with connect(tmp_db) as con:
        intervals = con.execute(
            "SELECT count(DISTINCT interval_start) FROM status_summary_checks"
        ).fetchall()[0][0]
        assert intervals == 92  # every quarter hour of the local day, none outside it
        con.execute(
            "UPDATE agent_status_history SET span_end = span_end + INTERVAL 2 MINUTE "
            "WHERE (agent_id, span_start) IN (SELECT (agent_id, span_start) "
            "FROM agent_status_history WHERE bucket = 'BUSY' ORDER BY ALL LIMIT 1)"
        )
    planted = check()
    assert planted.differing >= 1 and planted.rows >= clean.rows
