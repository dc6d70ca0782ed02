"""Requirements from Kore's contact volume, and the profile forecast, on a real DuckDB file.

Every expected figure is worked out by hand from the rows written (times UTC, grid UTC unless a
test says otherwise) and sized by the same Erlang functions the build calls, so what is tested
is what the build feeds them: arrival rate, AHT, patience, concurrency, and which cells are
actual and which forecast.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

from pipelines import coverage, demand, warehouse
from pipelines.coverage import CoverageSettings, erlang, erlang_a
from pipelines.coverage.requirements import load_requirements
from pipelines.demand import DemandSettings
from pipelines.demand.goals import forecast_file_goals
from tests.support.demand import add_scopes, volume_row, write_volume

MONDAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # today's cells before 10:00 are completed


@pytest.fixture
def con(tmp_path) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse.connect(tmp_path / "warehouse.duckdb") as connection:
        yield connection


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=UTC)


def build(
    con: duckdb.DuckDBPyConnection,
    day: date = MONDAY,
    now: datetime = NOW,
    minutes: int = 15,
    settings: DemandSettings | None = None,
) -> None:
    grid = CoverageSettings(interval_minutes=minutes)
    settings = settings or DemandSettings()
    demand.build_forecast(con, day, grid, settings, now)
    demand.build_demand_requirements(con, day, grid, settings, now)


def demand_rows(con: duckdb.DuckDBPyConnection, scope: str, day: date = MONDAY) -> list[dict]:
    frame = con.execute(
        "SELECT * FROM demand_requirements WHERE day = ? AND scope_key = ? ORDER BY interval_start",
        [day, scope],
    ).df()
    return frame.to_dict("records")


def demand_cell(con: duckdb.DuckDBPyConnection, scope: str, start: datetime) -> dict[str, Any]:
    found = [r for r in demand_rows(con, scope) if r["interval_start"] == start]
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------------------------------
# Requirements from what came


def test_erlang_a_requirement_from_contact_volume(con) -> None:
    """queue:q1 09:00-09:15: 30 offered, 27 answered, 3 abandoned, 27 x 240 s handled, 27 x 12 s
    and 3 x 50 s waited; 09:15: 20 offered, 19 answered, 1 abandoned, 19 x 300 s, 19 x 8 s,
    1 x 90 s. Patience over the day = (324 + 150 + 152 + 90) / 4 = 179 s."""
    add_scopes(con, "queue:q1")
    write_volume(
        con,
        [
            volume_row("q1", at(MONDAY, "09:00"), 30, 27, 3, 27 * 240, 27 * 12, 3 * 50),
            volume_row("q1", at(MONDAY, "09:15"), 20, 19, 1, 19 * 300, 19 * 8, 90),
        ],
    )
    build(con)
    first = demand_cell(con, "queue:q1", at(MONDAY, "09:00"))
    assert not first["is_forecast"]
    assert first["offered"] == 30
    assert first["arrival_rate_per_hour"] == pytest.approx(120.0)
    assert first["aht_seconds"] == pytest.approx(240.0)
    assert first["concurrency"] == 1.0
    assert first["patience_seconds"] == pytest.approx(179.0)
    assert first["patience_abandons"] == 4
    expected_a = erlang_a.required_agents_a(120.0, 240.0, 179.0, 0.8, 20.0)
    expected_c = erlang.required_agents(30, 240.0, 900, 0.8, 20.0)
    assert first["required_erlang_a"] == expected_a
    assert first["required_erlang_c"] == expected_c
    assert first["required_agents"] == expected_a
    assert first["source"] == "kore_erlang_a"
    assert expected_a <= expected_c  # hang-ups lower the need
    assert first["service_level_expected"] == pytest.approx(
        erlang_a.erlang_a(expected_a, 120.0, 240.0, 179.0, 20.0).service_level
    )
    second = demand_cell(con, "queue:q1", at(MONDAY, "09:15"))
    assert second["aht_seconds"] == pytest.approx(300.0)
    assert second["required_erlang_a"] == erlang_a.required_agents_a(80.0, 300.0, 179.0, 0.8, 20.0)
    # A completed cell without a row had no contacts; the build's now ends the actual cells.
    quiet = demand_cell(con, "queue:q1", at(MONDAY, "08:45"))
    assert (quiet["offered"], quiet["required_agents"], quiet["is_forecast"]) == (0, 0, False)
    assert all(r["interval_start"] < at(MONDAY, "09:30") for r in demand_rows(con, "queue:q1"))


def test_a_completed_sync_window_makes_its_empty_intervals_zero_demand(con) -> None:
    """Kore may leave out intervals without contacts: the last row ends 09:15, but a completed
    sync window reached 09:45, so 09:15 and 09:30 had no contacts (Kore demand, 0 agents),
    while 09:45 and later are still to come."""
    add_scopes(con, "queue:q1")
    write_volume(con, [volume_row("q1", at(MONDAY, "09:00"), 30, 30, 0, 30 * 200)])
    con.execute(
        "INSERT INTO contact_volume_syncs (sync_id, account_id, first_sync, to_ts, page_size, "
        "skill_breakdown, pages_done, skip_reached, rows_written, restated_rows, started_at, "
        "updated_at, completed_at) VALUES ('s1', 'acct', true, ?, 100, true, 1, 1, 1, 0, ?, ?, ?)",
        [at(MONDAY, "09:45"), NOW, NOW, NOW],
    )
    build(con)
    rows = {r["local_start"].strftime("%H:%M"): r for r in demand_rows(con, "queue:q1")}
    assert rows["09:00"]["offered"] == 30
    assert [(rows[k]["offered"], rows[k]["source"]) for k in ("09:15", "09:30")] == [
        (0, "kore_erlang_c"),
        (0, "kore_erlang_c"),
    ]
    assert "09:45" not in rows  # no forecast history: nothing to say yet


def test_no_abandons_means_unknown_patience_and_erlang_c(con) -> None:
    add_scopes(con, "queue:q1")
    write_volume(con, [volume_row("q1", at(MONDAY, "09:00"), 30, 30, 0, 30 * 200, 30 * 5)])
    build(con)
    row = demand_cell(con, "queue:q1", at(MONDAY, "09:00"))
    assert pd.isna(row["patience_seconds"])
    assert pd.isna(row["required_erlang_a"])
    expected_c = erlang.required_agents(30, 200.0, 900, 0.8, 20.0)
    assert (row["required_erlang_c"], row["required_agents"]) == (expected_c, expected_c)
    assert row["source"] == "kore_erlang_c"
    traffic = 30 * 200.0 / 900
    assert row["service_level_expected"] == pytest.approx(
        erlang.service_level(expected_c, traffic, 200.0, 20.0)
    )


def test_settings_goal_and_occupancy_cap_are_used(con) -> None:
    add_scopes(con, "queue:q1")
    write_volume(con, [volume_row("q1", at(MONDAY, "09:00"), 60, 60, 0, 60 * 180)])
    build(con, settings=DemandSettings(service_level=0.9, target_seconds=10, max_occupancy=0.7))
    row = demand_cell(con, "queue:q1", at(MONDAY, "09:00"))
    assert row["required_erlang_c"] == erlang.required_agents(
        60, 180.0, 900, 0.9, 10.0, max_occupancy=0.7
    )
    assert (row["service_level_goal"], row["target_seconds"], row["max_occupancy"]) == (
        0.9,
        10.0,
        0.7,
    )


def test_a_scope_takes_its_goal_from_the_forecast_file(con, tmp_path: Path) -> None:
    """The forecast file names queue:q1 at 90 % in 10 s: its computed demand is sized to that;
    queue:q2, not in the file, to the settings' 80 % in 20 s."""
    add_scopes(con, "queue:q1", "queue:q2")
    start = at(MONDAY, "09:00")
    write_volume(
        con,
        [volume_row(q, start, 40, 40, 0, 40 * 200) for q in ("q1", "q2")],
    )
    forecast = tmp_path / "forecast.csv"
    forecast.write_text(
        "scope,day,interval_start,contacts,aht_seconds,service_level,target_seconds\n"
        "queue:q1,tue,09:00,10,60,90%,10\n"
    )
    goals = forecast_file_goals(forecast, 15)
    grid, settings = CoverageSettings(), DemandSettings()
    demand.build_forecast(con, MONDAY, grid, settings, NOW)
    demand.build_demand_requirements(con, MONDAY, grid, settings, NOW, goals)
    q1, q2 = demand_cell(con, "queue:q1", start), demand_cell(con, "queue:q2", start)
    assert (q1["service_level_goal"], q1["target_seconds"]) == (0.9, 10.0)
    assert q1["required_erlang_c"] == erlang.required_agents(40, 200.0, 900, 0.9, 10.0)
    assert (q2["service_level_goal"], q2["target_seconds"]) == (0.8, 20.0)
    assert q2["required_erlang_c"] == erlang.required_agents(40, 200.0, 900, 0.8, 20.0)
    assert q1["required_erlang_c"] > q2["required_erlang_c"]


def _capacity(con, rows: list[tuple]) -> None:
    """(agent, observed_at, channel, total, used[, available]); available = total - used
    unless given."""
    frame = pd.DataFrame(
        {
            "tick_id": [f"t{i}" for i in range(len(rows))],
            "observed_at": [r[1] for r in rows],
            "agent_id": [r[0] for r in rows],
            "channel": [r[2] for r in rows],
            "is_enabled": [True] * len(rows),
            "total_capacity": [r[3] for r in rows],
            "used_capacity": [r[4] for r in rows],
            "available_capacity": [r[5] if len(r) > 5 else r[3] - r[4] for r in rows],
        }
    )
    with warehouse.registered(con, capacity_in=frame):
        con.execute("INSERT INTO channel_capacity BY NAME SELECT * FROM capacity_in")


def _spans(con, scope: str, agents: list[str], start: datetime, end: datetime) -> None:
    frame = pd.DataFrame(
        {
            "day": [MONDAY] * len(agents),
            "scope_key": [scope] * len(agents),
            "agent_id": agents,
            "status": ["BUSY"] * len(agents),
            "span_start": [start] * len(agents),
            "span_end": [end] * len(agents),
            "observations": [1] * len(agents),
        }
    )
    with warehouse.registered(con, spans_in=frame):
        con.execute("INSERT INTO agent_status_spans BY NAME SELECT * FROM spans_in")


@pytest.mark.parametrize(
    ("a1_free", "a2_free", "concurrency"), [(1, 2, 3.0), (0, 0, 1.0)], ids=["three", "one"]
)
def test_chat_concurrency_turns_handle_time_into_effective_handle_time(
    con, a1_free: int, a2_free: int, concurrency: float
) -> None:
    """skill:chat's agents a1 and a2 (messaging, total 3) also have voice (capacity 1, unused):
    messaging is the busiest channel. "three": a1 holds 2 with 1 free, a2 holds 1 with 2 free,
    so an agent handling chats can hold 3 at once and 600 s of handling take 200 agent-seconds.
    "one": each holds 1 with nothing free (routed one at a time, as the simulator does), so
    the concurrency is 1 whatever the nominal total. An agent outside the scope (a9,
    messaging 5) does not count."""
    add_scopes(con, "skill:chat")
    write_volume(
        con,
        [volume_row("q1", at(MONDAY, "09:00"), 45, 45, 0, 45 * 600, skill_id="chat")],
    )
    _spans(con, "skill:chat", ["a1", "a2"], at(MONDAY, "08:00"), at(MONDAY, "10:00"))
    seen = at(MONDAY, "09:05")
    used = (2, 1) if concurrency == 3.0 else (1, 1)
    _capacity(
        con,
        [
            ("a1", seen, "messaging", 3, used[0], a1_free),
            ("a2", seen, "messaging", 3, used[1], a2_free),
            ("a1", seen, "voice", 1, 0),
            ("a2", seen, "voice", 1, 0),
            ("a9", seen, "messaging", 5, 5),
        ],
    )
    build(con)
    row = demand_cell(con, "skill:chat", at(MONDAY, "09:00"))
    assert (row["channel"], row["concurrency"]) == ("messaging", concurrency)
    assert row["effective_aht_seconds"] == pytest.approx(600.0 / concurrency)
    assert row["required_erlang_c"] == erlang.required_agents(
        45, 600.0 / concurrency, 900, 0.8, 20.0
    )


def test_skill_rows_sum_over_queues_and_all_is_every_queue(con) -> None:
    add_scopes(con, "skill:s1", "queue:q1", "queue:q2", "all")
    start = at(MONDAY, "09:00")
    write_volume(
        con,
        [
            volume_row("q1", start, 10, 10, 0, 10 * 100),
            volume_row("q2", start, 20, 20, 0, 20 * 400),
            volume_row("q1", start, 4, 4, 0, 4 * 100, skill_id="s1"),
            volume_row("q2", start, 6, 6, 0, 6 * 400, skill_id="s1"),
        ],
    )
    build(con)
    skill = demand_cell(con, "skill:s1", start)
    assert (skill["offered"], skill["aht_seconds"]) == (10, pytest.approx(280.0))
    everyone = demand_cell(con, "all", start)
    assert (everyone["offered"], everyone["aht_seconds"]) == (30, pytest.approx(300.0))
    assert demand_cell(con, "queue:q2", start)["offered"] == 20


@pytest.mark.parametrize("minutes", [5, 30, 60])
def test_grid_cells_split_or_sum_fifteen_minute_rows(con, minutes: int) -> None:
    """09:00 and 09:15 rows of 30 and 60 offered (120 and 240 per hour), handle 200 s, 100 s."""
    add_scopes(con, "queue:q1")
    write_volume(
        con,
        [
            volume_row("q1", at(MONDAY, "09:00"), 30, 30, 0, 30 * 200),
            volume_row("q1", at(MONDAY, "09:15"), 60, 60, 0, 60 * 100),
        ],
    )
    build(con, minutes=minutes)
    cells = {r["interval_start"]: r for r in demand_rows(con, "queue:q1") if r["offered"] > 0}
    if minutes == 5:
        assert sorted(cells) == [at(MONDAY, "09:00") + timedelta(minutes=5 * i) for i in range(6)]
        assert [cells[k]["arrival_rate_per_hour"] for k in sorted(cells)] == pytest.approx(
            [120] * 3 + [240] * 3
        )
        assert cells[at(MONDAY, "09:05")]["offered"] == pytest.approx(10.0)
        assert cells[at(MONDAY, "09:20")]["aht_seconds"] == pytest.approx(100.0)
    elif minutes == 30:
        row = cells[at(MONDAY, "09:00")]
        assert (row["offered"], row["arrival_rate_per_hour"]) == (90, pytest.approx(180.0))
        assert row["aht_seconds"] == pytest.approx((6000 + 6000) / 90)
    else:
        # Kore's volume reaches 09:30 only: the 09:00-10:00 cell is not completed yet.
        assert cells == {}
        write_volume(con, [volume_row("q1", at(MONDAY, "09:45"), 0)])
        build(con, minutes=minutes)
        cells = {r["interval_start"]: r for r in demand_rows(con, "queue:q1") if r["offered"] > 0}
        # Now it is (an empty 09:45 row moved the volume's end to 10:00 = now), and the 09:30
        # quarter without a row had no contacts.
        row = cells[at(MONDAY, "09:00")]
        assert (row["offered"], row["arrival_rate_per_hour"]) == (90, pytest.approx(90.0))


def test_achieved_service_level_at_the_agents_on_queue(con) -> None:
    """coverage_intervals says 6.25 agents on queue at 09:00: the model's service level is
    interpolated a quarter of the way from 6 agents to 7."""
    add_scopes(con, "queue:q1")
    write_volume(con, [volume_row("q1", at(MONDAY, "09:00"), 30, 27, 3, 27 * 240, 0, 3 * 60)])
    con.execute(
        "INSERT INTO coverage_intervals (day, scope_key, interval_start, interval_end, "
        "local_start, observed_seconds, observed_share, avg_on_queue, observations) "
        "VALUES (?, 'queue:q1', ?, ?, ?, 900, 1.0, 6.25, 15)",
        [MONDAY, at(MONDAY, "09:00"), at(MONDAY, "09:15"), datetime(2026, 1, 5, 9)],
    )
    build(con)
    row = demand_cell(con, "queue:q1", at(MONDAY, "09:00"))
    six = erlang_a.erlang_a(6, 120.0, 240.0, 60.0, 20.0).service_level
    seven = erlang_a.erlang_a(7, 120.0, 240.0, 60.0, 20.0).service_level
    assert row["on_queue"] == 6.25
    assert row["service_level_achieved"] == pytest.approx(six * 0.75 + seven * 0.25)
    # A cell whose coverage was not observed has no achieved figure.
    assert pd.isna(demand_cell(con, "queue:q1", at(MONDAY, "08:00"))["service_level_achieved"])


# ---------------------------------------------------------------------------------------
# Precedence: targets file > forecast file > Kore demand > profile forecast


def test_precedence_target_then_forecast_file_then_kore_then_profile(con, tmp_path: Path) -> None:
    """queue:q1, Monday, UTC. 09:00 has a target, a forecast-file row and Kore volume; 09:15 a
    forecast-file row and Kore volume; 09:30 Kore volume only; 10:00 (after now) only the
    profile of last Monday's 10:00."""
    add_scopes(con, "queue:q1")
    last_week = MONDAY - timedelta(weeks=1)
    write_volume(
        con,
        [
            volume_row("q1", at(last_week, "10:00"), 40, 36, 4, 36 * 180, 36 * 10, 4 * 60),
            *[
                volume_row("q1", at(MONDAY, clock), 30, 27, 3, 27 * 240, 27 * 12, 3 * 50)
                for clock in ("09:00", "09:15", "09:30")
            ],
        ],
    )
    build(con)
    targets = tmp_path / "targets.csv"
    targets.write_text("scope,day,interval_start,required_agents\nqueue:q1,mon,09:00,11\n")
    forecast = tmp_path / "forecast.csv"
    forecast.write_text(
        "scope,day,interval_start,contacts,aht_seconds,service_level,target_seconds,"
        "interval_minutes\nqueue:q1,mon,09:00,10,60,80%,20,30\n"
    )
    rules = load_requirements(targets, forecast, 15, ["queue:q1"])
    coverage.build_requirements(con, MONDAY, CoverageSettings(), rules)
    found = {
        r[0].strftime("%H:%M"): (r[1], r[2])
        for r in con.execute(
            "SELECT local_start, required_agents, source FROM staffing_requirements "
            "WHERE day = ? AND local_start IN ('2026-01-05 09:00', '2026-01-05 09:15', "
            "'2026-01-05 09:30', '2026-01-05 10:00')",
            [MONDAY],
        ).fetchall()
    }
    file_agents = erlang.required_agents(10, 60.0, 1800, 0.8, 20.0)
    kore = demand_cell(con, "queue:q1", at(MONDAY, "09:30"))
    profile = demand_cell(con, "queue:q1", at(MONDAY, "10:00"))
    assert found["09:00"] == (11.0, "target")
    assert found["09:15"] == (file_agents, "forecast_erlang_c")
    assert found["09:30"] == (kore["required_agents"], "kore_erlang_a")
    assert found["10:00"] == (profile["required_agents"], "profile_erlang_a")
    assert kore["required_agents"] != file_agents
    # Computed demand carries its expected service level; no planned shrinkage is known.
    expected = dict(
        con.execute(
            "SELECT source, list_distinct(list(struct_pack(s := service_level_expected, "
            "h := scheduled_required))) FROM staffing_requirements WHERE day = ? AND source IN "
            "('kore_erlang_a', 'profile_erlang_a') AND local_start IN ('2026-01-05 09:30', "
            "'2026-01-05 10:00') GROUP BY source",
            [MONDAY],
        ).fetchall()
    )
    assert expected == {
        "kore_erlang_a": [{"s": pytest.approx(kore["service_level_expected"]), "h": None}],
        "profile_erlang_a": [{"s": pytest.approx(profile["service_level_expected"]), "h": None}],
    }


# ---------------------------------------------------------------------------------------
# Profile forecast and intraday reforecast


def _weekly_pattern(minute: int, weekday: int) -> int:
    """A noiseless pattern that differs per weekday and quarter hour."""
    return (minute // 15) % 9 + 2 * weekday + 3


def _history(days: list[date], scale: float = 1.0) -> list[dict[str, Any]]:
    rows = []
    for day in days:
        for quarter in range(96):
            offered = round(_weekly_pattern(quarter * 15, day.isoweekday()) * scale)
            start = at(day, "00:00") + timedelta(minutes=15 * quarter)
            rows.append(volume_row("q1", start, offered, offered, 0, offered * 150))
    return rows


def test_profile_is_exact_on_a_noiseless_weekly_pattern(con) -> None:
    """Four weeks of the same pattern (every day, so other weekdays must not leak in): the
    profile of Monday and of Tuesday is the pattern, cell by cell."""
    add_scopes(con, "queue:q1")
    history = [MONDAY - timedelta(days=n) for n in range(1, 29)]
    write_volume(con, _history(history))
    now = at(MONDAY, "00:00")  # nothing of today has happened: no reforecast
    for day in (MONDAY, MONDAY + timedelta(days=1)):
        build(con, day=day, now=now)
        rows = con.execute(
            "SELECT local_start, offered_profile, offered_forecast, weeks_used, ratio, method, "
            "aht_seconds FROM demand_forecast WHERE day = ? AND scope_key = 'queue:q1' "
            "ORDER BY interval_start",
            [day],
        ).fetchall()
        assert len(rows) == 96
        for local, profile, forecast, weeks, ratio, method, aht in rows:
            want = _weekly_pattern(local.hour * 60 + local.minute, day.isoweekday())
            assert (profile, forecast, weeks, ratio, method) == (want, want, 4, 1.0, "profile")
            assert aht == pytest.approx(150.0)


def test_profile_uses_only_the_last_n_weeks_and_the_weeks_with_volume(con) -> None:
    """Mondays 5 and 6 weeks back hold 10x the pattern and are outside a 4-week window; of the
    four Mondays inside it only two have volume: the profile is their mean, weeks_used 2."""
    add_scopes(con, "queue:q1")
    write_volume(
        con,
        _history([MONDAY - timedelta(weeks=w) for w in (5, 6)], scale=10)
        + _history([MONDAY - timedelta(weeks=1)], scale=1)
        + _history([MONDAY - timedelta(weeks=3)], scale=3),
    )
    build(con, now=at(MONDAY, "00:00"))
    rows = con.execute(
        "SELECT local_start, offered_profile, weeks_used FROM demand_forecast "
        "WHERE day = ? AND scope_key = 'queue:q1'",
        [MONDAY],
    ).fetchall()
    for local, profile, weeks in rows:
        base = _weekly_pattern(local.hour * 60 + local.minute, 1)
        assert (profile, weeks) == (pytest.approx((base + round(base * 3)) / 2), 2)


def test_profile_follows_local_wall_time_across_a_dst_change(con) -> None:
    """America/New_York: the four Mondays before 2026-03-09 are in EST (UTC-5), the 9th in EDT
    (UTC-4). A pattern by LOCAL quarter hour is forecast exactly at the same local times."""
    zone = ZoneInfo("America/New_York")
    day = date(2026, 3, 9)
    add_scopes(con, "queue:q1")
    rows = []
    for week in range(1, 5):
        history = day - timedelta(weeks=week)
        for quarter in range(96):
            local = datetime.combine(history, time(0), tzinfo=zone) + timedelta(
                minutes=15 * quarter
            )
            offered = _weekly_pattern(quarter * 15, 1)
            rows.append(volume_row("q1", local.astimezone(UTC), offered, offered, 0, offered * 60))
    write_volume(con, rows)
    grid = CoverageSettings(time_zone="America/New_York")
    demand.build_forecast(con, day, grid, DemandSettings(), at(day, "00:00"))
    found = con.execute(
        "SELECT local_start, offered_profile, weeks_used FROM demand_forecast WHERE day = ? "
        "ORDER BY interval_start",
        [day],
    ).fetchall()
    assert len(found) == 96
    for local, profile, weeks in found:
        assert (profile, weeks) == (_weekly_pattern(local.hour * 60 + local.minute, 1), 4)


@pytest.mark.parametrize(("scale", "ratio"), [(1.5, 1.5), (5.0, 2.0), (0.1, 0.5)])
def test_intraday_reforecast_scales_the_rest_of_today_within_bounds(
    con, scale: float, ratio: float
) -> None:
    """Four past Mondays hold a flat 20 per quarter hour; today until 10:00 brings scale x 20.
    The rest of today is the profile x the ratio (clipped to [0.5, 2]); completed cells keep
    the profile; tomorrow (Tuesday) stays the plain profile."""
    add_scopes(con, "queue:q1")
    rows = [
        volume_row("q1", at(day, "00:00") + timedelta(minutes=15 * q), 20, 20, 0, 20 * 120)
        for day in [MONDAY - timedelta(weeks=w) for w in range(1, 5)]
        + [MONDAY + timedelta(days=1) - timedelta(weeks=w) for w in range(1, 5)]
        for q in range(96)
    ]
    today = round(20 * scale)
    rows += [
        volume_row("q1", at(MONDAY, "00:00") + timedelta(minutes=15 * q), today, today, 0, 0)
        for q in range(40)
    ]
    write_volume(con, rows)
    build(con)
    build(con, day=MONDAY + timedelta(days=1))
    forecast = con.execute(
        "SELECT day, interval_start, ratio, offered_forecast, method FROM demand_forecast "
        "WHERE scope_key = 'queue:q1' ORDER BY interval_start"
    ).fetchall()
    measured = min(max(today / 20, 0.5), 2.0)
    assert measured == pytest.approx(ratio, abs=0.05)
    for day, start, got_ratio, offered, method in forecast:
        if day == MONDAY and start >= NOW:
            assert (got_ratio, method) == (pytest.approx(measured), "profile_reforecast")
            assert offered == pytest.approx(20 * measured)
        else:
            assert (got_ratio, offered, method) == (1.0, 20.0, "profile")


def test_future_intervals_use_the_forecast_and_are_marked(con) -> None:
    add_scopes(con, "queue:q1")
    rows = [
        volume_row("q1", at(day, "00:00") + timedelta(minutes=15 * q), 20, 18, 2, 18 * 120, 0, 200)
        for day in [MONDAY - timedelta(weeks=w) for w in range(1, 5)]
        for q in range(96)
    ]
    rows += [
        volume_row(
            "q1", at(MONDAY, "00:00") + timedelta(minutes=15 * q), 30, 27, 3, 27 * 120, 0, 90
        )
        for q in range(40)
    ]
    write_volume(con, rows)
    build(con)
    found = demand_rows(con, "queue:q1")
    assert len(found) == 96
    for row in found:
        future = row["interval_start"] >= NOW
        assert row["is_forecast"] == future
        assert row["source"] == ("profile_erlang_a" if future else "kore_erlang_a")
        if future:
            # Profile 20, ratio 30 / 20 = 1.5; patience of the window = 8 x 96 x 200 / (8 x 96 x 2).
            assert row["offered"] == pytest.approx(30.0)
            assert row["patience_seconds"] == pytest.approx(100.0)
            assert pd.isna(row["on_queue"]) and pd.isna(row["service_level_achieved"])
    coverage.build_requirements(
        con, MONDAY, CoverageSettings(), load_requirements(None, None, 15, ["queue:q1"])
    )
    sources = dict(
        con.execute(
            "SELECT interval_start >= ? AS future, list_distinct(list(source)) "
            "FROM staffing_requirements WHERE day = ? GROUP BY ALL",
            [NOW, MONDAY],
        ).fetchall()
    )
    assert sources == {True: ["profile_erlang_a"], False: ["kore_erlang_a"]}
