"""Coverage figures on a real DuckDB file, every expected number worked out by hand.

Conventions in the comments: times are UTC unless a test says otherwise; "a-s" means
agent-seconds; a cell is named by its start. Settings differ per test and are spelled out.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pandas as pd
import pytest

from pipelines import coverage, warehouse
from pipelines.coverage import CoverageSettings, CoverageSettingsError

MONDAY = date(2026, 1, 5)  # 2026-01-01 is a Thursday, so the 5th is a Monday (ISO weekday 1)
NY = "America/New_York"
SPRING_FORWARD = date(2026, 3, 8)  # Sunday: 02:00 local jumps to 03:00
FALL_BACK = date(2026, 11, 1)  # Sunday: 02:00 local falls back to 01:00


# ---------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture
def con(tmp_path) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse.connect(tmp_path / "warehouse.duckdb") as connection:
        yield connection


def at(day: date, clock: str) -> datetime:
    """UTC instant of ``day`` at 'HH:MM' or 'HH:MM:SS'."""
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=UTC)


def add_scopes(con: duckdb.DuckDBPyConnection, *keys: str) -> None:
    frame = pd.DataFrame(
        {
            "scope_key": list(keys),
            "kind": [key.split(":")[0] for key in keys],
            "ref_id": [key.split(":")[-1] for key in keys],
            "name": [f"Scope {key}" for key in keys],
            "updated_at": [datetime(2026, 1, 1, tzinfo=UTC)] * len(keys),
        }
    )
    con.register("scopes_in", frame)
    con.execute("INSERT INTO scopes BY NAME SELECT * FROM scopes_in")
    con.unregister("scopes_in")


_tick_serial = iter(range(1_000_000))


def poll(
    con: duckdb.DuckDBPyConnection,
    scope: str,
    observed_at: datetime,
    agents: Iterable[tuple[str, str]] = (),
    outcome: str = "ok",
) -> None:
    """One response of ``scope``: a raw_responses row and a snapshot row per listed agent."""
    tick = f"tick-{next(_tick_serial)}"
    raw = pd.DataFrame(
        {
            "tick_id": [tick],
            "scope_key": [scope],
            "account_id": ["acct"],
            "requested_at": [observed_at],
            "observed_at": [observed_at if outcome == "ok" else None],
            "attempts": [1],
            "outcome": [outcome],
        }
    )
    con.register("raw_in", raw)
    con.execute("INSERT INTO raw_responses BY NAME SELECT * FROM raw_in")
    con.unregister("raw_in")
    listed = list(agents)
    if listed and outcome == "ok":
        snaps = pd.DataFrame(
            {
                "tick_id": [tick] * len(listed),
                "scope_key": [scope] * len(listed),
                "observed_at": [observed_at] * len(listed),
                "agent_id": [agent for agent, _ in listed],
                "user_id": [f"user-{agent}" for agent, _ in listed],
                "status": [status for _, status in listed],
            }
        )
        con.register("snaps_in", snaps)
        con.execute("INSERT INTO snapshots BY NAME SELECT * FROM snaps_in")
        con.unregister("snaps_in")


def build_all(con: duckdb.DuckDBPyConnection, day: date, settings: CoverageSettings) -> None:
    coverage.build_spans(con, day, settings)
    coverage.build_coverage(con, day, settings)


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def cell(con: duckdb.DuckDBPyConnection, scope: str, start: datetime) -> dict[str, Any]:
    found = rows(
        con,
        "SELECT * FROM coverage_intervals WHERE scope_key = ? AND interval_start = ?",
        scope,
        start,
    )
    assert len(found) == 1, found
    return found[0]


def spans(con: duckdb.DuckDBPyConnection, day: date, scope: str) -> list[tuple]:
    return [
        (r["agent_id"], r["status"], r["span_start"], r["span_end"], r["observations"])
        for r in rows(
            con,
            "SELECT * FROM agent_status_spans WHERE day = ? AND scope_key = ? "
            "ORDER BY agent_id, span_start",
            day,
            scope,
        )
    ]


def status_rows(con: duckdb.DuckDBPyConnection, scope: str, start: datetime) -> dict[str, float]:
    return {
        r["status"]: r["avg_agents"]
        for r in rows(
            con,
            "SELECT status, avg_agents FROM coverage_status_intervals "
            "WHERE scope_key = ? AND interval_start = ?",
            scope,
            start,
        )
    }


FIGURES = (
    "avg_available",
    "avg_busy",
    "avg_away",
    "avg_offline",
    "avg_other",
    "staffed",
    "min_available",
    "max_available",
    "occupancy",
    "zero_available_share",
)


def assert_figures(found: dict[str, Any], **expected: Any) -> None:
    for name, value in expected.items():
        if value is None:
            assert found[name] is None, (name, found[name])
        else:
            assert found[name] == pytest.approx(value, abs=1e-9), (name, found[name], value)


def rule(
    scope: str,
    start: str,
    end: str,
    required: float,
    source: str,
    priority: int,
    *,
    weekday: int | None = None,
    day_date: date | None = None,
) -> dict[str, Any]:
    def minute(clock: str) -> int:
        hours, minutes = clock.split(":")
        return int(hours) * 60 + int(minutes)

    return {
        "scope_key": scope,
        "day_date": day_date,
        "weekday": weekday,
        "start_minute": minute(start),
        "end_minute": minute(end),
        "required_agents": float(required),
        "source": source,
        "priority": priority,
        "contacts": None,
        "aht_seconds": None,
        "service_level": None,
        "target_seconds": None,
    }


def rules_frame(*rules: dict[str, Any]) -> pd.DataFrame:
    """Typed like pipelines/coverage/requirements.py builds it (Int64 weekday, dates as objects)."""
    return pd.DataFrame(
        {
            "scope_key": pd.Series([r["scope_key"] for r in rules], dtype="str"),
            "day_date": pd.Series([r["day_date"] for r in rules], dtype=object),
            "weekday": pd.array([r["weekday"] for r in rules], dtype="Int64"),
            "start_minute": pd.Series([r["start_minute"] for r in rules], dtype="int64"),
            "end_minute": pd.Series([r["end_minute"] for r in rules], dtype="int64"),
            "required_agents": pd.Series([r["required_agents"] for r in rules], dtype="float64"),
            "source": pd.Series([r["source"] for r in rules], dtype="str"),
            "contacts": pd.Series([math.nan] * len(rules), dtype="float64"),
            "aht_seconds": pd.Series([math.nan] * len(rules), dtype="float64"),
            "service_level": pd.Series([math.nan] * len(rules), dtype="float64"),
            "target_seconds": pd.Series([math.nan] * len(rules), dtype="float64"),
            "priority": pd.Series([r["priority"] for r in rules], dtype="int64"),
        }
    )


# ---------------------------------------------------------------------------------------
# Settings, days and the grid


def test_settings_defaults_and_validation_name_the_variable() -> None:
    settings = CoverageSettings()
    assert (settings.time_zone, settings.interval_minutes, settings.max_gap_seconds) == (
        "UTC",
        15,
        120.0,
    )
    with pytest.raises(CoverageSettingsError, match="AVAILABILITY_TIME_ZONE"):
        CoverageSettings(time_zone="Mars/Olympus_Mons")
    with pytest.raises(CoverageSettingsError, match="AVAILABILITY_TIME_ZONE"):
        CoverageSettings(time_zone="")
    for minutes in (0, 10, 45, 120, 15.0, True):
        with pytest.raises(CoverageSettingsError, match="AVAILABILITY_INTERVAL_MINUTES"):
            CoverageSettings(interval_minutes=minutes)  # type: ignore[arg-type]
    for gap in (0, -1.0, math.nan, math.inf, "120"):
        with pytest.raises(CoverageSettingsError, match="AVAILABILITY_MAX_GAP_SECONDS"):
            CoverageSettings(max_gap_seconds=gap)  # type: ignore[arg-type]
    assert isinstance(CoverageSettingsError("x"), ValueError)


def test_settings_from_env() -> None:
    settings = CoverageSettings.from_env(
        {
            "AVAILABILITY_TIME_ZONE": "Europe/Paris",
            "AVAILABILITY_INTERVAL_MINUTES": "30",
            "AVAILABILITY_MAX_GAP_SECONDS": "90.5",
        }
    )
    assert settings == CoverageSettings("Europe/Paris", 30, 90.5)
    assert CoverageSettings.from_env({}) == CoverageSettings()
    with pytest.raises(CoverageSettingsError, match="AVAILABILITY_INTERVAL_MINUTES"):
        CoverageSettings.from_env({"AVAILABILITY_INTERVAL_MINUTES": "quarter"})
    with pytest.raises(CoverageSettingsError, match="AVAILABILITY_MAX_GAP_SECONDS"):
        CoverageSettings.from_env({"AVAILABILITY_MAX_GAP_SECONDS": "two minutes"})
    with pytest.raises(CoverageSettingsError, match="AVAILABILITY_TIME_ZONE"):
        CoverageSettings.from_env({"AVAILABILITY_TIME_ZONE": "Nowhere/Land"})


def test_day_bounds_are_local_midnights_in_utc() -> None:
    assert coverage.day_bounds(MONDAY, "UTC") == (
        at(MONDAY, "00:00"),
        at(date(2026, 1, 6), "00:00"),
    )
    # New York is UTC-5 in winter, UTC-4 in summer. Spring forward: midnight EST = 05:00Z,
    # next midnight EDT = 04:00Z, 23 hours. Fall back: 04:00Z to 05:00Z next day, 25 hours.
    start, end = coverage.day_bounds(SPRING_FORWARD, NY)
    assert (start, end) == (at(SPRING_FORWARD, "05:00"), at(date(2026, 3, 9), "04:00"))
    assert start.tzinfo is not None and end - start == timedelta(hours=23)
    start, end = coverage.day_bounds(FALL_BACK, NY)
    assert (start, end) == (at(FALL_BACK, "04:00"), at(date(2026, 11, 2), "05:00"))
    assert end - start == timedelta(hours=25)
    # Kolkata is UTC+5:30 with no DST: local midnight is 18:30Z the day before.
    assert coverage.day_bounds(MONDAY, "Asia/Kolkata")[0] == at(date(2026, 1, 4), "18:30")


@pytest.mark.parametrize(
    ("day", "minutes", "expected"),
    [
        # 24 h / 15 min = 96; 23 h -> 92; 25 h -> 100
        (date(2026, 3, 9), 15, 96),
        (SPRING_FORWARD, 15, 92),
        (FALL_BACK, 15, 100),
        # 5 min: 288 / 276 / 300; 30 min: 48 / 46 / 50; 60 min: 24 / 23 / 25
        (date(2026, 3, 9), 5, 288),
        (SPRING_FORWARD, 5, 276),
        (FALL_BACK, 5, 300),
        (date(2026, 3, 9), 30, 48),
        (SPRING_FORWARD, 30, 46),
        (FALL_BACK, 30, 50),
        (date(2026, 3, 9), 60, 24),
        (SPRING_FORWARD, 60, 23),
        (FALL_BACK, 60, 25),
    ],
)
def test_interval_count(day: date, minutes: int, expected: int) -> None:
    assert coverage.interval_count(day, CoverageSettings(NY, minutes)) == expected


def test_spring_forward_grid_has_92_cells_and_skips_the_lost_hour(con) -> None:
    add_scopes(con, "skill:a")
    settings = CoverageSettings(time_zone=NY)
    build_all(con, SPRING_FORWARD, settings)
    grid = rows(
        con,
        "SELECT interval_start, interval_end, local_start FROM coverage_intervals "
        "WHERE day = ? ORDER BY interval_start",
        SPRING_FORWARD,
    )
    assert len(grid) == 92
    local = [r["local_start"] for r in grid]
    assert local[0] == datetime(2026, 3, 8, 0, 0)
    assert grid[0]["interval_start"] == at(SPRING_FORWARD, "05:00")
    # 01:45 EST (06:45Z) is followed by 03:00 EDT (07:00Z): no 02:xx cells exist.
    index = local.index(datetime(2026, 3, 8, 1, 45))
    assert local[index + 1] == datetime(2026, 3, 8, 3, 0)
    assert grid[index + 1]["interval_start"] == at(SPRING_FORWARD, "07:00")
    assert not [t for t in local if t.hour == 2]
    assert local[-1] == datetime(2026, 3, 8, 23, 45)
    assert grid[-1]["interval_end"] == at(date(2026, 3, 9), "04:00")
    assert len(set(local)) == 92


def test_fall_back_grid_has_100_cells_and_repeats_the_hour(con) -> None:
    add_scopes(con, "skill:a")
    settings = CoverageSettings(time_zone=NY)
    build_all(con, FALL_BACK, settings)
    grid = rows(
        con,
        "SELECT interval_start, local_start FROM coverage_intervals "
        "WHERE day = ? ORDER BY interval_start",
        FALL_BACK,
    )
    assert len(grid) == 100
    local = [r["local_start"] for r in grid]
    assert local[0] == datetime(2026, 11, 1, 0, 0) and local[-1] == datetime(2026, 11, 1, 23, 45)
    # 01:00-01:45 EDT (05:00Z-05:45Z), then again as EST (06:00Z-06:45Z), then 02:00 EST.
    repeated = [r for r in grid if r["local_start"].hour == 1]
    assert [r["local_start"].minute for r in repeated] == [0, 15, 30, 45] * 2
    assert [r["interval_start"] for r in repeated] == [
        at(FALL_BACK, clock)
        for clock in ("05:00", "05:15", "05:30", "05:45", "06:00", "06:15", "06:30", "06:45")
    ]
    after = local.index(datetime(2026, 11, 1, 2, 0))
    assert grid[after]["interval_start"] == at(FALL_BACK, "07:00")


def test_hourly_grid_counts_on_dst_days(con) -> None:
    add_scopes(con, "skill:a", "queue:q")
    for day, expected in ((SPRING_FORWARD, 23), (FALL_BACK, 25), (date(2026, 3, 9), 24)):
        settings = CoverageSettings(time_zone=NY, interval_minutes=60)
        assert coverage.build_coverage(con, day, settings) == 2 * expected
        assert coverage.check_grid_complete(con, day, settings).passed


# ---------------------------------------------------------------------------------------
# Spans and interval figures


def test_quarter_hour_figures_by_hand(con) -> None:
    """Polls every 5 minutes, max gap 10 minutes, so the polls' windows touch.

    Polls of skill:a at 09:00, 09:05, 09:10, 09:15; windows [09:00,09:05), [09:05,09:10),
    [09:10,09:15), and [09:15,09:25) for the last one (09:15 + max gap).
        09:00  x AVAILABLE, y BUSY
        09:05  x AVAILABLE, y AVAILABLE, z AWAY
        09:10  x BUSY,      y AVAILABLE            (z absent: left at 09:10)
        09:15  x BUSY                              (y absent: left at 09:15)
    """
    add_scopes(con, "skill:a")
    polls = {
        "09:00": [("x", "AVAILABLE"), ("y", "BUSY")],
        "09:05": [("x", "AVAILABLE"), ("y", "AVAILABLE"), ("z", "AWAY")],
        "09:10": [("x", "BUSY"), ("y", "AVAILABLE")],
        "09:15": [("x", "BUSY")],
    }
    for clock, agents in polls.items():
        poll(con, "skill:a", at(MONDAY, clock), agents)
    settings = CoverageSettings(max_gap_seconds=600)
    assert coverage.build_spans(con, MONDAY, settings) == 5
    # Merged spans: x AVAILABLE 09:00-09:10 (2 polls), x BUSY 09:10-09:25 (2 polls),
    # y BUSY 09:00-09:05, y AVAILABLE 09:05-09:15 (2 polls), z AWAY 09:05-09:10.
    assert spans(con, MONDAY, "skill:a") == [
        ("x", "AVAILABLE", at(MONDAY, "09:00"), at(MONDAY, "09:10"), 2),
        ("x", "BUSY", at(MONDAY, "09:10"), at(MONDAY, "09:25"), 2),
        ("y", "BUSY", at(MONDAY, "09:00"), at(MONDAY, "09:05"), 1),
        ("y", "AVAILABLE", at(MONDAY, "09:05"), at(MONDAY, "09:15"), 2),
        ("z", "AWAY", at(MONDAY, "09:05"), at(MONDAY, "09:10"), 1),
    ]
    user = rows(con, "SELECT DISTINCT agent_id, user_id FROM agent_status_spans ORDER BY 1")
    assert [r["user_id"] for r in user] == ["user-x", "user-y", "user-z"]

    assert coverage.build_coverage(con, MONDAY, settings) == 96

    # Cell 09:00-09:15, fully observed (900 s).
    # AVAILABLE a-s: x 09:00-09:10 = 600, y 09:05-09:15 = 600 -> 1200 / 900 = 1.3333
    # BUSY a-s: y 09:00-09:05 = 300, x 09:10-09:15 = 300 -> 600 / 900 = 0.6667
    # AWAY a-s: z 300 -> 0.3333; staffed 2.0; occupancy 0.6667 / 2 = 0.3333
    # AVAILABLE head count at the polls whose windows overlap: 09:00 -> 1, 09:05 -> 2,
    # 09:10 -> 1 (09:15's window starts at the cell end). Never zero available.
    nine = cell(con, "skill:a", at(MONDAY, "09:00"))
    assert nine["observed_seconds"] == pytest.approx(900)
    assert nine["observed_share"] == pytest.approx(1.0)
    assert nine["observations"] == 3
    assert nine["interval_end"] == at(MONDAY, "09:15")
    assert nine["local_start"] == datetime(2026, 1, 5, 9, 0)
    assert_figures(
        nine,
        avg_available=1200 / 900,
        avg_busy=600 / 900,
        avg_away=300 / 900,
        avg_offline=0,
        avg_other=0,
        staffed=2.0,
        min_available=1,
        max_available=2,
        occupancy=(600 / 900) / 2.0,
        zero_available_share=0,
    )
    assert status_rows(con, "skill:a", at(MONDAY, "09:00")) == pytest.approx(
        {"AVAILABLE": 1200 / 900, "BUSY": 600 / 900, "AWAY": 300 / 900}
    )

    # Cell 09:15-09:30: observed 09:15-09:25 = 600 s -> share 600 / 900; x BUSY throughout:
    # avg_busy 1, staffed 1, occupancy 1, AVAILABLE count 0 at the one poll -> zero share 1.
    quarter = cell(con, "skill:a", at(MONDAY, "09:15"))
    assert quarter["observed_seconds"] == pytest.approx(600)
    assert quarter["observed_share"] == pytest.approx(600 / 900)
    assert quarter["observations"] == 1
    assert_figures(
        quarter,
        avg_available=0,
        avg_busy=1,
        avg_away=0,
        staffed=1,
        min_available=0,
        max_available=0,
        occupancy=1,
        zero_available_share=1,
    )

    # Cell 08:45: nothing observed -> present, share 0, every figure NULL.
    before = cell(con, "skill:a", at(MONDAY, "08:45"))
    assert before["observed_share"] == 0 and before["observations"] == 0
    assert_figures(before, **dict.fromkeys(FIGURES))


def test_gap_longer_than_the_maximum_is_unobserved(con) -> None:
    """Max gap 120 s; polls at 09:00 and 09:10 only: windows [09:00,09:02) and [09:10,09:12).

        09:00  x AVAILABLE, y AVAILABLE
        09:10  x BUSY                        (y absent)
    [09:02, 09:10) is unobserved: not counted as zero agents, just left out.
    """
    add_scopes(con, "skill:a")
    poll(con, "skill:a", at(MONDAY, "09:00"), [("x", "AVAILABLE"), ("y", "AVAILABLE")])
    poll(con, "skill:a", at(MONDAY, "09:10"), [("x", "BUSY")])
    # A failed request in between is no observation point and does not extend anything.
    poll(con, "skill:a", at(MONDAY, "09:05"), outcome="error")
    settings = CoverageSettings()
    build_all(con, MONDAY, settings)
    assert spans(con, MONDAY, "skill:a") == [
        ("x", "AVAILABLE", at(MONDAY, "09:00"), at(MONDAY, "09:02"), 1),
        ("x", "BUSY", at(MONDAY, "09:10"), at(MONDAY, "09:12"), 1),
        ("y", "AVAILABLE", at(MONDAY, "09:00"), at(MONDAY, "09:02"), 1),
    ]
    # Observed 120 + 120 = 240 s of 900 -> share 0.2667.
    # AVAILABLE a-s: x 120 + y 120 = 240 -> 240 / 240 = 1.0; BUSY a-s: x 120 -> 0.5.
    # staffed 1.5; occupancy 0.5 / 1.5 = 1/3. AVAILABLE count: 2 at 09:00, 0 at 09:10 ->
    # min 0, max 2; no one AVAILABLE during 09:10-09:12 = 120 of 240 observed s -> 0.5.
    found = cell(con, "skill:a", at(MONDAY, "09:00"))
    assert found["observed_seconds"] == pytest.approx(240)
    assert found["observed_share"] == pytest.approx(240 / 900)
    assert found["observations"] == 2
    assert_figures(
        found,
        avg_available=1.0,
        avg_busy=0.5,
        avg_away=0,
        avg_offline=0,
        avg_other=0,
        staffed=1.5,
        min_available=0,
        max_available=2,
        occupancy=1 / 3,
        zero_available_share=0.5,
    )


def test_agent_in_two_skills_counts_in_each_and_once_per_scope(con) -> None:
    """One poll per scope at 09:00 (window [09:00, 09:02) with the default max gap).

    skill:a lists some agents twice (two buckets of one response); precedence
    BUSY > AVAILABLE > AWAY > other statuses alphabetically > OFFLINE keeps one status:
        x  AVAILABLE + BUSY      -> BUSY
        y  AWAY + AVAILABLE      -> AVAILABLE
        t  AVAILABLE + AVAILABLE -> AVAILABLE (once)
        u  LUNCH + AWAY          -> AWAY
        v  LUNCH + BREAK         -> BREAK (alphabetical among other statuses)
        w  OFFLINE + LUNCH       -> LUNCH (any other status beats OFFLINE)
    skill:b lists x as AVAILABLE: x counts there too.
    """
    add_scopes(con, "skill:a", "skill:b")
    listing = [
        ("x", "AVAILABLE"),
        ("x", "BUSY"),
        ("y", "AWAY"),
        ("y", "AVAILABLE"),
        ("t", "AVAILABLE"),
        ("t", "AVAILABLE"),
        ("u", "LUNCH"),
        ("u", "AWAY"),
        ("v", "LUNCH"),
        ("v", "BREAK"),
        ("w", "OFFLINE"),
        ("w", "LUNCH"),
    ]
    poll(con, "skill:a", at(MONDAY, "09:00"), listing)
    poll(con, "skill:b", at(MONDAY, "09:00"), [("x", "AVAILABLE")])
    build_all(con, MONDAY, CoverageSettings())
    assert [(agent, status) for agent, status, *_ in spans(con, MONDAY, "skill:a")] == [
        ("t", "AVAILABLE"),
        ("u", "AWAY"),
        ("v", "BREAK"),
        ("w", "LUNCH"),
        ("x", "BUSY"),
        ("y", "AVAILABLE"),
    ]
    assert coverage.check_spans_no_overlap(con, MONDAY).passed
    # skill:a over the 120 observed seconds: AVAILABLE t, y = 2; BUSY x = 1; AWAY u = 1;
    # other v (BREAK) + w (LUNCH) = 2; OFFLINE 0. staffed 3, occupancy 1/3.
    a = cell(con, "skill:a", at(MONDAY, "09:00"))
    assert a["observed_seconds"] == pytest.approx(120)
    assert_figures(
        a,
        avg_available=2,
        avg_busy=1,
        avg_away=1,
        avg_offline=0,
        avg_other=2,
        staffed=3,
        min_available=2,
        max_available=2,
        occupancy=1 / 3,
        zero_available_share=0,
    )
    assert status_rows(con, "skill:a", at(MONDAY, "09:00")) == pytest.approx(
        {"AVAILABLE": 2, "BUSY": 1, "AWAY": 1, "BREAK": 1, "LUNCH": 1}
    )
    b = cell(con, "skill:b", at(MONDAY, "09:00"))
    assert_figures(b, avg_available=1, avg_busy=0, staffed=1, occupancy=0, max_available=1)


def test_custom_statuses_land_in_other_and_in_the_long_table(con) -> None:
    """Polls 10:00 and 10:01 (max gap 120): windows [10:00,10:01), [10:01,10:03) = 180 s.

        10:00  x BREAK,    y TRAINING, z OFFLINE
        10:01  x BREAK,    y AVAILABLE, z OFFLINE
    BREAK a-s 180, TRAINING 60, AVAILABLE 120, OFFLINE 180 over 180 observed seconds.
    """
    add_scopes(con, "queue:q")
    poll(con, "queue:q", at(MONDAY, "10:00"), [("x", "BREAK"), ("y", "TRAINING"), ("z", "OFFLINE")])
    poll(
        con, "queue:q", at(MONDAY, "10:01"), [("x", "BREAK"), ("y", "AVAILABLE"), ("z", "OFFLINE")]
    )
    build_all(con, MONDAY, CoverageSettings())
    found = cell(con, "queue:q", at(MONDAY, "10:00"))
    # other = (180 + 60) / 180 = 1.3333; available 120 / 180; offline 1; staffed 2/3;
    # occupancy 0 / (2/3) = 0; no one AVAILABLE during 10:00-10:01 -> 60 / 180.
    assert_figures(
        found,
        avg_available=120 / 180,
        avg_busy=0,
        avg_away=0,
        avg_offline=1,
        avg_other=240 / 180,
        staffed=120 / 180,
        min_available=0,
        max_available=1,
        occupancy=0,
        zero_available_share=60 / 180,
    )
    assert status_rows(con, "queue:q", at(MONDAY, "10:00")) == pytest.approx(
        {"BREAK": 1.0, "TRAINING": 60 / 180, "AVAILABLE": 120 / 180, "OFFLINE": 1.0}
    )
    seconds = {
        r["status"]: r["agent_seconds"]
        for r in rows(con, "SELECT status, agent_seconds FROM coverage_status_intervals")
    }
    assert seconds == pytest.approx(
        {"BREAK": 180, "TRAINING": 60, "AVAILABLE": 120, "OFFLINE": 180}
    )


def test_empty_scopes_keep_their_cells(con) -> None:
    """skill:never is configured but never polled; skill:empty is polled with nobody listed."""
    add_scopes(con, "skill:never", "skill:empty")
    poll(con, "skill:empty", at(MONDAY, "09:00"))
    poll(con, "skill:empty", at(MONDAY, "09:01"))
    settings = CoverageSettings()
    build_all(con, MONDAY, settings)
    assert coverage.check_grid_complete(con, MONDAY, settings).passed
    never = rows(con, "SELECT * FROM coverage_intervals WHERE scope_key = 'skill:never'")
    assert len(never) == 96
    for found in never:
        assert found["observed_share"] == 0 and found["observed_seconds"] == 0
        assert found["observations"] == 0
        assert_figures(found, **dict.fromkeys(FIGURES))
    # skill:empty: windows [09:00,09:01) and [09:01,09:03) -> 180 s observed, nobody there:
    # zeros (not NULLs), all observed time without an AVAILABLE agent, occupancy undefined.
    empty = cell(con, "skill:empty", at(MONDAY, "09:00"))
    assert empty["observed_seconds"] == pytest.approx(180)
    assert empty["observed_share"] == pytest.approx(180 / 900)
    assert empty["observations"] == 2
    assert_figures(
        empty,
        avg_available=0,
        avg_busy=0,
        avg_away=0,
        avg_offline=0,
        avg_other=0,
        staffed=0,
        min_available=0,
        max_available=0,
        occupancy=None,
        zero_available_share=1,
    )
    assert status_rows(con, "skill:empty", at(MONDAY, "09:00")) == {}


def test_span_across_midnight_is_split_between_days(con) -> None:
    """x AVAILABLE at polls 23:59:00 (Mon), 00:00:30 and 00:01:30 (Tue); max gap 120 s.

    Windows: [23:59:00, 00:00:30), [00:00:30, 00:01:30), [00:01:30, 00:03:30): one span
    23:59:00-00:03:30, stored as 23:59-24:00 on Monday and 00:00-00:03:30 on Tuesday.
    """
    tuesday = MONDAY + timedelta(days=1)
    add_scopes(con, "skill:a")
    for instant in (at(MONDAY, "23:59"), at(tuesday, "00:00:30"), at(tuesday, "00:01:30")):
        poll(con, "skill:a", instant, [("x", "AVAILABLE")])
    settings = CoverageSettings()
    for day in (MONDAY, tuesday):
        build_all(con, day, settings)
    # Monday's span rests on its one poll; Tuesday's on all three (the 23:59 window reaches
    # into Tuesday, so Tuesday's build reads polls from 23:58).
    assert spans(con, MONDAY, "skill:a") == [
        ("x", "AVAILABLE", at(MONDAY, "23:59"), at(tuesday, "00:00"), 1)
    ]
    assert spans(con, tuesday, "skill:a") == [
        ("x", "AVAILABLE", at(tuesday, "00:00"), at(tuesday, "00:03:30"), 3)
    ]
    # Monday 23:45: 60 s observed with 1 agent. Tuesday 00:00: 210 s observed with 1 agent;
    # the 23:59 poll counts for min/max (its window overlaps) but is not inside the cell.
    late = cell(con, "skill:a", at(MONDAY, "23:45"))
    assert late["observed_seconds"] == pytest.approx(60) and late["observations"] == 1
    assert_figures(late, avg_available=1, min_available=1, max_available=1)
    early = cell(con, "skill:a", at(tuesday, "00:00"))
    assert early["observed_seconds"] == pytest.approx(210) and early["observations"] == 2
    assert_figures(early, avg_available=1, min_available=1, max_available=1)
    assert early["observed_share"] == pytest.approx(210 / 900)


def test_local_time_zone_cells_use_local_midnight(con) -> None:
    """New York, spring-forward day: 01:50 EST is 06:50Z; 03:05 EDT is 07:05Z.

    Polls every minute 06:50Z..07:10Z with x AVAILABLE fill the cells 01:45 EST (06:45Z,
    observed 06:50-07:00 = 600 s) and 03:00 EDT (07:00Z, observed 07:00-07:12 = 720 s: the
    last poll, 07:10, keeps its window for the 120 s maximum gap).
    """
    add_scopes(con, "skill:a")
    start = at(SPRING_FORWARD, "06:50")
    for minute in range(21):
        poll(con, "skill:a", start + timedelta(minutes=minute), [("x", "AVAILABLE")])
    settings = CoverageSettings(time_zone=NY)
    build_all(con, SPRING_FORWARD, settings)
    observed = rows(
        con,
        "SELECT local_start, observed_seconds, observations FROM coverage_intervals "
        "WHERE observed_seconds > 0 ORDER BY interval_start",
    )
    assert observed == [
        {
            "local_start": datetime(2026, 3, 8, 1, 45),
            "observed_seconds": pytest.approx(600),
            "observations": 10,
        },
        {
            "local_start": datetime(2026, 3, 8, 3, 0),
            "observed_seconds": pytest.approx(720),
            "observations": 11,
        },
    ]


# ---------------------------------------------------------------------------------------
# Requirements


def test_requirement_precedence_by_hand(con) -> None:
    """Monday 2026-01-05, UTC, skill:a; priorities as pipelines/coverage/requirements.py
    assigns them (0 dated target, 1 weekday target, 2 dated Erlang C, 3 weekday Erlang C).

    R1 Mon 09:00-10:00 erlang_c 3 agents, priority 3     (spans four cells)
    R2 Mon 09:00-09:30 target   5 agents, priority 1     -> target beats Erlang C
    R3 date 09:15-09:30 erlang_c 2 agents, priority 2    -> loses to R2 at 09:15
    R4 date 09:45-10:00 erlang_c 4 agents, priority 2    -> date beats weekday (R1)
    R5 Tue 09:00-10:00 target 9 (other weekday), R6 skill:b target 9 (other scope)
    Equal priorities (5) are settled by the tie-breaks:
    R7 Mon 10:00-10:15 target 6 vs R8 date 10:00-10:15 erlang_c 7 -> dated rule R8
    R9 Mon 10:15-10:30 erlang_c 1 vs R10 Mon 10:15-10:30 target 2 -> target R10
    """
    add_scopes(con, "skill:a", "skill:b")
    frame = rules_frame(
        rule("skill:a", "09:00", "10:00", 3, "erlang_c", 3, weekday=1),
        rule("skill:a", "09:00", "09:30", 5, "target", 1, weekday=1),
        rule("skill:a", "09:15", "09:30", 2, "erlang_c", 2, day_date=MONDAY),
        rule("skill:a", "09:45", "10:00", 4, "erlang_c", 2, day_date=MONDAY),
        rule("skill:a", "09:00", "10:00", 9, "target", 1, weekday=2),
        rule("skill:b", "09:00", "09:15", 9, "target", 1, weekday=1),
        rule("skill:a", "10:00", "10:15", 6, "target", 5, weekday=1),
        rule("skill:a", "10:00", "10:15", 7, "erlang_c", 5, day_date=MONDAY),
        rule("skill:a", "10:15", "10:30", 1, "erlang_c", 5, weekday=1),
        rule("skill:a", "10:15", "10:30", 2, "target", 5, weekday=1),
    )
    assert coverage.build_requirements(con, MONDAY, CoverageSettings(), frame) == 7
    found = rows(
        con,
        "SELECT scope_key, interval_start, local_start, required_agents, source "
        "FROM staffing_requirements WHERE day = ? ORDER BY scope_key, interval_start",
        MONDAY,
    )
    assert [
        (r["scope_key"], r["local_start"].strftime("%H:%M"), r["required_agents"], r["source"])
        for r in found
    ] == [
        ("skill:a", "09:00", 5.0, "target"),
        ("skill:a", "09:15", 5.0, "target"),
        ("skill:a", "09:30", 3.0, "erlang_c"),
        ("skill:a", "09:45", 4.0, "erlang_c"),
        ("skill:a", "10:00", 7.0, "erlang_c"),
        ("skill:a", "10:15", 2.0, "target"),
        ("skill:b", "09:00", 9.0, "target"),
    ]
    assert found[0]["interval_start"] == at(MONDAY, "09:00")


def test_requirements_follow_local_wall_time_on_dst_days(con) -> None:
    """New York. Both days are Sundays (ISO weekday 7).

    Fall back: a rule 01:00-02:00 matches 8 cells, the EDT hour (05:00Z-05:45Z) and the EST
    hour (06:00Z-06:45Z). Spring forward: a rule 02:00-03:00 matches nothing (the hour does
    not exist); a rule 01:00-04:00 matches 01:00-01:45 and 03:00-03:45 only = 8 cells.
    """
    add_scopes(con, "skill:a", "skill:b")
    settings = CoverageSettings(time_zone=NY)
    frame = rules_frame(
        rule("skill:a", "01:00", "02:00", 2, "target", 1, weekday=7),
        rule("skill:b", "02:00", "03:00", 2, "target", 1, weekday=7),
    )
    assert coverage.build_requirements(con, FALL_BACK, settings, frame) == 8 + 4
    starts = [
        r["interval_start"]
        for r in rows(
            con,
            "SELECT interval_start FROM staffing_requirements "
            "WHERE day = ? AND scope_key = 'skill:a' ORDER BY 1",
            FALL_BACK,
        )
    ]
    assert starts == [
        at(FALL_BACK, clock)
        for clock in ("05:00", "05:15", "05:30", "05:45", "06:00", "06:15", "06:30", "06:45")
    ]
    spring = rules_frame(
        rule("skill:a", "01:00", "04:00", 2, "target", 1, weekday=7),
        rule("skill:b", "02:00", "03:00", 2, "target", 1, weekday=7),
    )
    assert coverage.build_requirements(con, SPRING_FORWARD, settings, spring) == 8
    local = [
        r["local_start"].strftime("%H:%M")
        for r in rows(
            con,
            "SELECT local_start FROM staffing_requirements WHERE day = ? ORDER BY interval_start",
            SPRING_FORWARD,
        )
    ]
    assert local == ["01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30", "03:45"]


def test_empty_and_incomplete_rule_frames(con) -> None:
    add_scopes(con, "skill:a")
    settings = CoverageSettings()
    empty = pd.DataFrame(
        columns=[
            "scope_key",
            "day_date",
            "weekday",
            "start_minute",
            "end_minute",
            "required_agents",
            "source",
            "priority",
        ]
    )
    assert coverage.build_requirements(con, MONDAY, settings, empty) == 0
    assert coverage.build_requirements(con, MONDAY, settings, rules_frame()) == 0
    with pytest.raises(ValueError, match="priority"):
        coverage.build_requirements(con, MONDAY, settings, rules_frame().drop(columns=["priority"]))


# ---------------------------------------------------------------------------------------
# Coverage against requirement


def _requirement_day(con: duckdb.DuckDBPyConnection) -> CoverageSettings:
    """skill:a polled every 5 minutes 09:00-09:55 with max gap 300 s (windows touch; the last
    one ends 10:00). Cells: 09:00 two AVAILABLE throughout; 09:15 one; 09:30 three; 09:45
    two at 09:45 and 09:50, nobody AVAILABLE at 09:55 (x BUSY) -> 2 x 600 / 900 = 1.3333.
    Requirement: 2 agents 09:00-10:00 and 1 agent 10:00-10:15 (a cell never observed).
    skill:b: configured, no polls, no rules.
    """
    add_scopes(con, "skill:a", "skill:b")
    available = {0: 2, 5: 2, 10: 2, 15: 1, 20: 1, 25: 1, 30: 3, 35: 3, 40: 3, 45: 2, 50: 2, 55: 0}
    for minute, count in available.items():
        agents = [(name, "AVAILABLE") for name in ("x", "y", "z")[:count]]
        if count == 0:
            agents = [("x", "BUSY")]
        poll(con, "skill:a", at(MONDAY, "09:00") + timedelta(minutes=minute), agents)
    settings = CoverageSettings(max_gap_seconds=300)
    build_all(con, MONDAY, settings)
    frame = rules_frame(
        rule("skill:a", "09:00", "10:00", 2, "target", 1, weekday=1),
        rule("skill:a", "10:00", "10:15", 1, "target", 1, weekday=1),
    )
    coverage.build_requirements(con, MONDAY, settings, frame)
    coverage.build_coverage_vs_requirement(con, MONDAY, settings)
    return settings


def test_coverage_vs_requirement_and_daily_summary_by_hand(con) -> None:
    _requirement_day(con)
    cells = rows(
        con,
        "SELECT * FROM coverage_vs_requirement WHERE scope_key = 'skill:a' "
        "AND required_agents IS NOT NULL ORDER BY interval_start",
    )
    assert [r["local_start"].strftime("%H:%M") for r in cells] == [
        "09:00",
        "09:15",
        "09:30",
        "09:45",
        "10:00",
    ]
    # Net staffing judges ON-QUEUE agents (AVAILABLE + productive BUSY; x's BUSY at 09:55 has
    # no capacity data, so it counts as productive): 09:45 has 1.3333 available + 300 / 900
    # BUSY = 1.6667 on queue (once it was judged on the 1.3333 available).
    # available / on queue / gap / met per cell: 2 / 2 / 0 / met; 1 / 1 / -1 / not;
    # 3 / 3 / +1 / met; 1.3333 / 1.6667 / -0.3333 / not; unobserved 10:00: NULLs.
    expected = [
        (2.0, 2.0, 0.0, True),
        (1.0, 1.0, -1.0, False),
        (3.0, 3.0, 1.0, True),
        (4 / 3, 5 / 3, -1 / 3, False),
    ]
    for found, (available, on_queue, gap, met) in zip(cells, expected, strict=False):
        assert found["available"] == pytest.approx(available)
        assert found["on_queue"] == pytest.approx(on_queue)
        assert found["gap"] == pytest.approx(gap)
        assert found["met"] is met
        assert found["observed_share"] == pytest.approx(1.0)
    # Nobody is BUSY except x at 09:55-10:00: staffed = available, but 09:45 gets 300 a-s more.
    assert [r["staffed"] for r in cells[:3]] == pytest.approx([2.0, 1.0, 3.0])
    assert cells[3]["staffed"] == pytest.approx((2 * 600 + 300) / 900)
    last = cells[4]
    assert last["required_agents"] == 1.0
    assert last["available"] is None and last["gap"] is None and last["met"] is None
    assert last["observed_share"] == 0
    total = con.execute(
        "SELECT count(*), count(required_agents) FROM coverage_vs_requirement WHERE day = ?",
        [MONDAY],
    ).fetchone()
    assert total == (192, 5)

    summary = {r["scope_key"]: r for r in rows(con, "SELECT * FROM coverage_daily_summary")}
    a = summary["skill:a"]
    # 96 cells; observed 4; with a requirement 5; met 2 of the 4 judged -> 0.5.
    # shortfall (on queue) = (1 + 0.3333) x 0.25 h = 0.3333 agent-hours; worst gap -1 at 09:15;
    # every average over the 4 judged cells (the same set): available
    # (2 + 1 + 3 + 1.3333) / 4 = 1.8333; required 2 (the unobserved 10:00 cell is not judged;
    # once it was averaged in: 1.8).
    assert (a["intervals"], a["intervals_observed"], a["intervals_with_requirement"]) == (96, 4, 5)
    assert a["intervals_met"] == 2
    assert a["share_met"] == pytest.approx(0.5)
    assert a["shortfall_agent_hours"] == pytest.approx((1 + 1 / 3) * 0.25)
    assert a["worst_interval_start"] == at(MONDAY, "09:15")
    assert a["worst_local_start"] == datetime(2026, 1, 5, 9, 15)
    assert a["worst_gap"] == pytest.approx(-1.0)
    assert a["avg_available"] == pytest.approx((2 + 1 + 3 + 4 / 3) / 4)
    assert a["avg_required"] == pytest.approx(2.0)
    b = summary["skill:b"]
    assert (b["intervals"], b["intervals_observed"], b["intervals_with_requirement"]) == (96, 0, 0)
    assert b["intervals_met"] == 0 and b["shortfall_agent_hours"] == 0
    for name in ("share_met", "worst_interval_start", "worst_gap", "avg_available", "avg_required"):
        assert b[name] is None

    table = coverage.summary_table(con, MONDAY)
    assert list(table.columns) == [
        "scope_key",
        "name",
        "avg_available",
        "avg_required",
        "share_met",
        "shortfall_agent_hours",
        "avg_on_queue",
        "avg_net_staffing",
        "intervals_judged",
        "intervals_met",
        "surplus_agent_hours",
    ]
    assert table["scope_key"].tolist() == ["skill:a", "skill:b"]
    assert table.loc[0, "avg_on_queue"] == pytest.approx((2 + 1 + 3 + 5 / 3) / 4)
    assert table["name"].tolist() == ["Scope skill:a", "Scope skill:b"]
    assert table.loc[0, "share_met"] == pytest.approx(0.5)
    assert table.loc[0, "shortfall_agent_hours"] == pytest.approx(1 / 3)


def test_worst_interval_is_the_earliest_on_ties(con) -> None:
    """Two cells short by exactly one agent: 09:15 (one available of two) and, in a second
    setup below, an earlier equal gap wins."""
    _requirement_day(con)
    # Make 09:30 as short as 09:15 (gap -1) by raising its requirement to 4.
    frame = rules_frame(
        rule("skill:a", "09:00", "10:00", 2, "target", 1, weekday=1),
        rule("skill:a", "09:30", "09:45", 4, "target", 0, day_date=MONDAY),
    )
    settings = CoverageSettings(max_gap_seconds=300)
    coverage.build_requirements(con, MONDAY, settings, frame)
    coverage.build_coverage_vs_requirement(con, MONDAY, settings)
    worst = con.execute(
        "SELECT worst_interval_start, worst_gap FROM coverage_daily_summary "
        "WHERE scope_key = 'skill:a'"
    ).fetchone()
    assert worst == (at(MONDAY, "09:15"), pytest.approx(-1.0))


# ---------------------------------------------------------------------------------------
# Atomic replacement


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = (
        "agent_status_spans",
        "coverage_intervals",
        "coverage_status_intervals",
        "staffing_requirements",
        "coverage_vs_requirement",
        "coverage_daily_summary",
    )
    return {
        t: con.execute(f"SELECT count(*) FROM {t} WHERE day = ?", [MONDAY]).fetchone()[0]
        for t in tables
    }


def test_rebuilding_replaces_the_day_without_duplicates(con) -> None:
    settings = _requirement_day(con)
    first = _counts(con)
    # Spans: x AVAILABLE 09:00-09:55 then BUSY 09:55-10:00; y 09:00-09:15 and 09:30-09:55;
    # z 09:30-09:45 -> 5. Status rows: AVAILABLE in 4 cells + BUSY at 09:45 -> 5.
    assert first == {
        "agent_status_spans": 5,
        "coverage_intervals": 192,
        "coverage_status_intervals": 5,
        "staffing_requirements": 5,
        "coverage_vs_requirement": 192,
        "coverage_daily_summary": 2,
    }
    build_all(con, MONDAY, settings)
    frame = rules_frame(
        rule("skill:a", "09:00", "10:00", 2, "target", 1, weekday=1),
        rule("skill:a", "10:00", "10:15", 1, "target", 1, weekday=1),
    )
    coverage.build_requirements(con, MONDAY, settings, frame)
    coverage.build_coverage_vs_requirement(con, MONDAY, settings)
    assert _counts(con) == first
    assert coverage.check_grid_complete(con, MONDAY, settings).passed
    assert coverage.check_spans_no_overlap(con, MONDAY).passed
    # Another day's rebuild leaves Monday alone.
    build_all(con, MONDAY + timedelta(days=1), settings)
    assert _counts(con) == first


def test_failed_rebuild_keeps_the_previous_rows(con) -> None:
    settings = _requirement_day(con)
    before = _counts(con)
    requirements_before = rows(con, "SELECT * FROM staffing_requirements ORDER BY ALL")

    # A rules frame whose start_minute is text: the cast fails after the DELETE ran.
    bad = rules_frame(rule("skill:a", "09:00", "10:00", 9, "target", 1, weekday=1))
    bad["start_minute"] = ["nine o'clock"]
    with pytest.raises(duckdb.Error):
        coverage.build_requirements(con, MONDAY, settings, bad)
    assert rows(con, "SELECT * FROM staffing_requirements ORDER BY ALL") == requirements_before

    # A table the coverage rebuild needs goes missing mid-way (after its DELETEs).
    con.execute("ALTER TABLE agent_status_spans RENAME TO spans_away")
    with pytest.raises(duckdb.Error):
        coverage.build_coverage(con, MONDAY, settings)
    con.execute("ALTER TABLE spans_away RENAME TO agent_status_spans")
    # And the spans rebuild, when snapshots are missing.
    con.execute("ALTER TABLE snapshots RENAME TO snapshots_away")
    with pytest.raises(duckdb.Error):
        coverage.build_spans(con, MONDAY, settings)
    con.execute("ALTER TABLE snapshots_away RENAME TO snapshots")

    assert _counts(con) == before
    assert coverage.check_grid_complete(con, MONDAY, settings).passed
    # The connection is usable again (no transaction left open) and rebuilds work.
    build_all(con, MONDAY, settings)
    assert _counts(con) == before


# ---------------------------------------------------------------------------------------
# Checks


def test_overlap_check_detects_a_hand_inserted_span(con) -> None:
    _requirement_day(con)
    assert coverage.check_spans_no_overlap(con, MONDAY).passed
    con.execute(
        "INSERT INTO agent_status_spans (day, scope_key, agent_id, user_id, status, span_start,"
        " span_end, observations) VALUES (?, 'skill:a', 'x', 'user-x', 'AWAY', ?, ?, 1)",
        [MONDAY, at(MONDAY, "09:02"), at(MONDAY, "09:03")],
    )
    outcome = coverage.check_spans_no_overlap(con, MONDAY)
    assert not outcome.passed
    assert outcome.metadata["overlapping_pairs"] == 1
    assert outcome.metadata["overlapping_spans"] == 1
    assert "skill:a x AWAY" in outcome.metadata["examples"][0]


def test_grid_check_detects_missing_and_duplicated_cells(con) -> None:
    settings = _requirement_day(con)
    outcome = coverage.check_grid_complete(con, MONDAY, settings)
    assert outcome.passed
    assert outcome.metadata["expected_cells"] == 192 and outcome.metadata["actual_rows"] == 192
    con.execute(
        "DELETE FROM coverage_intervals WHERE scope_key = 'skill:b' AND interval_start = ?",
        [at(MONDAY, "12:00")],
    )
    outcome = coverage.check_grid_complete(con, MONDAY, settings)
    assert not outcome.passed
    assert outcome.metadata["missing_cells"] == 1
    assert outcome.metadata["actual_rows"] == 191
    assert outcome.metadata["missing_examples"] == ["skill:b 2026-01-05T12:00:00Z"]
    con.execute(
        "INSERT INTO coverage_intervals SELECT * FROM coverage_intervals "
        "WHERE scope_key = 'skill:a' AND interval_start = ?",
        [at(MONDAY, "09:00")],
    )
    outcome = coverage.check_grid_complete(con, MONDAY, settings)
    assert not outcome.passed
    assert outcome.metadata["duplicated_cells"] == 1 and outcome.metadata["actual_rows"] == 192


def test_completeness_check_flags_thinly_observed_cells(con) -> None:
    """skill:a polled every minute all Monday except 10:01-10:04: the 10:00 poll's window
    ends at 10:02 (max gap), so 10:02-10:05 is unobserved and the 10:00 cell has 720 of 900
    seconds (0.8). Every other cell is complete (the 23:59 poll's window is clipped at
    midnight)."""
    add_scopes(con, "skill:a")
    minutes = [m for m in range(1440) if m not in (601, 602, 603, 604)]
    times = [at(MONDAY, "00:00") + timedelta(minutes=m) for m in minutes]
    raw = pd.DataFrame(
        {
            "tick_id": [f"t{m}" for m in minutes],
            "scope_key": "skill:a",
            "account_id": "acct",
            "requested_at": times,
            "observed_at": times,
            "attempts": 1,
            "outcome": "ok",
        }
    )
    con.register("raw_in", raw)
    con.execute("INSERT INTO raw_responses BY NAME SELECT * FROM raw_in")
    settings = CoverageSettings()
    build_all(con, MONDAY, settings)
    outcome = coverage.check_completeness(con, MONDAY, threshold=0.9)
    assert not outcome.passed
    assert outcome.metadata["cells"] == 96
    assert outcome.metadata["cells_below"] == 1
    assert outcome.metadata["share_below"] == pytest.approx(round(1 / 96, 4))
    assert outcome.metadata["worst_cells"] == [
        {"scope_key": "skill:a", "local_start": "2026-01-05 10:00", "observed_share": 0.8}
    ]
    assert "skill:a" in outcome.metadata["worst_cells_markdown"]
    assert coverage.check_completeness(con, MONDAY, threshold=0.8).passed


def test_coverage_target_check_flags_scopes_above_the_unmet_share(con) -> None:
    _requirement_day(con)
    # skill:a: 2 of 4 judged cells unmet = 0.5; skill:b has nothing to judge.
    outcome = coverage.check_coverage_target(con, MONDAY, max_unmet_share=0.2)
    assert not outcome.passed
    assert outcome.metadata["failing_scopes"] == ["skill:a"]
    assert outcome.metadata["scopes_judged"] == 1
    assert outcome.metadata["by_scope"] == [
        {"scope_key": "skill:a", "judged": 4, "unmet": 2, "unmet_share": 0.5},
        {"scope_key": "skill:b", "judged": 0, "unmet": 0, "unmet_share": None},
    ]
    # Judged on queue: 09:45 has 1.3333 idle + 0.3333 BUSY on queue.
    assert outcome.metadata["worst_intervals"] == [
        {
            "scope_key": "skill:a",
            "local_start": "2026-01-05 09:15",
            "required": 2.0,
            "on_queue": 1.0,
            "idle_available": 1.0,
            "net_staffing": -1.0,
        },
        {
            "scope_key": "skill:a",
            "local_start": "2026-01-05 09:45",
            "required": 2.0,
            "on_queue": 1.6667,
            "idle_available": 1.3333,
            "net_staffing": -0.3333,
        },
    ]
    assert "| skill:a | 2026-01-05 09:15 |" in outcome.metadata["worst_intervals_markdown"]
    assert coverage.check_coverage_target(con, MONDAY, max_unmet_share=0.5).passed


def test_check_metadata_is_plain_json(con) -> None:
    import json

    settings = _requirement_day(con)
    for outcome in (
        coverage.check_spans_no_overlap(con, MONDAY),
        coverage.check_grid_complete(con, MONDAY, settings),
        coverage.check_completeness(con, MONDAY),
        coverage.check_coverage_target(con, MONDAY),
    ):
        assert json.loads(json.dumps(outcome.metadata)) == outcome.metadata


# ---------------------------------------------------------------------------------------
# Cross-check against a plain-Python reading of the definitions on random data


_PRECEDENCE = {"BUSY": 0, "AVAILABLE": 1, "AWAY": 2, "OFFLINE": 4}


def _winner(statuses: set[str]) -> str:
    return min(statuses, key=lambda s: (_PRECEDENCE.get(s, 3), s))


def _reference(
    responses: list[tuple[str, datetime, list[tuple[str, str]]]],
    day: date,
    settings: CoverageSettings,
) -> tuple[set[tuple], dict[tuple, dict[str, Any]]]:
    """Spans and cell figures computed naively, straight from the written definitions."""
    day_start, day_end = coverage.day_bounds(day, settings.time_zone)
    gap = settings.max_gap
    listed: dict[tuple[str, datetime], dict[str, set[str]]] = {}
    for scope, instant, agents in responses:
        entry = listed.setdefault((scope, instant), {})
        for agent, status in agents:
            entry.setdefault(agent, set()).add(status)
    windows: dict[str, list[tuple[datetime, datetime, dict[str, str]]]] = {}
    for scope in sorted({scope for scope, _ in listed}):
        instants = sorted(t for s, t in listed if s == scope)
        for index, t in enumerate(instants):
            end = t + gap
            if index + 1 < len(instants):
                end = min(end, instants[index + 1])
            agents = {a: _winner(s) for a, s in listed[(scope, t)].items()}
            windows.setdefault(scope, []).append((t, end, agents))

    spans_found: set[tuple] = set()
    for scope, scope_windows in windows.items():
        open_spans: dict[str, list] = {}
        finished: list[tuple] = []
        for t, end, agents in scope_windows:
            for agent in list(open_spans):
                span = open_spans[agent]
                if span[2] != t or agents.get(agent) != span[0]:
                    finished.append((agent, *span))
                    del open_spans[agent]
            for agent, status in agents.items():
                if agent in open_spans:
                    open_spans[agent][2] = end
                else:
                    open_spans[agent] = [status, t, end]
        finished.extend((agent, *span) for agent, span in open_spans.items())
        for agent, status, start, end in finished:
            start, end = max(start, day_start), min(end, day_end)
            if end > start:
                spans_found.add((scope, agent, status, start, end))

    step = timedelta(minutes=settings.interval_minutes)
    cells: dict[tuple, dict[str, Any]] = {}
    for scope, scope_windows in windows.items():
        cell_start = day_start
        while cell_start < day_end:
            cell_end = min(cell_start + step, day_end)
            observed = zero = 0.0
            seconds: dict[str, float] = {}
            heads: list[int] = []
            inside = 0
            for t, end, agents in scope_windows:
                overlap = (
                    min(end, cell_end, day_end) - max(t, cell_start, day_start)
                ).total_seconds()
                if cell_start <= t < cell_end:
                    inside += 1
                if overlap <= 0:
                    continue
                observed += overlap
                available = sum(1 for s in agents.values() if s == "AVAILABLE")
                heads.append(available)
                zero += overlap if available == 0 else 0
                for status in agents.values():
                    seconds[status] = seconds.get(status, 0.0) + overlap
            figures: dict[str, Any] = {"observed_seconds": observed, "observations": inside}
            if observed:
                figures |= {
                    "avg_available": seconds.get("AVAILABLE", 0) / observed,
                    "avg_busy": seconds.get("BUSY", 0) / observed,
                    "avg_other": sum(
                        v
                        for k, v in seconds.items()
                        if k not in ("AVAILABLE", "BUSY", "AWAY", "OFFLINE")
                    )
                    / observed,
                    "min_available": min(heads),
                    "max_available": max(heads),
                    "zero_available_share": zero / observed,
                }
            cells[(scope, cell_start)] = figures
            cell_start += step
    return spans_found, cells


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_polls_match_a_plain_reading_of_the_definitions(con, seed: int) -> None:
    """Irregular polls (some gaps beyond the maximum, failed requests, a duplicated response
    instant), agents joining and leaving, agents listed twice, custom statuses, and a stretch
    across each midnight; spans and cell figures must equal the plain-Python computation."""
    rng = random.Random(seed)
    settings = CoverageSettings(interval_minutes=5, max_gap_seconds=90)
    scopes = ("skill:a", "queue:b")
    add_scopes(con, *scopes)
    statuses = ("AVAILABLE", "AVAILABLE", "BUSY", "BUSY", "AWAY", "OFFLINE", "BREAK", "LUNCH")
    responses: list[tuple[str, datetime, list[tuple[str, str]]]] = []
    for scope in scopes:
        current = {agent: rng.choice(statuses) for agent in "pqrstu"}
        for begin in (at(MONDAY, "00:00") - timedelta(minutes=4), at(MONDAY, "23:40")):
            instant = begin + timedelta(seconds=rng.randint(0, 30))
            for _ in range(40):
                if rng.random() < 0.1:
                    poll(con, scope, instant, outcome="error")
                else:
                    agents = []
                    for agent in current:
                        if rng.random() < 0.15:
                            current[agent] = rng.choice(statuses)
                        if rng.random() < 0.85:
                            agents.append((agent, current[agent]))
                            if rng.random() < 0.08:
                                agents.append((agent, rng.choice(statuses)))
                    poll(con, scope, instant, agents)
                    responses.append((scope, instant, agents))
                    if rng.random() < 0.05:  # a second response for the same instant
                        extra = [(rng.choice("pqrstu"), rng.choice(statuses))]
                        poll(con, scope, instant, extra)
                        responses.append((scope, instant, extra))
                instant += timedelta(seconds=rng.choice((30, 45, 60, 60, 60, 100, 200)))
    build_all(con, MONDAY, settings)
    expected_spans, expected_cells = _reference(responses, MONDAY, settings)
    found_spans = {
        (r["scope_key"], r["agent_id"], r["status"], r["span_start"], r["span_end"])
        for r in rows(con, "SELECT * FROM agent_status_spans WHERE day = ?", MONDAY)
    }
    assert found_spans == expected_spans
    assert coverage.check_spans_no_overlap(con, MONDAY).passed
    compared = 0
    for found in rows(con, "SELECT * FROM coverage_intervals WHERE day = ?", MONDAY):
        expected = expected_cells[(found["scope_key"], found["interval_start"])]
        for name, value in expected.items():
            assert found[name] == pytest.approx(value, abs=1e-9), (found, name, value)
        if expected["observed_seconds"]:
            compared += 1
        else:
            assert found["avg_available"] is None
    assert compared > 20
