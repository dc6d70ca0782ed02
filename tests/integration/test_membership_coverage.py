"""Coverage from membership-mode ticks (one 'all' answer per tick), per skill and queue by
the membership valid at each observation, on real DuckDB files; and migration 005 keeps the
coverage of a day of per-scope ticks identical."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from pipelines import warehouse
from pipelines.coverage.build import day_params
from pipelines.warehouse import membership
from pipelines.warehouse.sql import _split, bind
from tests.support.membership import (
    DAY,
    NEXT_DAY,
    SETTINGS,
    at,
    build,
    cell,
    listing,
    membership_tick,
    minutes,
    per_scope_tick,
)
from tests.support.seeding import seed_days

BEFORE_005 = Path(__file__).parents[1] / "support" / "fixtures" / "coverage_before_005"
MIGRATIONS = Path(__file__).parents[2] / "sql" / "migrations"


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse.connect(tmp_path / "warehouse.duckdb") as connection:
        yield connection


# ---------------------------------------------------------------------------------------
# Coverage from membership-mode ticks


def membership_morning(con: duckdb.DuckDBPyConnection, changed: Iterable[tuple[str, str]]):
    """a1 BUSY, a2 and a3 AVAILABLE, polled every minute 10:45-11:29 in membership mode; the
    membership refreshed at 10:00 (a1, a2 in s1) and at 11:07 (``changed``)."""
    membership.apply_membership(
        con, "acct", at(DAY, "10:00"), listing(("a1", "skill:s1"), ("a2", "skill:s1"))
    )
    statuses = {"a1": "BUSY", "a2": "AVAILABLE", "a3": "AVAILABLE"}
    for t in minutes(at(DAY, "10:45"), at(DAY, "11:07")):
        membership_tick(con, t, statuses)
    membership.apply_membership(con, "acct", at(DAY, "11:07"), listing(*changed))
    for t in minutes(at(DAY, "11:07"), at(DAY, "11:30")):
        membership_tick(con, t, statuses)
    build(con)


def test_an_agent_gaining_a_skill_at_11_07_counts_from_then(
    con: duckdb.DuckDBPyConnection,
) -> None:
    membership_morning(con, [("a1", "skill:s1"), ("a2", "skill:s1"), ("a3", "skill:s1")])
    # Before: a2 alone AVAILABLE, a1 BUSY, a3 not a member.
    before = cell(con, "skill:s1", at(DAY, "10:45"))
    assert (before["avg_available"], before["avg_busy"], before["observed_share"]) == (1, 1, 1)
    # 11:00-11:15: a3 counts over 11:07-11:15 only: 1 + 8/15 available on average.
    during = cell(con, "skill:s1", at(DAY, "11:00"))
    assert during["avg_available"] == pytest.approx(1 + 8 / 15)
    assert (during["min_available"], during["max_available"], during["avg_busy"]) == (1, 2, 1)
    assert during["observed_share"] == 1 and during["observations"] == 15
    after = cell(con, "skill:s1", at(DAY, "11:15"))
    assert (after["avg_available"], after["avg_busy"]) == (2, 1)
    # The 'all' scope is the answer itself: every agent, every minute.
    assert cell(con, "all", at(DAY, "10:45"))["avg_available"] == 2
    # a3's span in s1 starts at 11:07; before it a3 is in no skill span.
    spans = con.execute(
        "SELECT span_start, span_end, observations FROM agent_status_spans "
        "WHERE scope_key = 'skill:s1' AND agent_id = 'a3'"
    ).fetchall()
    assert spans == [(at(DAY, "11:07"), at(DAY, "11:31"), 23)]


def test_an_agent_losing_a_skill_at_11_07_counts_until_then(
    con: duckdb.DuckDBPyConnection,
) -> None:
    membership_morning(con, [("a1", "skill:s1")])
    assert cell(con, "skill:s1", at(DAY, "10:45"))["avg_available"] == 1
    during = cell(con, "skill:s1", at(DAY, "11:00"))
    assert during["avg_available"] == pytest.approx(7 / 15)
    assert during["zero_available_share"] == pytest.approx(8 / 15)
    after = cell(con, "skill:s1", at(DAY, "11:15"))
    # a2 gone: still observed (a1 is a member), zero agents available.
    assert (after["avg_available"], after["avg_busy"], after["observed_share"]) == (0, 1, 1)


def test_a_scope_whose_members_all_left_is_observed_empty_and_unknown_scopes_are_not(
    con: duckdb.DuckDBPyConnection,
) -> None:
    membership_morning(con, [("a3", "skill:s2")])
    after = cell(con, "skill:s1", at(DAY, "11:15"))
    assert (after["observed_share"], after["avg_available"], after["avg_busy"]) == (1, 0, 0)
    # skill:s2 is not in the scopes table: no spans, no grid row.
    assert con.execute(
        "SELECT count(*) FROM agent_status_spans WHERE scope_key = 'skill:s2'"
    ).fetchall()[0] == (0,)


def test_per_scope_and_membership_ticks_on_different_days(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # Day 1, per scope: s1 answers a1 AVAILABLE and a2 BUSY; 'all' also lists a3.
    membership.apply_membership(
        con, "acct", at(DAY, "00:00"), listing(("a1", "skill:s1"), ("a3", "skill:s1"))
    )
    for t in minutes(at(DAY, "09:00"), at(DAY, "09:30")):
        per_scope_tick(
            con, t,
            {"all": {"a1": "AVAILABLE", "a2": "BUSY", "a3": "AWAY"},
             "skill:s1": {"a1": "AVAILABLE", "a2": "BUSY"}},
        )  # fmt: skip
    # Day 2, membership mode: the same statuses, membership says a1 and a3 are in s1.
    for t in minutes(at(NEXT_DAY, "09:00"), at(NEXT_DAY, "09:30")):
        membership_tick(con, t, {"a1": "AVAILABLE", "a2": "BUSY", "a3": "AWAY"})
    build(con, DAY)
    build(con, NEXT_DAY)
    old = cell(con, "skill:s1", at(DAY, "09:15"))
    assert (old["avg_available"], old["avg_busy"], old["avg_away"]) == (1, 1, 0)
    new = cell(con, "skill:s1", at(NEXT_DAY, "09:15"))
    assert (new["avg_available"], new["avg_busy"], new["avg_away"]) == (1, 0, 1)
    for day in (DAY, NEXT_DAY):
        every = cell(con, "all", at(day, "09:15"))
        assert (every["avg_available"], every["avg_busy"], every["avg_away"]) == (1, 1, 1)
        assert cell(con, "skill:s1", at(day, "09:15"))["observations"] == 15


# ---------------------------------------------------------------------------------------
# Migration 005 keeps an old day's coverage


def old_database(path: Path) -> duckdb.DuckDBPyConnection:
    """A database at schema version 4 (before membership) holding a day of per-scope ticks:
    three scopes, 20 agents, polls about every minute with jitter, gaps, failures, agents
    missing from some answers, custom statuses."""
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL)"
    )
    for migration in sorted(MIGRATIONS.glob("00[1-4]_*.sql")):
        con.execute(migration.read_text())
        version, name = migration.stem.split("_", 1)
        con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [int(version), name])
    scopes = ["all", "skill:s1", "queue:q1"]
    con.execute(
        "INSERT INTO scopes SELECT k, split_part(k, ':', 1), split_part(k, ':', 2), k, NULL, now()"
        " FROM unnest(?::VARCHAR[]) AS u(k)",
        [scopes],
    )
    rng = random.Random(5)
    statuses = ["AVAILABLE", "BUSY", "AWAY", "OFFLINE", "BREAK"]
    ticks, raws, snaps = [], [], []
    t = at(DAY, "00:00") - timedelta(seconds=90)
    while t < at(NEXT_DAY, "00:00") + timedelta(minutes=2):
        tick_id = f"sched-{t.isoformat()}"
        ticks.append((tick_id, "acct", "poll", None, t, t, 3, 3, 0, 0, t))
        for scope in scopes:
            ok = rng.random() > 0.03
            seen = t + timedelta(milliseconds=rng.randint(0, 900))
            raws.append((tick_id, scope, "acct", t, seen, seen if ok else None, 1, 200,
                         1.0, "ok" if ok else "error", None, None, None))  # fmt: skip
            members = range(20) if scope == "all" else range(0, 20, 2 if scope == "skill:s1" else 3)
            for agent in members if ok else ():
                if rng.random() < 0.97:
                    status = rng.choice(statuses) if rng.random() < 0.1 else statuses[agent % 4]
                    snaps.append((tick_id, scope, seen, f"a{agent}", f"u{agent}", status))
        # A two-minute outage now and then leaves gaps longer than the maximum.
        t += timedelta(seconds=rng.choice([55, 60, 60, 60, 65, 240 if rng.random() < 0.02 else 60]))
    for table, rows in (("ticks", ticks), ("raw_responses", raws), ("snapshots", snaps)):
        columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
        con.register("rows_in", pd.DataFrame(rows, columns=columns))
        con.execute(f"INSERT INTO {table} SELECT * FROM rows_in")
        con.unregister("rows_in")
    return con


def run_script(con: duckdb.DuckDBPyConnection, text: str, params: dict[str, Any]) -> None:
    for statement in _split(text):
        con.execute(statement, bind(statement, params, "fixture"))


COMPARED = {
    "agent_status_spans": "scope_key, agent_id, span_start, status",
    "coverage_intervals": "scope_key, interval_start",
    "coverage_status_intervals": "scope_key, interval_start, status",
}


def test_migration_005_keeps_an_old_days_coverage_identical(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    params = day_params(DAY, SETTINGS)
    old = old_database(path)
    try:
        # Before: schema 4 and the coverage SQL of that time (frozen copies).
        run_script(old, (BEFORE_005 / "macros.sql").read_text(), params)
        run_script(old, (BEFORE_005 / "spans.sql").read_text(), params)
        # intervals.sql was unchanged by 005 (it reads polls through the macros only); its
        # copy from before 008 fits schema 4.
        run_script(old, (BEFORE_005 / "intervals.sql").read_text(), params)
        # Migration 008 adds columns (net staffing): the old ones must stay identical.
        columns = {t: ", ".join(c[0] for c in old.execute(f"SELECT * FROM {t} LIMIT 0").description)
                   for t in COMPARED}  # fmt: skip
        before = {t: old.execute(f"SELECT {columns[t]} FROM {t} ORDER BY {k}").fetchall()
                  for t, k in COMPARED.items()}  # fmt: skip
        old.execute("DELETE FROM agent_status_spans; DELETE FROM coverage_intervals; "
                    "DELETE FROM coverage_status_intervals")  # fmt: skip
    finally:
        old.close()
    assert len(before["agent_status_spans"]) > 1000
    with warehouse.connect(path) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0] >= 5
        assert con.execute("SELECT DISTINCT mode FROM ticks").fetchall() == [("per_scope",)]
        # Membership known for the day changes nothing: these ticks asked every scope.
        membership.apply_membership(
            con, "acct", at(DAY, "00:00") - timedelta(hours=1),
            listing(*[(f"a{i}", "skill:s1") for i in range(0, 20, 5)], ("a1", "queue:q1")),
        )  # fmt: skip
        build(con)
        after = {t: con.execute(f"SELECT {columns[t]} FROM {t} ORDER BY {k}").fetchall()
                 for t, k in COMPARED.items()}  # fmt: skip
    for table in COMPARED:
        assert after[table] == before[table], table


def test_the_same_truth_through_membership_gives_the_per_scope_figures(tmp_path: Path) -> None:
    """A synthetic day (every member of every scope listed at every tick), built as written
    (per scope), then rewritten as membership-mode ticks: only the 'all' answers kept, and the
    members of each scope as membership rows. Every span and cell comes out identical."""
    database = str(tmp_path / "truth.duckdb")
    seed_days(database, DAY, agents=30, seed=3, zone="UTC")
    tables = ("agent_status_spans", "coverage_intervals", "coverage_status_intervals")
    with warehouse.connect(database) as con:
        build(con)
        per_scope = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
        con.execute(
            """
            INSERT INTO membership
            SELECT (SELECT any_value(account_id) FROM ticks), agent_id, max(user_id), scope_key,
                   split_part(scope_key, ':', 1), split_part(scope_key, ':', 2), NULL,
                   TIMESTAMPTZ '2026-01-01 00:00:00+00', NULL
            FROM snapshots WHERE scope_key <> 'all' GROUP BY agent_id, scope_key;
            DELETE FROM snapshots WHERE scope_key <> 'all';
            DELETE FROM raw_responses WHERE scope_key <> 'all';
            UPDATE ticks SET mode = 'membership';
            """
        )
        build(con)
        derived = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    assert len(per_scope["coverage_intervals"]) == 96 * 11
    assert len({row[1] for row in per_scope["agent_status_spans"]}) == 11
    for table in tables:
        assert derived[table] == per_scope[table], table
