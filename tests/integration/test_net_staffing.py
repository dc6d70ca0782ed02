"""Net staffing on hand-made days in a real DuckDB file, every figure by hand.

Ticks go through the real ingest (warehouse.write_tick), so channelCapacity lands in
channel_capacity as it does from Kore. Times are UTC; cells are 15 minutes; max gap 120 s;
polls every minute, so every polled minute is observed. "On queue" = AVAILABLE + productive
BUSY (used capacity on some channel, or no capacity data); "logged in" = every status but
OFFLINE.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from pipelines import coverage, warehouse
from pipelines.coverage.schedules import load_schedules
from pipelines.scopes import Scope
from pipelines.simulator import Simulator, SimulatorConfig
from pipelines.simulator.roster import channel_capacity
from pipelines.warehouse import Tick, membership
from tests.support.membership import (
    DAY,
    KEEP,
    SETTINGS,
    at,
    build,
    cell,
    landing,
    listing,
    membership_tick,
    minutes,
    per_scope_tick,
)

TRUTH_DAY = date(2026, 11, 24)  # a Tuesday; 14:00-16:00 UTC is the New York morning

S1 = "skill:s1"
# a1 handles a contact; a2 is BUSY in Training (capacity data, none used); a6 is BUSY with no
# capacity data; a7 handles a contact until 10:05, then is BUSY in a Meeting; a3 idle, a4
# AWAY, a5 OFFLINE.
STATUSES = {
    "a1": "BUSY",
    "a2": "BUSY",
    "a3": "AVAILABLE",
    "a4": "AWAY",
    "a5": "OFFLINE",
    "a6": "BUSY",
    "a7": "BUSY",
}


def used_at(t: datetime) -> dict[str, int]:
    """Used capacity per agent at t (a6 absent: its answers carry no channelCapacity)."""
    return {"a1": 1, "a2": 0, "a3": 0, "a4": 0, "a5": 0, "a7": 1 if t < at(DAY, "10:05") else 0}


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse.connect(tmp_path / "warehouse.duckdb") as connection:
        yield connection


def poll_morning(con: duckdb.DuckDBPyConnection, mode: str) -> None:
    """Every agent in skill:s1; polled every minute 10:00-10:28: the last poll's window ends
    after the max gap, so 10:00-10:30 is observed."""
    if mode == "membership":
        membership.apply_membership(
            con, "acct", at(DAY, "09:00"), listing(*[(agent, S1) for agent in STATUSES])
        )
    for t in minutes(at(DAY, "10:00"), at(DAY, "10:29")):
        if mode == "membership":
            membership_tick(con, t, STATUSES, used_at(t))
        else:
            per_scope_tick(con, t, {"all": STATUSES, S1: STATUSES}, used_at(t))


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_close(found: dict[str, Any], **expected: Any) -> None:
    for name, value in expected.items():
        if value is None:
            assert found[name] is None, (name, found[name])
        else:
            assert found[name] == pytest.approx(value, abs=1e-9), (name, found[name], value)


@pytest.mark.parametrize("mode", ["membership", "per_scope"])
def test_productive_and_non_productive_busy_by_hand(con, mode: str) -> None:
    """Cell 10:00 of skill:s1 (expanded from the 'all' answer in membership mode, its own
    answer per scope): AVAILABLE a3 = 1; BUSY a1, a2, a6, a7 = 4, of which productive a1 + a6
    (unknown counts) + a7 for 5 of 15 minutes = 2.3333, other a2 + a7 for 10 minutes = 1.6667;
    on queue 1 + 2.3333 = 3.3333; logged in a1 a2 a3 a4 a6 a7 = 6; shrinkage 1 - 3.3333 / 6 =
    0.4444; BUSY agent-seconds with capacity data: a1, a2, a7 of four = 0.75."""
    poll_morning(con, mode)
    build(con)
    for scope in (S1, "all"):
        found = cell(con, scope, at(DAY, "10:00"))
        assert_close(
            found,
            avg_available=1,
            avg_busy=4,
            avg_busy_productive=7 / 3,
            avg_busy_other=5 / 3,
            avg_on_queue=10 / 3,
            avg_logged_in=6,
            shrinkage=1 - (10 / 3) / 6,
            busy_capacity_known=0.75,
            staffed=5,  # unchanged: available + every BUSY
            avg_offline=1,
        )
        # 10:15: a7 is in its meeting the whole cell.
        later = cell(con, scope, at(DAY, "10:15"))
        assert_close(later, avg_busy_productive=2, avg_busy_other=2, avg_on_queue=3)
    # The flag is carried into the spans, which split where it changes (a7 at 10:05).
    spans = rows(
        con,
        "SELECT agent_id, status, busy_productive, span_start, span_end FROM agent_status_spans "
        "WHERE scope_key = ? AND status = 'BUSY' ORDER BY agent_id, span_start",
        S1,
    )
    assert [
        (s["agent_id"], s["busy_productive"], s["span_start"], s["span_end"]) for s in spans
    ] == [
        ("a1", True, at(DAY, "10:00"), at(DAY, "10:30")),
        ("a2", False, at(DAY, "10:00"), at(DAY, "10:30")),
        ("a6", None, at(DAY, "10:00"), at(DAY, "10:30")),
        ("a7", True, at(DAY, "10:00"), at(DAY, "10:05")),
        ("a7", False, at(DAY, "10:05"), at(DAY, "10:30")),
    ]
    others = con.execute(
        "SELECT count(*) FROM agent_status_spans WHERE status <> 'BUSY' AND busy_productive "
        "IS NOT NULL"
    ).fetchall()
    assert others == [(0,)]
    assert coverage.check_spans_no_overlap(con, DAY).passed


def test_without_capacity_data_every_busy_counts(con) -> None:
    """No answer carries channelCapacity: every BUSY is on queue and busy_capacity_known says
    0 (the report's "without capacity data every BUSY counts"). A cell with only OFFLINE
    agents has nobody logged in: shrinkage and busy_capacity_known are NULL, not 0."""
    for t in minutes(at(DAY, "10:00"), at(DAY, "10:15")):
        per_scope_tick(con, t, {S1: STATUSES, "all": {"a5": "OFFLINE"}})
    build(con)
    found = cell(con, S1, at(DAY, "10:00"))
    assert_close(
        found,
        avg_busy=4,
        avg_busy_productive=4,
        avg_busy_other=0,
        avg_on_queue=5,
        avg_logged_in=6,
        shrinkage=1 - 5 / 6,
        busy_capacity_known=0,
    )
    assert_close(
        cell(con, "all", at(DAY, "10:00")),
        avg_offline=1,
        avg_logged_in=0,
        avg_on_queue=0,
        shrinkage=None,
        busy_capacity_known=None,
    )
    unobserved = cell(con, S1, at(DAY, "11:00"))
    for name in ("avg_on_queue", "avg_logged_in", "shrinkage", "busy_capacity_known"):
        assert unobserved[name] is None, name


def rules(*spec: tuple[str, str, float]) -> pd.DataFrame:
    """Weekday targets for skill:s1 on DAY's weekday (a Monday): (start, end, required)."""

    def minute(clock: str) -> int:
        hours, mins = clock.split(":")
        return int(hours) * 60 + int(mins)

    return pd.DataFrame(
        [
            {
                "scope_key": S1,
                "day_date": None,
                "weekday": 1,
                "start_minute": minute(start),
                "end_minute": minute(end),
                "required_agents": required,
                "source": "target",
                "priority": 1,
            }
            for start, end, required in spec
        ]
    )


def schedules_file(tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "schedules.csv"
    path.write_text(
        "# scheduled heads\nscope,day,interval_start,scheduled_agents\nskill:s1,mon,10:00,6\n",
        encoding="utf-8",
    )
    return load_schedules(path, 15, known_scopes=["all", S1])


def judge(con: duckdb.DuckDBPyConnection, now: datetime) -> dict[str, dict[str, Any]]:
    coverage.build_coverage_vs_requirement(con, DAY, SETTINGS, now=now)
    return {
        r["local_start"].strftime("%H:%M"): r
        for r in rows(
            con,
            "SELECT * FROM coverage_vs_requirement WHERE scope_key = ? "
            "AND interval_start BETWEEN ? AND ? ORDER BY interval_start",
            S1,
            at(DAY, "10:00"),
            at(DAY, "10:30"),
        )
    }


def summary(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    (found,) = rows(con, "SELECT * FROM coverage_daily_summary WHERE scope_key = ?", S1)
    return found


def test_net_staffing_schedules_future_cells_and_same_set_averages(con, tmp_path: Path) -> None:
    """Requirements (on queue) 10:00 = 3, 10:15 = 4, 10:30 = 5 (10:30 is never observed);
    scheduled 6 at 10:00 only. On queue 3.3333 at 10:00 and 3 at 10:15; idle 1; logged in 6.

    Built at 10:15, the 10:15 cell is in the future: not judged although observed (it has
    started being polled in this fixture), so the day is judged on 10:00 alone."""
    poll_morning(con, "membership")
    build(con)
    coverage.build_requirements(
        con,
        DAY,
        SETTINGS,
        rules(("10:00", "10:15", 3), ("10:15", "10:30", 4), ("10:30", "10:45", 5)),
    )
    assert coverage.build_schedules(con, DAY, SETTINGS, schedules_file(tmp_path)) == 1

    cells = judge(con, now=at(DAY, "10:15"))
    assert_close(
        cells["10:00"],
        required_agents=3,
        on_queue=10 / 3,
        idle_available=1,
        available=1,
        logged_in=6,
        scheduled=6,
        net_staffing=1 / 3,
        gap=1 / 3,
    )
    assert cells["10:00"]["met"] is True and cells["10:00"]["is_future"] is False
    assert cells["10:00"]["requirement_source"] == "target"
    assert cells["10:15"]["is_future"] is True and cells["10:15"]["met"] is None
    assert_close(cells["10:15"], on_queue=3, net_staffing=-1, scheduled=None)
    assert cells["10:30"]["is_future"] is True and cells["10:30"]["on_queue"] is None
    day = summary(con)
    assert (day["intervals_with_requirement"], day["intervals_judged"], day["intervals_met"]) == (
        3,
        1,
        1,
    )
    assert_close(
        day,
        share_met=1,
        avg_on_queue=10 / 3,
        avg_idle_available=1,
        avg_available=1,
        avg_required=3,  # over the judged cell only, not (3 + 4 + 5) / 3
        avg_net_staffing=1 / 3,
        avg_scheduled=6,
        shortfall_agent_hours=0,
        surplus_agent_hours=(1 / 3) * 0.25,
        worst_gap=1 / 3,
    )

    # Later the same day: 10:15 is judged (short by one), 10:30 is past but unobserved.
    cells = judge(con, now=at(DAY, "11:00"))
    assert cells["10:15"]["met"] is False and cells["10:15"]["is_future"] is False
    assert cells["10:30"]["met"] is None and cells["10:30"]["is_future"] is False
    day = summary(con)
    assert (day["intervals_judged"], day["intervals_met"]) == (2, 1)
    assert_close(
        day,
        share_met=0.5,
        avg_on_queue=(10 / 3 + 3) / 2,
        avg_idle_available=1,
        avg_required=3.5,
        avg_net_staffing=(1 / 3 - 1) / 2,
        avg_scheduled=6,  # the one judged cell with a schedule
        shortfall_agent_hours=0.25,
        surplus_agent_hours=(1 / 3) * 0.25,
        worst_gap=-1,
    )
    assert day["worst_interval_start"] == at(DAY, "10:15")

    # Schedules absent: an empty schedules table replaces the day's rows.
    assert coverage.build_schedules(con, DAY, SETTINGS, load_schedules(None)) == 0
    cells = judge(con, now=at(DAY, "11:00"))
    assert all(found["scheduled"] is None for found in cells.values())
    assert summary(con)["avg_scheduled"] is None

    target = coverage.check_coverage_target(con, DAY, max_unmet_share=0.2)
    assert not target.passed
    assert target.metadata["worst_intervals"] == [
        {
            "scope_key": S1,
            "local_start": "2026-01-05 10:15",
            "required": 4.0,
            "on_queue": 3.0,
            "idle_available": 1.0,
            "net_staffing": -1.0,
        }
    ]


def test_now_must_be_timezone_aware(con) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        coverage.build_coverage_vs_requirement(con, DAY, SETTINGS, now=datetime(2026, 1, 5, 10))


def test_on_queue_follows_the_simulators_truth(con) -> None:
    """Minute polls of the simulator's model (v2 answers with channelCapacity, landed by the
    real ingest) for two morning hours, against its exact timeline: per cell, on-queue
    agents = AVAILABLE + BUSY whose capacity the model reports as used
    (roster.channel_capacity of the segment: today every contact BUSY, and with the simcc
    change Training and Login Prep not), logged-in = every status but OFFLINE. Sampling once
    a minute misses only sub-minute changes: small on average, never large."""
    sim = Simulator(SimulatorConfig(agents=60, seed=11))
    start, end = at(TRUTH_DAY, "14:00"), at(TRUTH_DAY, "16:00")
    for t in minutes(start, end):
        tick = Tick(f"sim-{t.isoformat()}", "acct", t, t)
        sends = pd.DataFrame({"scope_key": ["all"], "sent_at": pd.to_datetime([t], utc=True)})
        answer = landing(["all"], t, [sim.availability({}, t)])
        warehouse.write_tick(con, tick, answer, sends, [Scope("all", "", "All agents")], pii=KEEP)
    coverage.build_spans(con, TRUTH_DAY, SETTINGS)
    coverage.build_coverage(con, TRUTH_DAY, SETTINGS)
    measured = rows(
        con,
        "SELECT * FROM coverage_intervals WHERE scope_key = 'all' AND interval_start >= ? "
        "AND interval_start < ? ORDER BY interval_start",
        start,
        end,
    )
    assert len(measured) == 8
    spans = sim.timeline(start, end)
    errors = []
    for found in measured:
        lo = found["interval_start"]
        hi = lo + timedelta(minutes=15)
        seconds = {"on_queue": 0.0, "other": 0.0, "logged_in": 0.0}
        for span in spans:
            overlap = (min(span.end, hi) - max(span.start, lo)).total_seconds()
            if overlap <= 0 or span.bucket == "OFFLINE":
                continue
            seconds["logged_in"] += overlap
            if span.bucket == "AVAILABLE":
                seconds["on_queue"] += overlap
            elif span.bucket == "BUSY":
                used = channel_capacity(
                    sim.agent(span.agent_id), int(span.start.timestamp()), "BUSY", span.detail
                )
                productive = any(channel["usedCapacity"] > 0 for channel in used.values())
                seconds["on_queue" if productive else "other"] += overlap
        assert found["avg_on_queue"] == pytest.approx(seconds["on_queue"] / 900, abs=1.5)
        assert found["avg_busy_other"] == pytest.approx(seconds["other"] / 900, abs=1.5)
        assert found["avg_logged_in"] == pytest.approx(seconds["logged_in"] / 900, abs=1.5)
        assert found["busy_capacity_known"] == pytest.approx(1.0)  # v2: every answer has it
        errors.append(abs(found["avg_on_queue"] - seconds["on_queue"] / 900))
    assert sum(errors) / len(errors) < 0.25
    assert any(found["avg_busy_productive"] > 1 for found in measured)  # real work in it


def test_completeness_judges_only_cells_that_ended(con) -> None:
    """Today's partition at 10:20: skill:s1 observed 10:00-10:30 (the morning above), nothing
    before. Cells before 10:00 are unobserved and flagged; 10:00 is complete; 10:15 (still
    running) and every later cell are left out instead of being flagged as incomplete."""
    poll_morning(con, "per_scope")
    build(con)
    outcome = coverage.check_completeness(con, DAY, threshold=0.9, now=at(DAY, "10:20"))
    assert outcome.metadata["cells"] == 2 * 41  # two scopes x 00:00..10:00
    assert outcome.metadata["cells_below"] == 2 * 40
    whole_day = coverage.check_completeness(con, DAY, threshold=0.9, now=at(DAY, "23:59"))
    assert whole_day.metadata["cells"] == 2 * 95
